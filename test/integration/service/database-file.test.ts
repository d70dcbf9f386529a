/**
 * The database file deleted or replaced under a running daemon: SQLite would go on writing into
 * the unlinked inode, so the daemon must notice (path dev/ino ≠ the open file's), turn not ready,
 * say so loudly and stop itself as a failure (`run` turns that into exit 1).
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type DaemonFixture, startDaemonFixture } from './daemon-fixture.js';

let fx: DaemonFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

async function readyDaemon() {
  const f = await startDaemonFixture({ env: { POLICY_SCHEDULE: 'off' } });
  await f.daemon.startupPolls;
  expect((await f.getJson('/readyz')).body.status).toBe('ready');
  return f;
}

describe('the database file under a running daemon', () => {
  it('replaced by another file: /readyz 503 naming it, a fatal log line, and a fatal stop', async () => {
    // No tick follows the start-up poll: only the probe can notice.
    fx = await readyDaemon();
    // What a restore does: a new file renamed over the path.
    writeFileSync(`${fx.databasePath}.restored`, '');
    renameSync(`${fx.databasePath}.restored`, fx.databasePath);
    const probe = await fx.getJson('/readyz');
    expect(probe.status).toBe(503);
    expect(String(probe.body.reason)).toMatch(/was replaced by another file/);
    const result = await fx.daemon.done;
    expect(result).toMatchObject({ fatal: true, forced: false });
    const fatal = fx
      .logLines()
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .find((l) => l.level === 60);
    expect(fatal?.msg).toMatch(/was replaced .* stopping with exit code 1/);
  });

  it('deleted: found by the next scheduled poll, which records nothing, and the daemon stops fatally', async () => {
    fx = await readyDaemon();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${fx.databasePath}${suffix}`, { force: true });
    expect(await fx.tick()).toBe('ran');
    const result = await fx.daemon.done;
    expect(result).toMatchObject({ fatal: true, forced: false });
    const lines = fx.logLines().map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.find((l) => l.level === 60)?.msg).toMatch(/is gone \(ENOENT\)/);
    // No poll "succeeded" into the unlinked file after the check.
    const last = lines.findLastIndex((l) => l.msg === 'poll finished');
    const fatalAt = lines.findIndex((l) => l.level === 60);
    expect(last).toBeLessThan(fatalAt);
  });
});

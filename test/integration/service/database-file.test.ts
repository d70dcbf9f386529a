/**
 * The database file deleted or replaced under a running daemon: SQLite would go on writing into
 * the unlinked inode, so the daemon must notice (path dev/ino ≠ the open file's), turn not ready,
 * say so loudly and stop itself as a failure (`run` turns that into exit 1).
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createCapturingLogger } from '../../helpers/capture-logger.js';
import { type DaemonFixture, startDaemonFixture } from './daemon-fixture.js';

let fx: DaemonFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

async function readyDaemon(logger: ReturnType<typeof createCapturingLogger>['logger'], schedule: string) {
  const f = await startDaemonFixture({ env: { POLL_SCHEDULE: schedule, POLICY_SCHEDULE: 'off' }, logger });
  await f.waitFor('the start-up poll', async () => (await f.getJson('/readyz')).body.status === 'ready');
  return f;
}

describe('the database file under a running daemon', () => {
  it('replaced by another file: /readyz 503 naming it, a fatal log line, and a fatal stop', async () => {
    const capture = createCapturingLogger();
    // A poll a year away: the start-up poll makes it ready; only the probe can notice.
    fx = await readyDaemon(capture.logger, '0 0 1 1 *');
    // What a restore does: a new file renamed over the path.
    writeFileSync(`${fx.databasePath}.restored`, '');
    renameSync(`${fx.databasePath}.restored`, fx.databasePath);
    const probe = await fx.getJson('/readyz');
    expect(probe.status).toBe(503);
    expect(String(probe.body.reason)).toMatch(/was replaced by another file/);
    const result = await fx.daemon.done;
    expect(result).toMatchObject({ fatal: true, forced: false });
    const fatal = capture
      .lines()
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .find((l) => l.level === 60);
    expect(fatal?.msg).toMatch(/was replaced .* stopping with exit code 1/);
  });

  it('deleted: found by the next scheduled poll, which records nothing, and the daemon stops fatally', async () => {
    const capture = createCapturingLogger();
    fx = await readyDaemon(capture.logger, '*/1 * * * * *');
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${fx.databasePath}${suffix}`, { force: true });
    const result = await fx.daemon.done;
    expect(result).toMatchObject({ fatal: true, forced: false });
    const lines = capture.lines().map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.find((l) => l.level === 60)?.msg).toMatch(/is gone \(ENOENT\)/);
    // No poll "succeeded" into the unlinked file after the check.
    const last = lines.findLastIndex((l) => l.msg === 'poll finished');
    const fatalAt = lines.findIndex((l) => l.level === 60);
    expect(last).toBeLessThan(fatalAt);
  });
});

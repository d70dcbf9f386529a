import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../../src/simulator/simulator.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { type DaemonFixture, sampleValue, startDaemonFixture } from './daemon-fixture.js';

let fx: DaemonFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

function runKinds(path: string): string[] {
  const conn = new Database(path, { readonly: true });
  try {
    return (conn.prepare('SELECT kind FROM runs ORDER BY id').all() as { kind: string }[]).map((r) => r.kind);
  } finally {
    conn.close();
  }
}

describe('the daemon and identity syncs', () => {
  it('syncs identities at start-up after the roster and policy polls, and exposes per-source metrics', async () => {
    const sim = await startSimulator({ users: 12, teams: 3, seed: 5 });
    const people = sim.org
      .listUsers()
      .filter((u) => u.email !== null)
      .slice(1)
      // One status nobody maps: counted on its own metric, not taken for active.
      .map((u, i) => `${u.email},${i === 0 ? 'Leaver' : 'active'}`);
    const file = join(scratchDir('rw-identity-'), 'people.csv');
    writeFileSync(file, `email,status\n${people.join('\n')}\n`);
    fx = await startDaemonFixture({
      sim,
      env: {
        POLL_SCHEDULE: '0 0 1 1 *',
        IDENTITY_FILE: file,
        IDENTITY_SCHEDULE: '0 0 1 1 *',
        IDENTITY_FILE_WATCH_MS: '50',
      },
    });
    const path = fx.databasePath;
    await fx.daemon.startupPolls;
    expect(runKinds(path)).toEqual(['roster', 'policy', 'identity']);
    const metrics = (await fx.get('/metrics')).text;
    expect(sampleValue(metrics, 'roster_identity_source_identities{source="file"}')).toBe(people.length);
    expect(sampleValue(metrics, 'roster_identity_source_failing{source="file"}')).toBe(0);
    expect(sampleValue(metrics, 'roster_identity_source_unknown_statuses{source="file"}')).toBe(1);
    // The fake clock has not moved: the source's last success is the start-up instant.
    expect(sampleValue(metrics, 'roster_identity_source_last_success_timestamp_seconds{source="file"}')).toBe(
      fx.clock.now() / 1000,
    );
    expect(sampleValue(metrics, 'roster_identity_sync_runs_total{status="ok"}')).toBe(1);
    // Unmatched: every VictorOps account the export leaves out (no email, or the one left off).
    const leftOut = sim.org.listUsers().length - people.length;
    expect(leftOut).toBeGreaterThan(0);
    expect(sampleValue(metrics, 'roster_identity_findings_open{kind="identity.unmatched"}')).toBe(leftOut);
    expect(sampleValue(metrics, 'roster_identity_findings_open{kind="identity.inactive"}')).toBe(0);

    // A new export is read when it lands (the file watch polls its stat on real time, 50 ms
    // here), not at the next schedule tick, which this test never fires.
    const resynced = fx.logged('identity sync finished');
    writeFileSync(file, `email,status\n${people.join('\n')}\n${sim.org.listUsers()[0]?.email},terminated\n`);
    await resynced;
    expect(runKinds(path)).toEqual(['roster', 'policy', 'identity', 'identity']);
  });
});

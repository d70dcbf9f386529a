import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type DaemonFixture, sampleValue, startDaemonFixture } from './daemon-fixture.js';

let fx: DaemonFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

function runKinds(path: string): { kind: string; status: string }[] {
  const conn = new Database(path, { readonly: true });
  try {
    return conn.prepare('SELECT kind, status FROM runs ORDER BY id').all() as {
      kind: string;
      status: string;
    }[];
  } finally {
    conn.close();
  }
}

describe('the daemon and policy polls', () => {
  it('polls policies once at start-up after the first roster poll, and exposes policy and findings metrics', async () => {
    // Roster polls never tick during the test; the policy schedule is hourly (the default).
    fx = await startDaemonFixture({ env: { POLL_SCHEDULE: '0 0 1 1 *' } });
    const path = fx.databasePath;
    await fx.daemon.startupPolls;
    expect(runKinds(path)).toEqual([
      { kind: 'roster', status: 'baseline' },
      { kind: 'policy', status: 'baseline' },
    ]);
    const metrics = (await fx.get('/metrics')).text;
    expect(sampleValue(metrics, 'roster_policy_poll_runs_total{status="baseline"}')).toBe(1);
    expect(sampleValue(metrics, 'roster_policy_poll_runs_total{status="failed"}')).toBe(0);
    // The generated org leaves staffed teams without a policy: counted from the simulator's side.
    const { org } = fx.sim;
    const withPolicy = new Set(org.listPolicies().map((p) => p.teamSlug));
    const uncovered = org.listTeams().filter((t) => org.memberCount(t.slug) > 0 && !withPolicy.has(t.slug));
    expect(uncovered.length).toBeGreaterThan(0);
    expect(sampleValue(metrics, 'roster_coverage_findings_open{kind="team_without_policy"}')).toBe(
      uncovered.length,
    );
    expect(sampleValue(metrics, 'roster_coverage_findings_open{kind="dangling_reference"}')).toBe(0);
    // Only one policy list call, and the simulator's one-per-minute limit was never hit.
    expect(fx.sim.stats.count({ path: '/v1/policies', status: 429 })).toBe(0);
  });
});

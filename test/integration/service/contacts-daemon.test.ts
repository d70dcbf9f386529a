import { afterEach, describe, expect, it } from 'vitest';
import { type DaemonFixture, sampleValue, startDaemonFixture } from './daemon-fixture.js';

let fx: DaemonFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

describe('the daemon and contacts polls', () => {
  it('is off by default; on CONTACTS_SCHEDULE it reads contacts and exposes contacts and reachability metrics', async () => {
    const off = await startDaemonFixture({ env: { POLL_SCHEDULE: '0 0 1 1 *' } });
    expect(() => off.tick('contacts')).toThrow(/contacts schedule is off/);
    await off.cleanup();

    fx = await startDaemonFixture({ env: { POLL_SCHEDULE: '0 0 1 1 *', CONTACTS_SCHEDULE: '15 * * * *' } });
    await fx.daemon.startupPolls;
    // The paging-policy endpoint is paced at one request a second on the daemon's (fake) clock.
    expect(await fx.clock.runUntilSettled(fx.tick('contacts'))).toBe('ran');
    const runs = fx.runs().filter((r) => r.kind === 'contacts');
    expect(runs.map((r) => r.status)).toEqual(['ok']);
    const read = fx.queryValue('SELECT COUNT(*) FROM contact_reads') as number;
    expect(read).toBe(fx.sim.org.listUsers().length);
    const metrics = (await fx.get('/metrics')).text;
    expect(sampleValue(metrics, 'roster_contacts_poll_runs_total{status="ok"}')).toBe(1);
    expect(sampleValue(metrics, 'roster_contacts_read_per_poll_sum')).toBe(read);
    const open = fx.queryValue(
      "SELECT COUNT(*) FROM findings WHERE kind = 'unreachable_on_call' AND resolved_at IS NULL",
    ) as number;
    expect(sampleValue(metrics, 'roster_coverage_findings_open{kind="unreachable_on_call"}')).toBe(open);
    // Counted under a job of its own: two requests a person.
    expect(sampleValue(metrics, 'roster_victorops_job_requests_total{job="contacts"}')).toBe(read * 2);
  });
});

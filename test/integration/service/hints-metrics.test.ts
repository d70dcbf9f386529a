/** The daemon's hint metrics: requests per poll, and the unreliable mark once a lie is caught. */
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../../src/simulator/simulator.js';
import { type DaemonFixture, sampleValue, startDaemonFixture } from './daemon-fixture.js';

let fx: DaemonFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

describe('/metrics with membership hints', () => {
  it('observes requests per poll and turns roster_membership_hints_unreliable on when verification catches a lie', async () => {
    const sim = await startSimulator({ users: 20, teams: 4, seed: 3 });
    fx = await startDaemonFixture({ sim, env: { POLL_SCHEDULE: '*/1 * * * * *' } });
    const f = fx;
    const scrape = async () => (await f.get('/metrics')).text;
    let text = '';
    // The baseline reads 2 lists + 4 teams; a quiet poll after it 2 lists + 1 verification.
    await f.waitFor('a quiet poll observed in roster_poll_requests', async () => {
      text = await scrape();
      return (sampleValue(text, 'roster_poll_requests_bucket{le="5"}') ?? 0) >= 1;
    });
    expect(text).toContain('# TYPE roster_poll_requests histogram');
    expect(sampleValue(text, 'roster_poll_requests_count')).toBeGreaterThanOrEqual(2);
    expect(sampleValue(text, 'roster_poll_requests_bucket{le="2"}')).toBe(0);
    expect(sampleValue(text, 'roster_membership_hints_unreliable')).toBe(0);

    sim.org.setTeamVersionBumps(false);
    const team = sim.org.listTeams().find((t) => sim.org.memberCount(t.slug) > 0)!;
    const members = sim.org.membersOfTeam(team.slug);
    const outsider = sim.org.listUsers().find((u) => !members.includes(u))!;
    sim.org.removeMember(team.slug, members[0]!.username);
    sim.org.addMember(team.slug, outsider.username);
    await f.waitFor('the lie caught', async () => {
      text = await scrape();
      return sampleValue(text, 'roster_membership_hints_unreliable') === 1;
    });
    expect(sampleValue(text, 'roster_changes_total{type="victorops.membership.added"}')).toBe(1);
    expect(sampleValue(text, 'roster_changes_total{type="victorops.membership.removed"}')).toBe(1);
  });
});

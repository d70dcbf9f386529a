/** The daemon's hint metrics: requests per poll, swaps counted, and the unreliable mark once the API contradicts itself. */
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../../src/simulator/simulator.js';
import { type DaemonFixture, sampleValue, startDaemonFixture } from './daemon-fixture.js';

let fx: DaemonFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

describe('/metrics with membership hints', () => {
  it('observes requests per poll, counts swaps found by verification, and turns roster_membership_hints_unreliable on only when the counts contradict', async () => {
    const sim = await startSimulator({ users: 20, teams: 4, seed: 3 });
    fx = await startDaemonFixture({ sim, env: { POLL_ON_START: 'false' } });
    const f = fx;
    const scrape = async () => (await f.get('/metrics')).text;
    // As cron would: a tick every 5 s. Which teams a poll verifies depends on the time since the
    // teams were read, so the clock moves between ticks.
    const nextPoll = async (afterMs = 5_000) => {
      await f.advance(afterMs);
      return f.tick();
    };
    // 4 teams over the 54-min round (90% of the default hour): a quarter of an hour apart, each
    // poll finds one team behind an even spread and verifies it.
    const QUARTER_HOUR = 15 * 60_000;
    // The baseline reads 2 lists + 4 teams; a quiet poll 5 s after it only the 2 lists.
    expect(await nextPoll()).toBe('ran');
    expect(await nextPoll()).toBe('ran');
    let text = await scrape();
    expect(text).toContain('# TYPE roster_poll_requests histogram');
    expect(sampleValue(text, 'roster_poll_requests_count')).toBe(2);
    expect(sampleValue(text, 'roster_poll_requests_bucket{le="2"}')).toBe(1);
    expect(sampleValue(text, 'roster_poll_requests_bucket{le="5"}')).toBe(1);
    expect(sampleValue(text, 'roster_membership_hints_unreliable')).toBe(0);

    expect(sampleValue(text, 'roster_membership_verify_catches_total')).toBe(0);

    const team = sim.org.listTeams().find((t) => sim.org.memberCount(t.slug) > 0)!;
    const members = sim.org.membersOfTeam(team.slug);
    const outsider = sim.org.listUsers().find((u) => !members.includes(u))!;
    sim.org.removeMember(team.slug, members[0]!.username);
    sim.org.addMember(team.slug, outsider.username);
    // Each poll verifies one team; within one round of the four, the swapped team is read.
    for (let poll = 0; poll < sim.org.listTeams().length; poll++) {
      expect(await nextPoll(QUARTER_HOUR)).toBe('ran');
      text = await scrape();
      if (sampleValue(text, 'roster_membership_verify_catches_total') === 1) break;
    }
    expect(sampleValue(text, 'roster_membership_verify_catches_total')).toBe(1);
    expect(sampleValue(text, 'roster_membership_hints_unreliable')).toBe(0);
    expect(sampleValue(text, 'roster_changes_total{type="victorops.membership.added"}')).toBe(1);
    expect(sampleValue(text, 'roster_changes_total{type="victorops.membership.removed"}')).toBe(1);

    // The list keeps the old count while a member joins: the API contradicts itself.
    sim.org.setListedCountsFrozen(true);
    const newcomer = sim.org.listUsers().find((u) => !sim.org.membersOfTeam(team.slug).includes(u))!;
    sim.org.addMember(team.slug, newcomer.username);
    for (let poll = 0; poll < sim.org.listTeams().length; poll++) {
      expect(await nextPoll(QUARTER_HOUR)).toBe('ran');
      text = await scrape();
      if (sampleValue(text, 'roster_membership_hints_unreliable') === 1) break;
    }
    expect(sampleValue(text, 'roster_membership_hints_unreliable')).toBe(1);
  });
});

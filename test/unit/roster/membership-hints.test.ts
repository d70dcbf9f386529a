import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  countContradictions,
  decideHintsMark,
  describeRequestPlan,
  findUnannouncedChanges,
  fullReadReason,
  type HintState,
  planTeamReads,
  type StoredTeamHint,
  type TeamHint,
  verificationSliceSize,
} from '../../../src/roster/membership-hints.js';
import { aRoster, aTeam, aUser } from '../../helpers/builders.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.parse('2026-06-01T12:00:00Z');

function teams(n: number): TeamHint[] {
  return Array.from({ length: n }, (_, i) => ({
    slug: `team-${String(i).padStart(4, '0')}`,
    version: 1,
    memberCount: 3,
  }));
}

function stateFor(
  listed: TeamHint[],
  overrides: Partial<HintState> = {},
  readAtMs = NOW - MINUTE,
): HintState {
  const stored = new Map<string, StoredTeamHint>(listed.map((t) => [t.slug, { ...t, readAtMs }]));
  return {
    setting: 'auto',
    unreliable: false,
    stored,
    lastPollAtMs: NOW - MINUTE,
    verifyIntervalMs: HOUR,
    nowMs: NOW,
    ...overrides,
  };
}

/**
 * Polls `n` teams at the given gaps (ms, one per poll after a full read at 0), the plan's verify
 * reads updating each team's last read; `changedEvery` polls, the next `changedCount` teams are read
 * because their hints moved. Returns the verify reads of each poll and each team's longest gap
 * unread (up to the last poll).
 */
function simulatePolls(
  n: number,
  gapsMs: readonly number[],
  verifyMs: number,
  changed: { every: number; count: number } | null = null,
) {
  const listed = teams(n);
  const readAt = new Map(listed.map((t) => [t.slug, 0]));
  const worst = new Map<string, number>();
  const reads: number[] = [];
  let now = 0;
  let last = 0;
  gapsMs.forEach((gap, i) => {
    now += gap;
    const stored = new Map(listed.map((t) => [t.slug, { ...t, readAtMs: readAt.get(t.slug)! }]));
    const plan = planTeamReads(listed, {
      setting: 'auto',
      unreliable: false,
      stored,
      lastPollAtMs: last,
      verifyIntervalMs: verifyMs,
      nowMs: now,
    });
    reads.push(plan.verify.length);
    const readNow = [...plan.verify];
    if (changed && (i + 1) % changed.every === 0) {
      const from = (i * changed.count) % n;
      readNow.push(...listed.slice(from, from + changed.count).map((t) => t.slug));
    }
    for (const slug of readNow) {
      worst.set(slug, Math.max(worst.get(slug) ?? 0, now - readAt.get(slug)!));
      readAt.set(slug, now);
    }
    last = now;
  });
  for (const t of listed) worst.set(t.slug, Math.max(worst.get(t.slug) ?? 0, now - readAt.get(t.slug)!));
  return { reads, longestUnreadMs: Math.max(...worst.values()) };
}

describe('verificationSliceSize', () => {
  it("reads the teams behind an even spread over 90% of the verify interval, counting this poll's reads", () => {
    const round = 0.9 * HOUR;
    // 4 teams all read at 0: none is behind until a quarter of the round has passed
    expect(verificationSliceSize([0, 0, 0, 0], 4, round / 4 - 1, HOUR)).toBe(0);
    expect(verificationSliceSize([0, 0, 0, 0], 4, round / 4 + 1, HOUR)).toBe(1);
    expect(verificationSliceSize([0, 0, 0, 0], 4, round / 2 + 1, HOUR)).toBe(2);
    // a team read elsewhere in this poll (5 listed, 4 unchanged) counts as one read on pace
    expect(verificationSliceSize([0, 0, 0, 0], 5, round / 5 + 1, HOUR)).toBe(0);
    // evenly spread: only the oldest, once it is a whole round old
    expect(verificationSliceSize([0, round / 4, round / 2, (3 * round) / 4], 4, round - 1, HOUR)).toBe(0);
    expect(verificationSliceSize([0, round / 4, round / 2, (3 * round) / 4], 4, round + 1, HOUR)).toBe(1);
    // every team a round old or more: all of them
    expect(verificationSliceSize([0, 0, 0], 3, 2 * HOUR, HOUR)).toBe(3);
    expect(verificationSliceSize([], 0, HOUR, HOUR)).toBe(0);
  });

  // teams, poll every, verify every: the verification reads per poll a steady cadence owes
  it.each([
    [80, 15_000, HOUR],
    [300, MINUTE, HOUR],
    [300, 5 * MINUTE, HOUR],
    [10, MINUTE, HOUR],
  ])(
    '%i teams, a poll every %i ms, verify every %i ms: about teams × poll ÷ (0.9 × verify) a poll, not rounded up',
    (n, pollMs, verifyMs) => {
      const polls = Math.ceil((4 * verifyMs) / pollMs);
      const { reads, longestUnreadMs } = simulatePolls(n, Array(polls).fill(pollMs), verifyMs);
      const owed = (n * pollMs) / (0.9 * verifyMs);
      // after the first verify interval (the first round spreads the reads of the full read)
      const steady = reads.slice(Math.ceil(verifyMs / pollMs));
      const perPoll = steady.reduce((a, b) => a + b, 0) / steady.length;
      expect(perPoll).toBeGreaterThanOrEqual(owed * 0.95);
      expect(perPoll).toBeLessThanOrEqual(owed * 1.05 + 0.01);
      expect(Math.max(...reads)).toBeLessThanOrEqual(Math.ceil(owed) + 1);
      expect(longestUnreadMs).toBeLessThanOrEqual(verifyMs);
      // the case of issue 27: 80 teams every 15 s used to read one team every poll
      if (owed < 1) expect(steady.filter((r) => r === 0).length / steady.length).toBeGreaterThan(0.5);
    },
  );
});

describe('planTeamReads', () => {
  it('reads only the verification slice when nothing moved', () => {
    const listed = teams(300);
    const plan = planTeamReads(listed, stateFor(listed));
    expect(plan.changed).toEqual([]);
    // all read a minute ago: 300 × 1 ÷ 54 = 5.6 teams a minute are behind an even spread
    expect(plan.verify).toHaveLength(5);
    expect(plan.carried).toHaveLength(295);
    expect(describeRequestPlan(plan)).toBe('requests planned: 2 lists + 0 changed teams + 5 verification');
  });

  it('reads new teams and teams whose version or memberCount moved, plus the slice', () => {
    const listed = teams(300);
    const state = stateFor(listed);
    const moved = listed.map((t, i) =>
      i === 3 ? { ...t, version: 2 } : i === 7 ? { ...t, memberCount: 4 } : t,
    );
    const plan = planTeamReads([...moved, { slug: 'team-new', version: 1, memberCount: 0 }], state);
    expect(plan.changed).toEqual(['team-0003', 'team-0007', 'team-new']);
    // 301 teams now, 5.6 behind: the 3 read because they changed count, so 2 more
    expect(plan.verify).toHaveLength(2);
    expect(plan.verify).not.toContain('team-0003');
  });

  it('always reads a team whose hints the API left out', () => {
    const listed = teams(3);
    const plan = planTeamReads(
      listed.map((t) => (t.slug === 'team-0001' ? { ...t, version: null } : t)),
      stateFor(listed, { lastPollAtMs: NOW - 1 }),
    );
    expect(plan.changed).toEqual(['team-0001']);
  });

  it('verifies the teams read longest ago first', () => {
    const listed = teams(4);
    const state = stateFor(listed);
    const stored = new Map(state.stored);
    // older than the 54-min round, not yet due by the hour: behind the spread, so read
    stored.set('team-0002', { ...listed[2]!, readAtMs: NOW - 55 * MINUTE });
    expect(planTeamReads(listed, { ...state, stored }).verify).toEqual(['team-0002']);
    // within the round, with the other three just read: nothing
    stored.set('team-0002', { ...listed[2]!, readAtMs: NOW - 53 * MINUTE });
    expect(planTeamReads(listed, { ...state, stored }).verify).toEqual([]);
  });

  it('still verifies a team every poll after the wall clock stepped back behind the recorded reads', () => {
    const listed = teams(80);
    // every team read within the last 15 s, by a clock now two hours ahead of this one
    const ahead = stateFor(listed, { lastPollAtMs: NOW + 2 * HOUR - 15_000 }, NOW + 2 * HOUR - 15_000);
    expect(planTeamReads(listed, ahead).verify).toHaveLength(1);
    // the same reads on a clock that did not step: none owed yet
    expect(
      planTeamReads(listed, stateFor(listed, { lastPollAtMs: NOW - 15_000 }, NOW - 15_000)).verify,
    ).toEqual([]);
  });

  it('reads every team that would pass the verify interval before the next poll, after a long gap', () => {
    const listed = teams(300);
    const plan = planTeamReads(listed, stateFor(listed, { lastPollAtMs: NOW - 3 * HOUR }, NOW - 3 * HOUR));
    expect(plan.verify).toHaveLength(300);
  });

  it('never verifies more than the slice at a steady cadence, however many teams were read because they changed', () => {
    // 300 teams, a poll a minute, verify hourly; every 7th poll 10 teams change and are read.
    const listed = teams(300);
    const readAt = new Map(listed.map((t) => [t.slug, 0]));
    let most = 0;
    for (let poll = 1; poll <= 240; poll++) {
      const now = poll * MINUTE;
      const stored = new Map(listed.map((t) => [t.slug, { ...t, readAtMs: readAt.get(t.slug)! }]));
      const plan = planTeamReads(listed, {
        setting: 'auto',
        unreliable: false,
        stored,
        lastPollAtMs: now - MINUTE,
        verifyIntervalMs: HOUR,
        nowMs: now,
      });
      most = Math.max(most, plan.verify.length);
      for (const slug of plan.verify) readAt.set(slug, now);
      if (poll % 7 === 0)
        for (const t of listed.slice(poll % 290, (poll % 290) + 10)) readAt.set(t.slug, now);
    }
    // ceil(300 × 1 min ÷ 54 min)
    expect(most).toBe(6);
  });

  it('re-reads every team at least once per verify interval at a steady cadence (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.constantFrom(MINUTE, 5 * MINUTE, 7 * MINUTE, 13 * MINUTE),
        fc.constantFrom(15 * MINUTE, HOUR, 4 * HOUR),
        (n, pollMs, verifyMs) => {
          const listed = teams(n);
          const readAt = new Map(listed.map((t, i) => [t.slug, -((i * verifyMs) / n)]));
          let now = 0;
          const worst = new Map<string, number>();
          for (let poll = 0; poll < Math.ceil((3 * verifyMs) / pollMs); poll++) {
            const stored = new Map(listed.map((t) => [t.slug, { ...t, readAtMs: readAt.get(t.slug)! }]));
            const plan = planTeamReads(listed, {
              setting: 'auto',
              unreliable: false,
              stored,
              lastPollAtMs: now - pollMs,
              verifyIntervalMs: verifyMs,
              nowMs: now,
            });
            for (const slug of plan.verify) {
              worst.set(slug, Math.max(worst.get(slug) ?? 0, now - readAt.get(slug)!));
              readAt.set(slug, now);
            }
            now += pollMs;
          }
          for (const t of listed) {
            // Gaps are measured between poll starts, so the bound is the interval itself.
            expect(Math.max(worst.get(t.slug) ?? 0, now - pollMs - readAt.get(t.slug)!)).toBeLessThanOrEqual(
              verifyMs,
            );
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('planTeamReads at an irregular cadence', () => {
  it('re-reads every team within the verify interval whatever the gaps, each at most 10% of it (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.constantFrom(15 * MINUTE, HOUR),
        fc.array(fc.constantFrom(0.0003, 0.003, 0.02, 0.1), { minLength: 50, maxLength: 400 }),
        (n, verifyMs, fractions) => {
          const gaps = fractions.map((f) => Math.max(1_000, Math.round(f * verifyMs)));
          expect(simulatePolls(n, gaps, verifyMs).longestUnreadMs).toBeLessThanOrEqual(verifyMs);
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('fullReadReason', () => {
  it('follows the hints only when on, trusted and with a previous poll', () => {
    const listed = teams(2);
    expect(fullReadReason(stateFor(listed))).toBeNull();
    expect(fullReadReason(stateFor(listed, { setting: 'off' }))).toBe('hints off');
    expect(fullReadReason(stateFor(listed, { unreliable: true }))).toBe('hints unreliable');
    expect(fullReadReason(stateFor(listed, { lastPollAtMs: null }))).toBe('no previous poll');
    expect(fullReadReason(stateFor([]))).toBe('no previous poll');
  });
});

describe('findUnannouncedChanges', () => {
  const users = ['ann', 'bob', 'cy'].map((u) => aUser(u));
  const ts = [aTeam('team-a'), aTeam('team-b')];
  const before = aRoster({
    users,
    teams: ts,
    memberships: [
      ['ann', 'team-a'],
      ['bob', 'team-a'],
      ['cy', 'team-b'],
    ],
  });

  it('names a verified team whose members changed', () => {
    const after = aRoster({
      users,
      teams: ts,
      memberships: [
        ['ann', 'team-a'],
        ['cy', 'team-a'],
        ['cy', 'team-b'],
      ],
    });
    expect(findUnannouncedChanges(before, after, ['team-a', 'team-b'])).toEqual(['team-a']);
    expect(findUnannouncedChanges(before, after, ['team-b'])).toEqual([]);
  });

  it('does not count a user who left the user list: that removal was announced', () => {
    const after = aRoster({
      users: users.filter((u) => u.username !== 'bob'),
      teams: ts,
      memberships: [
        ['ann', 'team-a'],
        ['cy', 'team-b'],
      ],
    });
    expect(findUnannouncedChanges(before, after, ['team-a'])).toEqual([]);
  });
});

describe('countContradictions', () => {
  const listed: TeamHint[] = [
    { slug: 'a', version: 0, memberCount: 2 },
    { slug: 'b', version: 0, memberCount: 1 },
    { slug: 'c', version: 0, memberCount: null },
    { slug: 'd', version: 0, memberCount: 0 },
  ];
  const memberships = [
    { username: 'Ann', teamSlug: 'a' },
    { username: 'ann', teamSlug: 'a' },
    { username: 'bob', teamSlug: 'a' },
    { username: 'bob', teamSlug: 'b' },
    { username: 'cy', teamSlug: 'b' },
    { username: 'cy', teamSlug: 'c' },
    { username: 'dee', teamSlug: 'd' },
  ];

  it('names the teams read in full whose distinct members are not their listed memberCount', () => {
    expect(countContradictions(listed, ['a', 'b', 'c', 'd'], memberships)).toEqual([
      { slug: 'b', listed: 1, read: 2 },
      { slug: 'd', listed: 0, read: 1 },
    ]);
  });

  it('ignores teams not read this poll and teams listed without a count', () => {
    expect(countContradictions(listed, ['a', 'c'], memberships)).toEqual([]);
  });

  it('counts a team read with no members as 0', () => {
    expect(countContradictions([{ slug: 'e', version: 0, memberCount: 3 }], ['e'], [])).toEqual([
      { slug: 'e', listed: 3, read: 0 },
    ]);
  });
});

describe('decideHintsMark', () => {
  const contradiction = { slug: 'a', listed: 2, read: 3 };
  const at = (minutes: number) => new Date(NOW + minutes * MINUTE).toISOString();
  const base = { verifyIntervalMs: HOUR, now: at(0), checked: true, contradictions: [] };

  it('marks trusted hints on the first contradiction and leaves them alone otherwise', () => {
    expect(decideHintsMark({ ...base, lastContradictionAt: null, contradictions: [contradiction] })).toEqual({
      kind: 'mark',
      teamSlug: 'a',
    });
    expect(decideHintsMark({ ...base, lastContradictionAt: null })).toEqual({ kind: 'none' });
  });

  it('restarts the clean interval on another contradiction', () => {
    expect(
      decideHintsMark({ ...base, lastContradictionAt: at(-600), contradictions: [contradiction] }),
    ).toEqual({ kind: 'refresh' });
  });

  it('trusts them again once a whole verify interval passed without a contradiction', () => {
    expect(decideHintsMark({ ...base, lastContradictionAt: at(-59) })).toEqual({ kind: 'none' });
    expect(decideHintsMark({ ...base, lastContradictionAt: at(-60) })).toEqual({ kind: 'clear' });
  });

  it('decides nothing from a poll that read no team in full', () => {
    expect(decideHintsMark({ ...base, checked: false, lastContradictionAt: at(-600) })).toEqual({
      kind: 'none',
    });
    expect(
      decideHintsMark({
        ...base,
        checked: false,
        lastContradictionAt: null,
        contradictions: [contradiction],
      }),
    ).toEqual({ kind: 'none' });
  });
});

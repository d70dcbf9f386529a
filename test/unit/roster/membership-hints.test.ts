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

describe('verificationSliceSize', () => {
  it.each([
    // 300 teams, a poll a minute, verify hourly: 6 a poll, so 50 polls (90% of the hour) cover the org.
    [300, MINUTE, HOUR, 6],
    [300, 5 * MINUTE, HOUR, 28],
    [10, MINUTE, HOUR, 1],
    [300, 2 * HOUR, HOUR, 300],
    [0, MINUTE, HOUR, 0],
    [7, 0, HOUR, 1],
  ])('%i teams, poll every %i ms, verify %i ms → %i', (n, poll, verify, expected) => {
    expect(verificationSliceSize(n, poll, verify)).toBe(expected);
  });
});

describe('planTeamReads', () => {
  it('reads only the verification slice when nothing moved', () => {
    const listed = teams(300);
    const plan = planTeamReads(listed, stateFor(listed));
    expect(plan.changed).toEqual([]);
    expect(plan.verify).toHaveLength(6);
    expect(plan.carried).toHaveLength(294);
    expect(describeRequestPlan(plan)).toBe('requests planned: 2 lists + 0 changed teams + 6 verification');
  });

  it('reads new teams and teams whose version or memberCount moved, plus the slice', () => {
    const listed = teams(300);
    const state = stateFor(listed);
    const moved = listed.map((t, i) =>
      i === 3 ? { ...t, version: 2 } : i === 7 ? { ...t, memberCount: 4 } : t,
    );
    const plan = planTeamReads([...moved, { slug: 'team-new', version: 1, memberCount: 0 }], state);
    expect(plan.changed).toEqual(['team-0003', 'team-0007', 'team-new']);
    // 301 teams now: ceil(301 / 60) a poll.
    expect(plan.verify).toHaveLength(6);
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
    stored.set('team-0002', { ...listed[2]!, readAtMs: NOW - 50 * MINUTE });
    const plan = planTeamReads(listed, { ...state, stored });
    expect(plan.verify).toEqual(['team-0002']);
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
    expect(most).toBe(verificationSliceSize(300, MINUTE, HOUR));
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

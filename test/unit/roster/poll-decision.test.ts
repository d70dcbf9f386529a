import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findUnannouncedChanges } from '../../../src/roster/membership-hints.js';
import { type DecidePollInput, decidePoll } from '../../../src/roster/poll-decision.js';
import { evaluateRemovalGuard, mergeFailedScopes } from '../../../src/roster/safety.js';
import { aFetch, aRoster, arbitraryRoster, aTeam, aUser } from '../../helpers/builders.js';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const guard = { maxFraction: 0.2, min: 5, confirmations: 3 };
const tenUsers = Array.from({ length: 10 }, (_, i) => aUser(`u${i}`));
const previous = aRoster({
  users: tenUsers,
  teams: [aTeam('t1'), aTeam('t2')],
  memberships: tenUsers.map((u, i) => [u.username, i % 2 === 0 ? 't1' : 't2'] as [string, string]),
});

function input(overrides: Partial<DecidePollInput>): DecidePollInput {
  return {
    previous,
    outcome: { ok: true, fetched: aFetch(previous) },
    openHold: null,
    guard,
    consecutiveFailures: 0,
    failingSince: null,
    pollFailingAfter: 3,
    now: '2026-01-01T00:00:00.000Z',
    hashText: sha,
    ...overrides,
  };
}

function withoutUsers(count: number) {
  const users = tenUsers.slice(count);
  return aRoster({
    users,
    teams: previous.teams,
    memberships: previous.memberships
      .filter((m) => users.some((u) => u.username === m.username))
      .map((m) => [m.username, m.teamSlug] as [string, string]),
  });
}

describe('evaluateRemovalGuard', () => {
  it.each([
    // known, removed, trips
    [10, 0, false],
    [10, 2, false], // 20% is not more than 20%
    [10, 3, false], // 30% but fewer than min 5
    [20, 5, true], // 25% and 5
    [100, 20, false], // exactly 20%
    [100, 21, true],
    [0, 0, false],
  ])('known %i, removed %i → trips %s', (known, removed, trips) => {
    expect(evaluateRemovalGuard(known, removed, guard).trips).toBe(trips);
  });
});

describe('decidePoll', () => {
  it('records a baseline with one event, never a storm of additions', () => {
    const d = decidePoll(input({ previous: null }));
    expect(d.status).toBe('baseline');
    expect(d.events.map((e) => e.type)).toEqual(['rosterwatch.baseline']);
    expect(d.apply?.roster).toEqual(previous);
  });

  it('refuses a partial baseline', () => {
    const fetched = aFetch(previous, {
      failedScopes: [{ kind: 'team-members', teamSlug: 't1', reason: 'HTTP 500' }],
    });
    const d = decidePoll(input({ previous: null, outcome: { ok: true, fetched } }));
    expect(d.status).toBe('failed');
    expect(d.apply).toBeNull();
  });

  it('an unchanged poll applies nothing and emits nothing', () => {
    const d = decidePoll(input({}));
    expect(d).toMatchObject({ status: 'ok', apply: null, events: [] });
  });

  it('a failed fetch changes nothing', () => {
    const d = decidePoll(input({ outcome: { ok: false, error: 'boom' } }));
    expect(d).toMatchObject({ status: 'failed', apply: null, events: [], error: 'boom' });
  });

  it('announces failing on the Nth consecutive failure only, and recovery after', () => {
    expect(decidePoll(input({ outcome: { ok: false, error: 'x' }, consecutiveFailures: 1 })).events).toEqual(
      [],
    );
    const third = decidePoll(
      input({ outcome: { ok: false, error: 'x' }, consecutiveFailures: 2, failingSince: 'T0' }),
    );
    expect(third.events).toEqual([
      {
        type: 'rosterwatch.poll.failing',
        subject: 'poll',
        data: { poll: 'roster', consecutiveFailures: 3, lastError: 'x', since: 'T0' },
      },
    ]);
    expect(decidePoll(input({ outcome: { ok: false, error: 'x' }, consecutiveFailures: 3 })).events).toEqual(
      [],
    );
    const back = decidePoll(input({ consecutiveFailures: 4, failingSince: 'T0' }));
    expect(back.events.map((e) => e.type)).toEqual(['rosterwatch.poll.recovered']);
  });

  it('a partial poll keeps the failed scope and reports no removal from it', () => {
    // team t1 could not be read and came back empty; t2 lost u1.
    const fetchedRoster = aRoster({
      users: tenUsers,
      teams: previous.teams,
      memberships: previous.memberships
        .filter((m) => m.teamSlug === 't2' && m.username !== 'u1')
        .map((m) => [m.username, m.teamSlug] as [string, string]),
    });
    const fetched = aFetch(fetchedRoster, {
      failedScopes: [{ kind: 'team-members', teamSlug: 't1', reason: 'HTTP 502' }],
    });
    const d = decidePoll(input({ outcome: { ok: true, fetched } }));
    expect(d.status).toBe('partial');
    expect(d.events).toEqual([
      {
        type: 'victorops.membership.removed',
        subject: 'u1',
        data: { username: 'u1', team: { slug: 't2', name: 'Team t2' } },
      },
    ]);
  });

  it('a failed user scope keeps that user’s memberships', () => {
    const fetchedRoster = aRoster({ users: tenUsers, teams: previous.teams, memberships: [] });
    const merged = mergeFailedScopes(
      previous,
      fetchedRoster,
      tenUsers.map((u) => ({ kind: 'user-teams' as const, username: u.username, reason: 'x' })),
    );
    expect(merged).toEqual(previous);
  });

  it('holds a mass removal, confirms it, then applies it on the Nth agreeing poll', () => {
    const fetched = aFetch(withoutUsers(6));
    const first = decidePoll(input({ outcome: { ok: true, fetched } }));
    expect(first.status).toBe('held');
    expect(first.apply).toBeNull();
    expect(first.events).toHaveLength(1);
    expect(first.events[0]).toMatchObject({
      type: 'rosterwatch.guard.held',
      data: { removedUsers: 6, knownUsers: 10, confirmations: 1 },
    });
    if (first.hold.kind !== 'open') throw new Error('expected a hold');
    const hold = { id: 1, firstRunId: 7, removalHash: first.hold.removalHash, confirmations: 1 };
    const second = decidePoll(input({ outcome: { ok: true, fetched }, openHold: hold }));
    expect(second).toMatchObject({ status: 'held', events: [], hold: { kind: 'confirm', confirmations: 2 } });
    const third = decidePoll(
      input({ outcome: { ok: true, fetched }, openHold: { ...hold, confirmations: 2 } }),
    );
    expect(third.status).toBe('ok');
    expect(third.hold).toEqual({ kind: 'release', holdId: 1, how: 'confirmed' });
    expect(third.events.filter((e) => e.type === 'victorops.user.removed')).toHaveLength(6);
    expect(third.events[0]).toMatchObject({
      type: 'rosterwatch.guard.released',
      data: { how: 'confirmed', heldSinceRunId: 7 },
    });
  });

  it('a different removal set opens a new hold instead of confirming', () => {
    const first = decidePoll(input({ outcome: { ok: true, fetched: aFetch(withoutUsers(6)) } }));
    if (first.hold.kind !== 'open') throw new Error('expected a hold');
    const hold = { id: 1, firstRunId: 7, removalHash: first.hold.removalHash, confirmations: 2 };
    const other = decidePoll(
      input({ outcome: { ok: true, fetched: aFetch(withoutUsers(7)) }, openHold: hold }),
    );
    expect(other.status).toBe('held');
    expect(other.hold.kind).toBe('open');
  });

  it('accept applies a held change at once', () => {
    const fetched = aFetch(withoutUsers(6));
    const hold = { id: 4, firstRunId: 2, removalHash: 'x', confirmations: 1 };
    const d = decidePoll(input({ outcome: { ok: true, fetched }, openHold: hold, accept: true }));
    expect(d.status).toBe('ok');
    expect(d.hold).toEqual({ kind: 'release', holdId: 4, how: 'accepted' });
    expect(d.apply?.roster).toEqual(fetched.roster);
  });

  it('drops a hold when the removal no longer happens', () => {
    const hold = { id: 4, firstRunId: 2, removalHash: 'x', confirmations: 1 };
    const d = decidePoll(input({ openHold: hold }));
    expect(d).toMatchObject({ status: 'ok', hold: { kind: 'drop', holdId: 4 }, events: [] });
  });
});

describe('decidePoll: the team guard', () => {
  it('holds a poll whose team list came back empty instead of removing every team', () => {
    const teams = Array.from({ length: 8 }, (_, i) => aTeam(`t${i}`));
    const withTeams = aRoster({
      users: tenUsers,
      teams,
      memberships: tenUsers.map((u, i) => [u.username, `t${i % 8}`] as [string, string]),
    });
    const emptyTeams = aRoster({ users: tenUsers, teams: [], memberships: [] });
    const d = decidePoll(input({ previous: withTeams, outcome: { ok: true, fetched: aFetch(emptyTeams) } }));
    expect(d.status).toBe('held');
    expect(d.apply).toBeNull();
    expect(d.recorded).toBe(withTeams);
    expect(d.events[0]).toMatchObject({
      type: 'rosterwatch.guard.held',
      data: { removedUsers: 0, removedTeams: 8, knownTeams: 8 },
    });
  });
});

describe('the verification catches', () => {
  const slugs = ['team-a', 'team-b', 'team-c', 'team-d'];
  it('are findUnannouncedChanges of the whole rosters, though it is handed the verified teams only (property)', () => {
    fc.assert(
      fc.property(
        arbitraryRoster,
        arbitraryRoster,
        fc.subarray(slugs),
        fc.subarray(slugs),
        (before, now, verified, carried) => {
          const hints = { listed: [], read: verified, carried, verified };
          const decision = decidePoll(
            input({ previous: before, outcome: { ok: true, fetched: aFetch(now, { hints }) }, accept: true }),
          );
          const effective = mergeFailedScopes(before, now, [], carried);
          expect(decision.verifyCatches).toEqual(findUnannouncedChanges(before, effective, verified));
        },
      ),
      { numRuns: 300 },
    );
  });
});

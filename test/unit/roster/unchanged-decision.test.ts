/**
 * decideUnchangedPoll (roster/poll-decision.ts) against decidePoll: for a fetch that leaves the
 * recorded roster as it is (the same roster, some teams carried by the hints), with any open hold,
 * failure streak, hints mark and contradicted counts, it decides exactly what decidePoll decides,
 * except that it carries no roster (the caller has the counts).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DecidePollInput, decidePoll, decideUnchangedPoll } from '../../../src/roster/poll-decision.js';
import type { FetchedRoster, Roster } from '../../../src/roster/types.js';
import { aFetch, aRoster, arbitraryRoster, aTeam, aUser } from '../../helpers/builders.js';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');

/** The roster as a hinted fetch reads it: the carried teams' members not read. */
function hintedFetch(roster: Roster, carried: readonly string[], contradicted: boolean): FetchedRoster {
  const notRead = new Set(carried);
  const read = roster.teams.map((t) => t.slug).filter((slug) => !notRead.has(slug));
  const first = read[0];
  return aFetch(
    { ...roster, memberships: roster.memberships.filter((m) => !notRead.has(m.teamSlug)) },
    carried.length === 0 && !contradicted
      ? {}
      : {
          hints: {
            listed: [],
            read,
            carried: [...carried],
            verified: read.slice(0, 1),
            ...(contradicted && first !== undefined
              ? { contradicted: [{ slug: first, listed: 3, read: 4 }] }
              : {}),
          },
        },
  );
}

const arbitraryCase = arbitraryRoster.chain((roster) =>
  fc.record({
    roster: fc.constant(roster),
    carried: fc.subarray(roster.teams.map((t) => t.slug)),
    contradicted: fc.boolean(),
    hold: fc.option(
      fc.record({
        id: fc.nat(9),
        firstRunId: fc.nat(9),
        removalHash: fc.constant('h'),
        confirmations: fc.nat(2),
      }),
      { nil: null },
    ),
    failures: fc.nat(5),
    hints: fc.option(
      fc.record({
        lastContradictionAt: fc.option(
          fc.constantFrom('2025-12-31T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
          { nil: null },
        ),
        verifyIntervalMs: fc.constantFrom(60_000, 86_400_000),
      }),
      { nil: undefined },
    ),
  }),
);

describe('decideUnchangedPoll', () => {
  it('decides what decidePoll decides for a fetch that leaves the recorded roster as it is (property)', () => {
    fc.assert(
      fc.property(arbitraryCase, ({ roster, carried, contradicted, hold, failures, hints }) => {
        const fetched = hintedFetch(roster, carried, contradicted);
        const input: Omit<DecidePollInput, 'previous'> = {
          outcome: { ok: true, fetched },
          openHold: hold,
          guard: { maxFraction: 0.2, min: 1, confirmations: 2 },
          consecutiveFailures: failures,
          failingSince: failures > 0 ? '2025-12-31T12:00:00.000Z' : null,
          pollFailingAfter: 3,
          now: '2026-01-01T00:00:00.000Z',
          hashText: sha,
          ...(hints ? { hints } : {}),
        };
        const full = decidePoll({ ...input, previous: roster });
        expect(full.apply).toBeNull();
        expect(decideUnchangedPoll(input, roster.teams)).toEqual({ ...full, recorded: null });
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a fetch with a failed scope or a failed fetch: those are never "unchanged"', () => {
    const roster = aRoster({ users: [aUser('ann')], teams: [aTeam('t1')], memberships: [['ann', 't1']] });
    const base = {
      openHold: null,
      guard: { maxFraction: 0.2, min: 1, confirmations: 2 },
      consecutiveFailures: 0,
      failingSince: null,
      pollFailingAfter: 3,
      now: '2026-01-01T00:00:00.000Z',
      hashText: sha,
    };
    const partial = aFetch(
      { ...roster, memberships: [] },
      { failedScopes: [{ kind: 'team-members', teamSlug: 't1', reason: 'HTTP 500' }] },
    );
    expect(() =>
      decideUnchangedPoll({ ...base, outcome: { ok: true, fetched: partial } }, roster.teams),
    ).toThrow(/complete, successful fetch/);
    expect(() =>
      decideUnchangedPoll({ ...base, outcome: { ok: false, error: 'HTTP 503' } }, roster.teams),
    ).toThrow(/complete, successful fetch/);
  });
});

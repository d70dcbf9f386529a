/**
 * The unchanged poll's short cut (poll-cycle.ts: loadUnchangedRecord + decideUnchangedPoll): a poll
 * whose fingerprints say the fetch leaves the recorded roster as it is records its run without
 * rebuilding the roster as objects. Held to the full path: for random recorded histories and
 * random fetches (the last roster again, small edits, another roster; a username respelled, teams
 * carried by the hints or failed), the same poll on a copy of the database whose team fingerprints
 * are not trusted (so it takes the full path) writes the same rows (history, runs, events,
 * fingerprints, hints, findings) and reports the same result; and the short cut is taken exactly
 * when the full path writes no history and is not partial.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/clock.js';
import { type PollResult, runPollCycle } from '../../../src/cycles/poll-cycle.js';
import { normaliseRoster } from '../../../src/roster/normalise.js';
import type { Policy } from '../../../src/roster/policy-types.js';
import type { FetchedRoster, Roster } from '../../../src/roster/types.js';
import { openStore, type Store } from '../../../src/store/db.js';
import { loadOpenFindings } from '../../../src/store/findings.js';
import { aFetch, aRoster, arbitraryRoster, aTeam, aUser } from '../../helpers/builders.js';
import { createCapturingLogger } from '../../helpers/capture-logger.js';
import { editedFetch, type FetchEdit } from '../../helpers/edited-fetch.js';
import { recordPolicyBaseline } from '../../helpers/policy-baseline.js';
import { recordRosters } from '../../helpers/record-rosters.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { dumpStore, UUID } from '../../helpers/store-dump.js';

const SHORT_CUT = 'poll unchanged by its fingerprints';
const CLOCK: Clock = { now: () => Date.parse('2026-03-01T00:00:00.000Z'), sleep: async () => {} };

/** The fetch as a poll would get it (edited-fetch.ts), and maybe a team read that contradicts its member count. */
function asFetched(roster: Roster, edit: FetchEdit & { contradicted: boolean }): FetchedRoster {
  const { roster: read, failedScopes, carried, read: teamsRead } = editedFetch(roster, edit);
  const first = teamsRead[0];
  const contradicted = edit.contradicted && first !== undefined ? [{ slug: first, listed: 1, read: 2 }] : [];
  return aFetch(read, {
    failedScopes,
    ...(carried.length > 0 || contradicted.length > 0
      ? {
          hints: {
            listed: read.teams.map((t, i) => ({ slug: t.slug, version: i, memberCount: null })),
            read: teamsRead,
            carried,
            verified: teamsRead.slice(0, 1),
            contradicted,
          },
        }
      : {}),
  });
}

/** A policy paging two of the generators' users and a team, so the findings depend on the roster. */
const POLICY: Policy = {
  slug: 'pol-a',
  name: 'Team A primary',
  teamSlug: 'team-a',
  steps: [
    {
      index: 1,
      timeout: 5,
      entries: [
        { kind: 'user', username: 'ann' },
        { kind: 'user', username: 'Bob' },
      ],
    },
  ],
};

async function poll(
  store: Store,
  fetched: FetchedRoster,
): Promise<{ result: PollResult; shortCut: boolean }> {
  const { logger, lines } = createCapturingLogger();
  const result = await runPollCycle(
    {
      store,
      clock: CLOCK,
      logger,
      source: 'urn:test',
      destinations: [],
      guard: { maxFraction: 1, min: 1_000_000, confirmations: 1 },
      pollFailingAfter: 3,
      membershipHints: { setting: 'auto', verifyIntervalMs: 60_000 },
      fetchRoster: async () => fetched,
    },
    new AbortController().signal,
  );
  return { result, shortCut: lines().some((line) => line.includes(SHORT_CUT)) };
}

function copyOf(store: Store): Store {
  const path = join(scratchDir('rw-unchanged-'), 'db.sqlite');
  store.sqlite.exec(`VACUUM INTO '${path}'`);
  return openStore(path);
}

const HISTORY_TABLES = ['users', 'teams', 'memberships'];

function history(store: Store): string[][] {
  const rows = dumpStore(store);
  return HISTORY_TABLES.map((table) => rows[table] ?? []);
}

function reported(result: PollResult) {
  const { runId, events, durationMs, fetched, ...rest } = result;
  return { ...rest, events: JSON.stringify(events).replace(UUID, 'id') };
}

const arbitraryEdit = fc.record({
  respell: fc.boolean(),
  carried: fc.array(fc.nat(3), { maxLength: 4 }),
  failed: fc.array(fc.nat(3), { maxLength: 2 }),
  contradicted: fc.boolean(),
});

/** The last roster again (most often: the short cut), a small edit of it, or another roster. */
const arbitraryNext = (last: Roster) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(last) },
    {
      weight: 2,
      arbitrary: fc
        .record({
          drop: fc.option(fc.nat(19), { nil: null }),
          email: fc.option(fc.nat(7), { nil: null }),
          rename: fc.option(fc.nat(3), { nil: null }),
        })
        .map(({ drop, email, rename }) =>
          normaliseRoster({
            users: last.users.map((u, i) => (i === email ? { ...u, email: 'edited@x.io' } : u)),
            teams: last.teams.map((t, i) => (i === rename ? { ...t, name: `${t.name} renamed` } : t)),
            memberships: last.memberships.filter((_, i) => i !== drop),
          }),
        ),
    },
    { weight: 1, arbitrary: arbitraryRoster },
  );

describe('the unchanged poll’s short cut', () => {
  it('records and reports what the full path does, and is taken exactly when the full path changes nothing (property)', async () => {
    let taken = 0;
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(arbitraryRoster, { minLength: 1, maxLength: 3 })
          .chain((history) => fc.tuple(fc.constant(history), arbitraryNext(history[history.length - 1]!))),
        fc.array(arbitraryEdit, { minLength: 1, maxLength: 2 }),
        fc.boolean(),
        async ([rosters, next], edits, policies) => {
          const store = await recordRosters(rosters);
          if (policies) recordPolicyBaseline(store, [POLICY]);
          // The full path: the same database with its team fingerprints not trusted (as after an
          // older build's run), which the fingerprint read answers from the history instead.
          const full = copyOf(store);
          try {
            // Two polls in a row: the second sees what the first recorded (its hints, its fingerprints).
            for (const edit of edits) {
              const fetched = asFetched(next, edit);
              full.sqlite.exec("DELETE FROM meta WHERE key = 'roster_fingerprints_run'");
              const before = history(full);
              const viaFull = await poll(full, fetched);
              const viaShortCut = await poll(store, fetched);
              expect(viaFull.shortCut).toBe(false);
              expect(reported(viaShortCut.result)).toEqual(reported(viaFull.result));
              const untrusted = (rows: Record<string, string[]>) => ({
                ...rows,
                // The coverage memo too: only the short cut writes it (coverage-carry.test.ts).
                meta: (rows.meta ?? []).filter(
                  (row) =>
                    !row.includes('roster_fingerprints_run') && !row.includes('findings.coverage.memo'),
                ),
              });
              expect(untrusted(dumpStore(store))).toEqual(untrusted(dumpStore(full)));
              const unchanged = viaFull.result.status === 'ok' && sameRows(before, history(full));
              expect(viaShortCut.shortCut).toBe(unchanged);
              if (viaShortCut.shortCut) taken++;
            }
          } finally {
            store.close();
            full.close();
          }
        },
      ),
      { numRuns: 60 },
    );
    // The property is about the short cut: most draws must take it.
    expect(taken).toBeGreaterThan(10);
  });
});

function sameRows(a: string[][], b: string[][]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Three teams (one empty) and four users; the second poll carries team-b and team-c, reads team-a. */
function org(): Roster {
  return aRoster({
    users: [aUser('ann'), aUser('Bob'), aUser('cy'), aUser('dee')],
    teams: [aTeam('team-a'), aTeam('team-b'), aTeam('team-c')],
    memberships: [
      ['ann', 'team-a'],
      ['Bob', 'team-a'],
      ['Bob', 'team-b'],
      ['cy', 'team-b'],
    ],
  });
}

function hinted(roster: Roster, overrides: Partial<FetchedRoster> = {}): FetchedRoster {
  const carried = ['team-b', 'team-c'];
  return aFetch(
    { ...roster, memberships: roster.memberships.filter((m) => !carried.includes(m.teamSlug)) },
    { hints: { listed: [], read: ['team-a'], carried, verified: [] }, ...overrides },
  );
}

/** The org without `slug`, read with hints that carry `carried` and read the rest. */
function withoutTeam(roster: Roster, slug: string, carried: string[]): FetchedRoster {
  const teams = roster.teams.filter((t) => t.slug !== slug);
  return aFetch(
    {
      ...roster,
      teams,
      memberships: roster.memberships.filter((m) => m.teamSlug !== slug && !carried.includes(m.teamSlug)),
    },
    {
      hints: {
        listed: [],
        read: teams.map((t) => t.slug).filter((s) => !carried.includes(s)),
        carried,
        verified: [],
      },
    },
  );
}

describe('the unchanged poll’s short cut, where it must not be taken', () => {
  it('is taken for the same org read with hints, and records a run that changes nothing', async () => {
    const store = await recordRosters([org()]);
    try {
      const { result, shortCut } = await poll(store, hinted(org()));
      expect(shortCut).toBe(true);
      expect(result).toMatchObject({ status: 'ok', changes: 0, events: [] });
      const run = store.sqlite
        .prepare('SELECT user_count, team_count, membership_count, change_count FROM runs WHERE id = ?')
        .get(result.runId);
      expect(run).toEqual({ user_count: 4, team_count: 3, membership_count: 4, change_count: 0 });
    } finally {
      store.close();
    }
  });

  it('with a policy baseline, counts a carried team’s stored members for the coverage findings', async () => {
    const store = await recordRosters([org()]);
    try {
      recordPolicyBaseline(store, [POLICY]);
      const { shortCut } = await poll(store, hinted(org()));
      expect(shortCut).toBe(true);
      // team-b is carried with two members and no policy, team-c carried and empty, team-a read
      // and paged by the policy: a carried team counted empty would be "without members".
      const keys = loadOpenFindings(store).map((o) => o.finding.key);
      expect(keys.sort()).toEqual(['team_without_members:team-c', 'team_without_policy:team-b']);
    } finally {
      store.close();
    }
  });

  it('with a policy baseline, leaves the open findings it sees unchanged alone and records itself as their seen run', async () => {
    const store = await recordRosters([org()]);
    try {
      recordPolicyBaseline(store, [POLICY]);
      const first = await poll(store, hinted(org()));
      const second = await poll(store, hinted(org()));
      expect(second.shortCut).toBe(true);
      // The real cycle's diff covers every open coverage finding, so the rows keep the run that
      // opened them and the family's seen run moves (store/findings.ts): what keeps the poll's WAL small.
      const rows = store.sqlite.prepare('SELECT DISTINCT last_run_id AS run FROM findings').all();
      expect(rows).toEqual([{ run: first.result.runId }]);
      const seen = store.sqlite
        .prepare("SELECT value FROM meta WHERE key = 'findings.coverage.seen_run'")
        .get() as { value: string };
      expect(Number(seen.value)).toBe(second.result.runId);
      expect(new Set(loadOpenFindings(store).map((o) => o.lastRunId))).toEqual(
        new Set([second.result.runId]),
      );
    } finally {
      store.close();
    }
  });

  const edits: [string, (r: Roster) => FetchedRoster, { status: string; changes: number }][] = [
    [
      'one user’s address changed',
      (r) =>
        hinted({ ...r, users: r.users.map((u) => (u.username === 'cy' ? { ...u, email: 'new@x.io' } : u)) }),
      { status: 'ok', changes: 1 },
    ],
    // Not a change event, but the history records the new spelling.
    [
      'a username respelled',
      (r) =>
        hinted(
          normaliseRoster({
            users: r.users.map((u) => (u.username === 'ann' ? { ...u, username: 'Ann' } : u)),
            teams: r.teams,
            memberships: r.memberships.map((m) => (m.username === 'ann' ? { ...m, username: 'Ann' } : m)),
          }),
        ),
      { status: 'ok', changes: 0 },
    ],
    [
      'a user added',
      (r) => hinted(normaliseRoster({ ...r, users: [...r.users, aUser('eve')] })),
      { status: 'ok', changes: 1 },
    ],
    [
      'a user removed (with a membership of a carried team)',
      (r) =>
        hinted({
          ...r,
          users: r.users.filter((u) => u.username !== 'cy'),
          memberships: r.memberships.filter((m) => m.username !== 'cy'),
        }),
      { status: 'ok', changes: 2 },
    ],
    [
      'a team renamed',
      (r) =>
        hinted({ ...r, teams: r.teams.map((t) => (t.slug === 'team-c' ? aTeam('team-c', 'Renamed') : t)) }),
      { status: 'ok', changes: 1 },
    ],
    // Found by review: no case removed a team, so dropping the team count check passed every test.
    ['an empty team removed', (r) => withoutTeam(r, 'team-c', ['team-b']), { status: 'ok', changes: 1 }],
    [
      'a team with members removed',
      (r) => withoutTeam(r, 'team-b', ['team-c']),
      { status: 'ok', changes: 3 },
    ],
    [
      'a team read (its hint moved) with a member fewer',
      (r) => hinted({ ...r, memberships: r.memberships.filter((m) => m.username !== 'ann') }),
      { status: 'ok', changes: 1 },
    ],
    [
      'a team read (its hint moved) with a member more',
      (r) =>
        hinted(
          normaliseRoster({ ...r, memberships: [...r.memberships, { username: 'dee', teamSlug: 'team-a' }] }),
        ),
      { status: 'ok', changes: 1 },
    ],
    [
      'a failed team scope: partial, and its members not reported as removed',
      (r) =>
        hinted(
          { ...r, memberships: r.memberships.filter((m) => m.teamSlug !== 'team-a') },
          { failedScopes: [{ kind: 'team-members', teamSlug: 'team-a', reason: 'HTTP 500' }] },
        ),
      { status: 'partial', changes: 0 },
    ],
  ];

  it.each(edits)('is not taken when %s', async (name, fetch, outcome) => {
    const store = await recordRosters([org()]);
    try {
      const { result, shortCut } = await poll(store, fetch(org()));
      expect(shortCut).toBe(false);
      expect(result).toMatchObject(outcome);
      if (name === 'a username respelled') {
        const spelled = store.sqlite
          .prepare("SELECT username FROM users WHERE username_key = 'ann' AND valid_to IS NULL")
          .pluck()
          .get();
        expect(spelled).toBe('Ann');
      }
    } finally {
      store.close();
    }
  });

  it('is not taken when a carried team’s stored member list no longer hashes to its fingerprint', async () => {
    const store = await recordRosters([org()]);
    try {
      store.sqlite.exec("UPDATE team_fingerprints SET member_keys = 'cy' WHERE team_slug = 'team-b'");
      const { result, shortCut } = await poll(store, hinted(org()));
      expect(shortCut).toBe(false);
      expect(result).toMatchObject({ status: 'ok', changes: 0 });
      // The full path wrote the list again, so the next unchanged poll takes the short cut.
      expect((await poll(store, hinted(org()))).shortCut).toBe(true);
    } finally {
      store.close();
    }
  });
});

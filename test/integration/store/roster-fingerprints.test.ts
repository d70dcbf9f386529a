/**
 * The fingerprint read (store/roster-fingerprints.ts) against the full read (loadCurrentRoster):
 * for random recorded histories and random fetches (edits, a username's case changing, teams
 * carried by the hints or failed), the recorded roster it rebuilds is the same, so the poll's
 * decision finds exactly the same changes. Recorded through runPollCycle, as the daemon does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprintHash } from '../../../src/cycles/poll-cycle.js';
import { fingerprintRoster, type KnownTeamPrints } from '../../../src/roster/fingerprint.js';
import {
  type NormalisedUsers,
  normaliseRoster,
  recordedUsersOf,
  rosterWithKnownUsers,
} from '../../../src/roster/normalise.js';
import { decidePoll } from '../../../src/roster/poll-decision.js';
import type { FetchedRoster, Roster } from '../../../src/roster/types.js';
import { MIGRATIONS_FOLDER, openStore, type Store } from '../../../src/store/db.js';
import { loadCurrentRoster } from '../../../src/store/history.js';
import { writeMeta } from '../../../src/store/meta.js';
import { loadFingerprints, loadPreviousByFingerprint } from '../../../src/store/roster-fingerprints.js';
import { latestRosterRunId } from '../../../src/store/runs.js';
import { loadKnownUserList } from '../../../src/store/user-list-digest.js';
import { aFetch, aRoster, arbitraryRoster, aTeam, aUser } from '../../helpers/builders.js';
import { editedFetch, type FetchEdit } from '../../helpers/edited-fetch.js';
import { withPreparedSql } from '../../helpers/prepared-sql.js';
import { pollOnce, recordRosters } from '../../helpers/record-rosters.js';

/** The fetch as a poll would get it: one username respelled, some teams carried or failed (members not read). */
function asFetched(roster: Roster, edit: FetchEdit): FetchedRoster {
  const { roster: read, failedScopes, carried } = editedFetch(roster, edit);
  return aFetch(read, {
    failedScopes,
    ...(carried.length > 0
      ? { hints: { listed: [], read: [], carried, verified: read.teams.map((t) => t.slug) } }
      : {}),
  });
}

/**
 * The state of the member lists stored beside the team fingerprints (migration 0016) when the poll
 * reads: as the poll wrote them; as a history written by the build before 0016 gets them from the
 * migration's back-fill; missing (null); or one of them stale (not the team's members any more).
 */
type Lists = 'written' | 'migrated' | 'missing' | 'stale';

/** The history as the build before migration 0016 left it (no member lists), then migrated again. */
function migratedFromBefore0016(store: Store): Store {
  const m16 = (
    JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
      entries: { tag: string; when: number }[];
    }
  ).entries.find((e) => e.tag === '0016_team_member_lists');
  if (m16 === undefined) throw new Error('no migration 0016_team_member_lists');
  // 0016 and the migrations after it run again (each of them can: 0017 replaces triggers).
  store.sqlite.exec(`ALTER TABLE team_fingerprints DROP COLUMN member_keys;
    DELETE FROM __drizzle_migrations WHERE created_at >= ${m16.when};`);
  const path = store.path;
  store.close();
  return openStore(path);
}

function withLists(store: Store, lists: Lists, pick: number): Store {
  if (lists === 'migrated') return migratedFromBefore0016(store);
  if (lists === 'missing') store.sqlite.exec('UPDATE team_fingerprints SET member_keys = NULL');
  if (lists === 'stale') {
    // One team's list names someone else (or no one): it no longer hashes to the fingerprint.
    const slugs = store.sqlite
      .prepare('SELECT team_slug FROM team_fingerprints ORDER BY team_slug')
      .pluck()
      .all();
    const slug = slugs[pick % Math.max(slugs.length, 1)];
    store.sqlite
      .prepare(
        "UPDATE team_fingerprints SET member_keys = CASE member_keys WHEN 'ann' THEN '' ELSE 'ann' END WHERE team_slug = ?",
      )
      .run(slug ?? '');
  }
  return store;
}

/** Three teams, one of them empty, and a username with capitals. */
function threeTeams(): Roster {
  return aRoster({
    users: [aUser('Ann'), aUser('bob'), aUser('cy')],
    teams: [aTeam('team-a'), aTeam('team-b'), aTeam('team-c')],
    memberships: [
      ['Ann', 'team-a'],
      ['bob', 'team-a'],
      ['bob', 'team-b'],
      ['cy', 'team-b'],
    ],
  });
}

/** threeTeams()'s member lists as stored beside the fingerprints: sorted keys, one a line. */
const THREE_TEAMS_LISTS = [
  ['team-a', 'ann\nbob'],
  ['team-b', 'bob\ncy'],
  ['team-c', ''],
];

function storedLists(store: Store): unknown[] {
  return store.sqlite
    .prepare('SELECT team_slug, member_keys FROM team_fingerprints ORDER BY team_slug')
    .raw()
    .all();
}

/** The fingerprint read of `fetched`, as the poll runs it. */
function rebuild(store: Store, fetched: FetchedRoster): Roster | null {
  return loadPreviousByFingerprint(
    store,
    fetched,
    fingerprintRoster(fetched.roster, fingerprintHash),
    loadFingerprints(store),
    fingerprintHash,
  );
}

function decide(previous: Roster, fetched: FetchedRoster) {
  const decision = decidePoll({
    previous,
    outcome: { ok: true, fetched },
    openHold: null,
    guard: { maxFraction: 1, min: 1_000_000, confirmations: 1 },
    consecutiveFailures: 0,
    failingSince: null,
    pollFailingAfter: 3,
    now: '2026-01-01T00:00:00.000Z',
    hashText: fingerprintHash,
  });
  return {
    diff: decision.apply?.diff ?? null,
    events: decision.events,
    unannounced: decision.verifyCatches,
  };
}

const arbitraryEdit = fc.record({
  respell: fc.boolean(),
  carried: fc.array(fc.nat(3), { maxLength: 3 }),
  failed: fc.array(fc.nat(2), { maxLength: 2 }),
});

/** Mostly small edits of the last recorded roster (most teams and users unchanged), sometimes another roster. */
const arbitraryNext = (last: Roster) =>
  fc.oneof(
    fc
      .record({ drop: fc.option(fc.nat(19), { nil: null }), email: fc.option(fc.nat(7), { nil: null }) })
      .map(({ drop, email }) =>
        normaliseRoster({
          users: last.users.map((u, i) => (i === email ? { ...u, email: 'edited@x.io' } : u)),
          teams: last.teams,
          memberships: last.memberships.filter((_, i) => i !== drop),
        }),
      ),
    arbitraryRoster,
  );

describe('the fingerprint read', () => {
  it('rebuilds the recorded roster exactly, so a poll finds the same changes as with the full read (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(arbitraryRoster, { minLength: 1, maxLength: 3 })
          .chain((history) => fc.tuple(fc.constant(history), arbitraryNext(history[history.length - 1]!))),
        arbitraryEdit,
        fc.constantFrom<Lists>('written', 'migrated', 'missing', 'stale'),
        fc.nat(3),
        async ([history, next], edit, lists, pick) => {
          const store = withLists(await recordRosters(history), lists, pick);
          try {
            const fetched = asFetched(next, edit);
            const full = loadCurrentRoster(store);
            const known: KnownTeamPrints['teams'] = new Map();
            const byPrints = loadPreviousByFingerprint(
              store,
              fetched,
              fingerprintRoster(fetched.roster, fingerprintHash),
              loadFingerprints(store),
              fingerprintHash,
              known,
            );
            expect(byPrints).not.toBeNull();
            expect(byPrints).toEqual(full);
            expect(decide(byPrints!, fetched)).toEqual(decide(full!, fetched));
            // The teams it says it knows have the fingerprints and lists computed from what it rebuilt.
            const computed = fingerprintRoster(byPrints!, fingerprintHash);
            for (const [slug, print] of known) {
              expect(print.fingerprint).toBe(computed.teams.get(slug));
              expect(print.list).toBe(computed.teamMembers.get(slug));
            }
          } finally {
            store.close();
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it('rebuilds the recorded roster exactly from a known user list, without parsing the list (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbitraryRoster, { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(40), { maxLength: 4 }),
        arbitraryEdit,
        fc.constantFrom<Lists>('written', 'migrated', 'missing', 'stale'),
        fc.nat(3),
        async (history, drops, edit, lists, pick) => {
          const store = withLists(await recordRosters(history), lists, pick);
          try {
            const full = loadCurrentRoster(store)!;
            // The recorded users again, some memberships gone: what a known list's poll fetches.
            const next = {
              ...full,
              memberships: full.memberships.filter((_, i) => !drops.includes(i)),
            };
            const { roster: read, failedScopes, carried } = editedFetch(next, { ...edit, respell: false });
            // The store vouches for a list of these users (its digest names the latest roster run).
            writeMeta(store, 'user_list_digest', `${latestRosterRunId(store)} digest`);
            const recorded = loadKnownUserList(store)!.load()!;
            let parsed = 0;
            const list = {
              get users() {
                parsed++;
                return read.users;
              },
            } as NormalisedUsers;
            const fetched = aFetch(
              rosterWithKnownUsers(list, recorded, { teams: read.teams, memberships: read.memberships }),
              {
                failedScopes,
                ...(carried.length > 0
                  ? { hints: { listed: [], read: [], carried, verified: read.teams.map((t) => t.slug) } }
                  : {}),
              },
            );
            const byPrints = loadPreviousByFingerprint(
              store,
              fetched,
              fingerprintRoster(fetched.roster, fingerprintHash, undefined, recorded.prints),
              loadFingerprints(store, recorded),
              fingerprintHash,
            );
            expect(parsed).toBe(0);
            expect(byPrints).not.toBeNull();
            expect(recordedUsersOf(byPrints!)).toBe(recorded);
            const decided = decide(byPrints!, fetched);
            expect(parsed).toBe(0);
            expect(decided).toEqual(decide(full, fetched));
            expect(byPrints).toEqual(full);
          } finally {
            store.close();
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it('leaves every current user with the fingerprint of the recorded roster after any history of polls (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbitraryRoster, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(3), { maxLength: 3 }),
        async (history, repeats) => {
          // Repeats: polls that change nothing, whose fingerprint writes saveFingerprints skips.
          const polls = [...history];
          for (const at of repeats)
            polls.splice(Math.min(at, polls.length), 0, polls[Math.min(at, polls.length - 1)]!);
          const store = await recordRosters(polls);
          try {
            const { keys, prints } = loadFingerprints(store);
            const stored = new Map(keys.map((key, i) => [key, prints[i]]));
            const recorded = fingerprintRoster(loadCurrentRoster(store)!, fingerprintHash).users;
            expect(stored).toEqual(recorded);
          } finally {
            store.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('leaves every current team with the fingerprint and member list of the recorded roster after any polls, hinted ones included (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(arbitraryRoster, arbitraryEdit, fc.boolean()), { minLength: 1, maxLength: 4 }),
        async (polls) => {
          // The first poll reads every team; later ones carry some (hints) or fail some, as asFetched
          // makes them, of another roster or of the one before again (an unchanged hinted poll).
          let last = polls[0]![0];
          const store = await recordRosters([last]);
          try {
            for (const [roster, edit, again] of polls.slice(1)) {
              if (!again) last = roster;
              await pollOnce(store, () => asFetched(last, edit));
            }
            const recorded = fingerprintRoster(loadCurrentRoster(store)!, fingerprintHash);
            const stored = loadFingerprints(store);
            expect(stored.teamsValid).toBe(true);
            expect(stored.teams).toEqual(recorded.teams);
            expect(new Map(storedLists(store) as [string, string][])).toEqual(recorded.teamMembers);
          } finally {
            store.close();
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('reuses the fetched objects when nothing changed, and reads back only what differs', async () => {
    const team = aTeam('team-a');
    const roster = aRoster({
      users: [aUser('ann'), aUser('bob')],
      teams: [team, aTeam('team-b')],
      memberships: [
        ['ann', 'team-a'],
        ['bob', 'team-b'],
      ],
    });
    const store = await recordRosters([roster, roster]);
    try {
      const fetched = aFetch(roster);
      const prints = fingerprintRoster(roster, fingerprintHash);
      const same = loadPreviousByFingerprint(
        store,
        fetched,
        prints,
        loadFingerprints(store),
        fingerprintHash,
      );
      expect(same?.users[0]).toBe(roster.users[0]);
      expect(same?.memberships).toBe(roster.memberships);

      const changed = aRoster({
        users: [aUser('ann', { email: 'new@x.io' }), aUser('bob')],
        teams: [team, aTeam('team-b')],
        memberships: [['ann', 'team-a']],
      });
      const rebuilt = loadPreviousByFingerprint(
        store,
        aFetch(changed),
        fingerprintRoster(changed, fingerprintHash),
        loadFingerprints(store),
        fingerprintHash,
      );
      expect(rebuilt).toEqual(loadCurrentRoster(store));
      expect(rebuilt?.users[0]).not.toBe(changed.users[0]);
      expect(rebuilt?.users[1]).toBe(changed.users[1]);
    } finally {
      store.close();
    }
  });

  it('stops trusting the team fingerprints after a roster run that did not write them (an older build)', async () => {
    const roster = aRoster({
      users: [aUser('ann'), aUser('bob')],
      teams: [aTeam('team-a')],
      memberships: [
        ['ann', 'team-a'],
        ['bob', 'team-a'],
      ],
    });
    const store = await recordRosters([roster]);
    try {
      // What a build without fingerprints would leave: bob left team-a in a run of its own.
      store.sqlite.exec(`
        INSERT INTO runs (kind, started_at, finished_at, status) VALUES ('roster', '2026-01-02', '2026-01-02', 'ok');
        UPDATE memberships SET valid_to = '2026-01-02', to_run_id = (SELECT MAX(id) FROM runs)
          WHERE username_key = 'bob' AND valid_to IS NULL;`);
      const fetched = aFetch(roster);
      const rebuilt = loadPreviousByFingerprint(
        store,
        fetched,
        fingerprintRoster(roster, fingerprintHash),
        loadFingerprints(store),
        fingerprintHash,
      );
      expect(rebuilt?.memberships).toEqual([{ username: 'ann', teamSlug: 'team-a' }]);
      expect(rebuilt).toEqual(loadCurrentRoster(store));
    } finally {
      store.close();
    }
  });

  it('leaves a fetch that lost a user’s memberships to the full read', async () => {
    const roster = aRoster({
      users: [aUser('ann')],
      teams: [aTeam('team-a')],
      memberships: [['ann', 'team-a']],
    });
    const store = await recordRosters([roster]);
    try {
      const fetched = aFetch(roster, {
        strategy: 'user',
        failedScopes: [{ kind: 'user-teams', username: 'ann', reason: 'HTTP 500' }],
      });
      expect(
        loadPreviousByFingerprint(
          store,
          fetched,
          fingerprintRoster(roster, fingerprintHash),
          loadFingerprints(store),
          fingerprintHash,
        ),
      ).toBeNull();
    } finally {
      store.close();
    }
  });
  it('takes the carried teams’ members from their stored lists: an unchanged hinted poll reads no membership row', async () => {
    const roster = threeTeams();
    const store = await recordRosters([roster]);
    try {
      expect(storedLists(store)).toEqual(THREE_TEAMS_LISTS);
      // Ann respelled, team-a carried, team-b's read failed, team-c read (still empty).
      const respelled = aRoster({
        users: [aUser('ANN'), aUser('bob'), aUser('cy')],
        teams: roster.teams,
        memberships: [],
      });
      const fetched = aFetch(respelled, {
        failedScopes: [{ kind: 'team-members', teamSlug: 'team-b', reason: 'HTTP 500' }],
        hints: { listed: [], read: ['team-c'], carried: ['team-a'], verified: [] },
      });
      const { result: rebuilt, prepared } = withPreparedSql(store, () => rebuild(store, fetched));
      expect(rebuilt).toEqual(loadCurrentRoster(store));
      expect(rebuilt?.memberships).toEqual([
        { username: 'Ann', teamSlug: 'team-a' },
        { username: 'bob', teamSlug: 'team-a' },
        { username: 'bob', teamSlug: 'team-b' },
        { username: 'cy', teamSlug: 'team-b' },
      ]);
      expect(prepared.filter((sql) => /FROM memberships/.test(sql))).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('writes a list again that no longer hashes to its fingerprint, at the next poll that uses it', async () => {
    const roster = threeTeams();
    const store = withLists(await recordRosters([roster]), 'stale', 0);
    try {
      expect(storedLists(store)).not.toEqual(THREE_TEAMS_LISTS);
      // An unchanged hinted poll: every team carried, so team-a's stale list is checked and refused.
      const fetched = aFetch(
        { ...roster, memberships: [] },
        { hints: { listed: [], read: [], carried: ['team-a', 'team-b', 'team-c'], verified: [] } },
      );
      await pollOnce(store, () => fetched);
      expect(storedLists(store)).toEqual(THREE_TEAMS_LISTS);
    } finally {
      store.close();
    }
  });

  it('reports no team as known when a stored list that passes its hash check names a removed user (corruption or a collision)', async () => {
    // cy was recorded, then removed: not a current user any more.
    const withoutCy = aRoster({
      users: [aUser('Ann'), aUser('bob')],
      teams: [aTeam('team-a'), aTeam('team-b'), aTeam('team-c')],
      memberships: [
        ['Ann', 'team-a'],
        ['bob', 'team-a'],
        ['bob', 'team-b'],
      ],
    });
    const store = await recordRosters([threeTeams(), withoutCy]);
    try {
      // team-b's stored list names cy again, with the fingerprint it hashes to, so the hash check passes.
      const corrupt = 'bob\ncy';
      store.sqlite
        .prepare("UPDATE team_fingerprints SET member_keys = ?, members = ? WHERE team_slug = 'team-b'")
        .run(corrupt, fingerprintHash(corrupt));
      const stored = loadFingerprints(store);
      expect(stored.teamsValid).toBe(true);
      expect(stored.listed.has('team-b')).toBe(true);
      // team-a and team-c read with the same members, team-b carried: its members come from its list.
      const fetched = aFetch(
        { ...withoutCy, memberships: withoutCy.memberships.filter((m) => m.teamSlug !== 'team-b') },
        { hints: { listed: [], read: ['team-a', 'team-c'], carried: ['team-b'], verified: [] } },
      );
      const known: KnownTeamPrints['teams'] = new Map();
      const rebuilt = loadPreviousByFingerprint(
        store,
        fetched,
        fingerprintRoster(fetched.roster, fingerprintHash),
        stored,
        fingerprintHash,
        known,
      );
      expect(rebuilt).toEqual(loadCurrentRoster(store));
      expect(rebuilt?.memberships).toEqual(withoutCy.memberships);
      // The memberships came from the history, not from the lists: no team's entry is vouched for.
      expect([...known.keys()]).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('keeps the fetched objects of a team read with the same members, so the diff can skip them', async () => {
    const roster = threeTeams();
    const store = await recordRosters([roster]);
    try {
      // team-b read (same members), team-a and team-c carried.
      const fetched = aFetch(
        { ...roster, memberships: roster.memberships.filter((m) => m.teamSlug === 'team-b') },
        { hints: { listed: [], read: ['team-b'], carried: ['team-a', 'team-c'], verified: [] } },
      );
      const rebuilt = rebuild(store, fetched);
      expect(rebuilt).toEqual(loadCurrentRoster(store));
      const teamB = rebuilt?.memberships.filter((m) => m.teamSlug === 'team-b') ?? [];
      expect(teamB).toHaveLength(2);
      for (const [i, m] of teamB.entries()) expect(m).toBe(fetched.roster.memberships[i]);
    } finally {
      store.close();
    }
  });

  it('back-fills the member lists of a history written before migration 0016', async () => {
    const store = migratedFromBefore0016(await recordRosters([threeTeams()]));
    try {
      expect(storedLists(store)).toEqual(THREE_TEAMS_LISTS);
    } finally {
      store.close();
    }
  });

  it('reads the carried teams’ members in index order when their lists are missing, with no join and no temporary sort (query plan)', async () => {
    const roster = aRoster({
      users: [aUser('ann'), aUser('bob')],
      teams: [aTeam('team-a'), aTeam('team-b')],
      memberships: [
        ['ann', 'team-a'],
        ['bob', 'team-a'],
        ['bob', 'team-b'],
      ],
    });
    const store = withLists(await recordRosters([roster]), 'missing', 0);
    try {
      // What an unchanged hinted poll fetches: the lists, no team's members (both carried).
      const fetched = aFetch(
        { ...roster, memberships: [] },
        { hints: { listed: [], read: [], carried: ['team-a', 'team-b'], verified: [] } },
      );
      const { result: rebuilt, prepared } = withPreparedSql(store, () => rebuild(store, fetched));
      expect(rebuilt).toEqual(loadCurrentRoster(store));
      const reads = prepared.filter((sql) => /FROM memberships/.test(sql));
      expect(reads).toHaveLength(1);
      const params = (reads[0]!.match(/\?/g) ?? []).map(() => '[]');
      const plan = (
        store.sqlite.prepare(`EXPLAIN QUERY PLAN ${reads[0]}`).all(...params) as { detail: string }[]
      )
        .map((p) => p.detail)
        .join('\n');
      expect(plan).toContain('memberships_current_uq');
      expect(plan).not.toContain('TEMP B-TREE');
      expect(plan).not.toMatch(/SEARCH (u|users|t|teams)\b/);
    } finally {
      store.close();
    }
  });
});

/**
 * The recorded membership hints and the "hints are unreliable" mark. Both are written in the poll's
 * transaction, with the memberships they vouch for, so a crash can never leave hints that claim a
 * read whose members were not recorded.
 */

import type { Statement } from 'better-sqlite3';
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { HintState, HintsSetting, StoredTeamHint } from '../roster/membership-hints.js';
import type { RecordedUsers } from '../roster/normalise.js';
import type { FetchedHints } from '../roster/types.js';
import type { Store } from './db.js';
import { deleteMeta, readMeta, writeMeta } from './meta.js';
import { memberships, runs, teamHints } from './schema.js';
import { stillCurrentUsers } from './user-list-digest.js';

const UNRELIABLE_KEY = 'membership_hints_unreliable';

export interface HintsUnreliableMark {
  teamSlug: string;
  runId: number;
  since: string;
  /** The latest poll that saw the API contradict itself (marks from before issue 19 lack it: `since`). */
  lastContradictionAt?: string;
}

export function loadHintsUnreliable(store: Store): HintsUnreliableMark | null {
  const value = readMeta(store, UNRELIABLE_KEY);
  return value === null ? null : (JSON.parse(value) as HintsUnreliableMark);
}

export function markHintsUnreliable(store: Store, mark: HintsUnreliableMark): void {
  writeMeta(store, UNRELIABLE_KEY, JSON.stringify(mark));
}

/** Another contradiction while the hints are not trusted: the clean interval starts again. */
export function refreshHintsUnreliable(store: Store, at: string): void {
  const mark = loadHintsUnreliable(store);
  if (mark) markHintsUnreliable(store, { ...mark, lastContradictionAt: at });
}

/** Lets the hints be tried again (`roster-watch hints --reset`); returns whether a mark was cleared. */
export function clearHintsUnreliable(store: Store): boolean {
  return deleteMeta(store, UNRELIABLE_KEY);
}

export function loadStoredHints(store: Store): Map<string, StoredTeamHint> {
  const rows = store.db
    .select({
      slug: teamHints.teamSlug,
      version: teamHints.version,
      memberCount: teamHints.memberCount,
      readAtMs: teamHints.readAtMs,
    })
    .from(teamHints)
    .all();
  return new Map(rows.map((r) => [r.slug, r]));
}

/** When the previous roster poll started, whatever its outcome: the cadence polls actually run at. */
function lastRosterPollStartMs(store: Store): number | null {
  const row = store.db
    .select({ startedAt: runs.startedAt })
    .from(runs)
    .where(eq(runs.kind, 'roster'))
    .orderBy(desc(runs.id))
    .limit(1)
    .get();
  return row ? Date.parse(row.startedAt) : null;
}

/**
 * Recorded memberships of the recorded users missing from `present`, counted per team. Runs on
 * every hinted poll over every current user, so the keys come as plain strings (no row objects)
 * and the per-user statement is prepared once: through drizzle the 20,000 keys alone cost
 * ~170 ms of an unchanged CLI poll (issue 21). `known`: the known user list's users this fetch
 * read (store/user-list-digest.ts); while no roster run has been recorded since, their keys are
 * the current users', so they are not read again.
 */
function countLeaversByTeam(
  store: Store,
  present: ReadonlySet<string>,
  known: RecordedUsers | null,
): Map<string, number> {
  const keys =
    known !== null && stillCurrentUsers(store, known)
      ? known.keys
      : (store.sqlite
          .prepare('SELECT username_key FROM users WHERE valid_to IS NULL')
          .pluck()
          .all() as string[]);
  const counts = new Map<string, number>();
  let teamsOf: ReturnType<Store['sqlite']['prepare']> | null = null;
  for (const key of keys) {
    if (present.has(key)) continue;
    teamsOf ??= store.sqlite
      .prepare('SELECT team_slug FROM memberships WHERE username_key = ? AND valid_to IS NULL')
      .pluck();
    for (const slug of teamsOf.all(key) as string[]) counts.set(slug, (counts.get(slug) ?? 0) + 1);
  }
  return counts;
}

/**
 * The hints as recorded. `knownUsers`: the users of the known user list, once the fetch has read
 * them (null before, or when its bytes were not the known ones).
 */
export function loadHintState(
  store: Store,
  settings: { setting: HintsSetting; verifyIntervalMs: number; nowMs: number },
  knownUsers: () => RecordedUsers | null = () => null,
): HintState {
  return {
    ...settings,
    unreliable: loadHintsUnreliable(store) !== null,
    stored: loadStoredHints(store),
    lastPollAtMs: lastRosterPollStartMs(store),
    countLeavers: (present) => countLeaversByTeam(store, present, knownUsers()),
    recordedMembers: (slug) =>
      new Set(
        store.db
          .select({ key: memberships.usernameKey })
          .from(memberships)
          .where(and(eq(memberships.teamSlug, slug), isNull(memberships.validTo)))
          .all()
          .map((r) => r.key),
      ),
  };
}

/**
 * Records the hints of the teams read completely in this run and forgets teams that are gone.
 * Carried and failed teams keep their old row, so a change they hid is still found by the hints
 * moving or by verification. One statement prepared for all teams: a changed poll reads most of
 * the 500 teams, and drizzle's builder per team was ~145 ms of its record step (issue 21).
 */
export function saveFetchedHints(store: Store, hints: FetchedHints, runId: number, readAtMs: number): void {
  const listed = new Map(hints.listed.map((t) => [t.slug, t]));
  const db = store.sqlite;
  type HintRow = [string, number | null, number | null, number, number];
  let upsert: Statement<HintRow> | null = null;
  for (const slug of hints.read) {
    const team = listed.get(slug);
    if (team === undefined) continue;
    upsert ??= db.prepare<HintRow>(
      `INSERT INTO team_hints (team_slug, version, member_count, read_at_ms, run_id) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (team_slug) DO UPDATE SET version = excluded.version, member_count = excluded.member_count,
       read_at_ms = excluded.read_at_ms, run_id = excluded.run_id`,
    );
    upsert.run(slug, team.version, team.memberCount, readAtMs, runId);
  }
  const stored = db.prepare('SELECT team_slug FROM team_hints').pluck().all() as string[];
  let forget: Statement<[string]> | null = null;
  for (const slug of stored) {
    if (listed.has(slug)) continue;
    forget ??= db.prepare<[string]>('DELETE FROM team_hints WHERE team_slug = ?');
    forget.run(slug);
  }
}

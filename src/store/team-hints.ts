/**
 * The recorded membership hints and the "hints are unreliable" mark. Both are written in the poll's
 * transaction, with the memberships they vouch for, so a crash can never leave hints that claim a
 * read whose members were not recorded.
 */
import type { HintState, HintsSetting, StoredTeamHint } from '../roster/membership-hints.js';
import type { FetchedHints } from '../roster/types.js';
import type { Store } from './db.js';

const UNRELIABLE_KEY = 'membership_hints_unreliable';

export interface HintsUnreliableMark {
  teamSlug: string;
  runId: number;
  since: string;
}

export function loadHintsUnreliable(store: Store): HintsUnreliableMark | null {
  const row = store.sqlite.prepare('SELECT value FROM meta WHERE key = ?').get(UNRELIABLE_KEY) as
    | { value: string }
    | undefined;
  return row ? (JSON.parse(row.value) as HintsUnreliableMark) : null;
}

export function markHintsUnreliable(store: Store, mark: HintsUnreliableMark): void {
  store.sqlite
    .prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    )
    .run(UNRELIABLE_KEY, JSON.stringify(mark));
}

/** Lets the hints be tried again (`roster-watch hints --reset`); returns whether a mark was cleared. */
export function clearHintsUnreliable(store: Store): boolean {
  return store.sqlite.prepare('DELETE FROM meta WHERE key = ?').run(UNRELIABLE_KEY).changes > 0;
}

export function loadStoredHints(store: Store): Map<string, StoredTeamHint> {
  const rows = store.sqlite
    .prepare('SELECT team_slug, version, member_count, read_at_ms FROM team_hints')
    .all() as {
    team_slug: string;
    version: number | null;
    member_count: number | null;
    read_at_ms: number;
  }[];
  return new Map(
    rows.map((r) => [
      r.team_slug,
      { slug: r.team_slug, version: r.version, memberCount: r.member_count, readAtMs: r.read_at_ms },
    ]),
  );
}

/** When the previous roster poll started, whatever its outcome: the cadence polls actually run at. */
function lastRosterPollStartMs(store: Store): number | null {
  const row = store.sqlite
    .prepare("SELECT started_at FROM runs WHERE kind = 'roster' ORDER BY id DESC LIMIT 1")
    .get() as { started_at: string } | undefined;
  return row ? Date.parse(row.started_at) : null;
}

/** Recorded memberships of the recorded users missing from `present`, counted per team. */
function countLeaversByTeam(store: Store, present: ReadonlySet<string>): Map<string, number> {
  const keys = store.sqlite
    .prepare('SELECT username_key FROM users WHERE valid_to IS NULL')
    .pluck()
    .all() as string[];
  const teamsOf = store.sqlite.prepare(
    'SELECT team_slug FROM memberships WHERE username_key = ? AND valid_to IS NULL',
  );
  const counts = new Map<string, number>();
  for (const key of keys) {
    if (present.has(key)) continue;
    for (const slug of teamsOf.pluck().all(key) as string[]) counts.set(slug, (counts.get(slug) ?? 0) + 1);
  }
  return counts;
}

export function loadHintState(
  store: Store,
  settings: { setting: HintsSetting; verifyIntervalMs: number; nowMs: number },
): HintState {
  return {
    ...settings,
    unreliable: loadHintsUnreliable(store) !== null,
    stored: loadStoredHints(store),
    lastPollAtMs: lastRosterPollStartMs(store),
    countLeavers: (present) => countLeaversByTeam(store, present),
    recordedMembers: (slug) =>
      new Set(
        store.sqlite
          .prepare('SELECT username_key FROM memberships WHERE team_slug = ? AND valid_to IS NULL')
          .pluck()
          .all(slug) as string[],
      ),
  };
}

/**
 * Records the hints of the teams read completely in this run and forgets teams that are gone.
 * Carried and failed teams keep their old row, so a change they hid is still found by the hints
 * moving or by verification.
 */
export function saveFetchedHints(store: Store, hints: FetchedHints, runId: number, readAtMs: number): void {
  const upsert = store.sqlite.prepare(
    `INSERT INTO team_hints (team_slug, version, member_count, read_at_ms, run_id) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(team_slug) DO UPDATE SET version = excluded.version, member_count = excluded.member_count,
       read_at_ms = excluded.read_at_ms, run_id = excluded.run_id`,
  );
  const listed = new Map(hints.listed.map((t) => [t.slug, t]));
  for (const slug of hints.read) {
    const team = listed.get(slug);
    if (team) upsert.run(slug, team.version, team.memberCount, readAtMs, runId);
  }
  const remove = store.sqlite.prepare('DELETE FROM team_hints WHERE team_slug = ?');
  for (const slug of loadStoredHints(store).keys()) if (!listed.has(slug)) remove.run(slug);
}

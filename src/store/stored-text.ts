/**
 * Text that versions before the fix (well-formed.ts) stored with a lone surrogate: better-sqlite3
 * wrote the code unit as three bytes that are not UTF-8 (ED A0..BF 80..BF), and SQLite reads them
 * back as three U+FFFD. A poll now fetches the same text with one U+FFFD in its place, so such text
 * is rewritten once, as the database is opened, the way a fetch now makes it well-formed; else it
 * would read as another name on the first poll after the upgrade, and a key recorded that way could
 * never be closed. Reads are then plain: nothing decodes a column as it is read.
 */

import type Database from 'better-sqlite3';
import { getTableColumns, getTableName, is } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { trimToAuthority } from '../roster/oncall-intervals.js';
import { normalisePolicies, normaliseSchedules } from '../roster/policies.js';
import { normaliseEntry } from '../roster/policy-entries.js';
import type { PolicyStep, Rotation, Shift } from '../roster/policy-types.js';
import { normaliseRoutingKeys } from '../roster/routing-keys.js';
import { wellFormed } from '../roster/well-formed.js';
import {
  contactReads,
  findings,
  memberships,
  oncallLatest,
  oncallParts,
  oncallReads,
  personContacts,
  policies,
  routingKeys,
  teamFingerprints,
  teamHints,
  teamSchedules,
  teams,
  users,
} from './schema.js';

/**
 * JSON keeps a lone surrogate as an escape (`\ud800`, the only way JSON.stringify writes one): the
 * bytes are UTF-8, but the text they parse to is not what a fetch now gives.
 */
const LONE_SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** The column's bytes as text, each encoded lone surrogate read as one U+FFFD. */
export function wellFormedStoredText(bytes: Uint8Array): string {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    const next = bytes[i + 1] ?? 0;
    const last = bytes[i + 2] ?? 0;
    // ED A0..BF xx encodes U+D800..U+DFFF; a surrogate pair is always written as four bytes.
    if (b === 0xed && next >= 0xa0 && next <= 0xbf && last >= 0x80 && last <= 0xbf) {
      out.push(0xef, 0xbf, 0xbd);
      i += 2;
    } else out.push(b);
  }
  return Buffer.from(out).toString('utf8');
}

/**
 * What a table does when a repaired row would take a key another row holds (two spellings that
 * are one once well-formed, e.g. an older build's `x\ud800` beside a genuine `x\ufffd`):
 * - history: SCD type 2 with a unique index on its current rows' key columns;
 * - cache: one row per key (primary key), rebuilt by the polls;
 * - oncall-reads: one latest read per team;
 * - search: a cache (one entity per kind and key) with an FTS5 index over it;
 * - none: no unique key among its text columns.
 */
type Collision = 'history' | 'cache' | 'oncall-reads' | 'search' | 'none';

interface StoredTextTable {
  /** The table, or one a migration wrote by hand: its name and text columns. */
  table: SQLiteTable | { name: string; text: string[] };
  collision: Collision;
  /** The unique key's SQL columns (history tables). */
  key?: string[];
  /** A history table's life columns when they are not historyColumns' (findings). */
  life?: Life;
}

/** When a version began and ended, and the runs that began and ended it. */
interface Life {
  from: string;
  to: string;
  fromRun: string;
  toRun: string;
}

const HISTORY_LIFE: Life = { from: 'valid_from', to: 'valid_to', fromRun: 'from_run_id', toRun: 'to_run_id' };

/**
 * The roster's tables, which the history keys and compares: a row an earlier version wrote with a
 * lone surrogate reads as three U+FFFD, the fetch now gives one, so its user would read as removed
 * and another added on every poll, and the old row, matched by no key, never close. Rewritten by
 * the version before this one too (its meta row ROSTER_TEXT_REPAIRED), so not again.
 */
const ROSTER_TABLES: StoredTextTable[] = [
  // User names and fields, keyed by username: a poll diffs them against the fetch.
  { table: users, collision: 'history', key: ['username_key'] },
  // Team slugs and names, keyed by slug.
  { table: teams, collision: 'history', key: ['slug'] },
  // Who is in which team, keyed by both.
  { table: memberships, collision: 'history', key: ['username_key', 'team_slug'] },
  // Member lists by team slug: their text is hashed and compared to the fetch's.
  { table: teamFingerprints, collision: 'cache' },
  // Membership hints by team slug: a poll looks them up by the fetched slug.
  { table: teamHints, collision: 'cache' },
];

/**
 * The other polls' tables, which the version before this one decoded as it read them (policies,
 * routing keys) or not at all (schedules, on-call reads, contacts). Left out, and why:
 * - events: the record of what was delivered, envelope as sent; rewriting it would change history;
 * - identity_findings: their key and data mix the identity source's text, which is stored as the
 *   source gives it (not made well-formed), so a rewrite would part them from what a sync writes;
 * - identity_sources, runs, meta, deliveries, guard_holds: no VictorOps text in a text column that
 *   anything compares (runs.failed_scopes and guard_holds.fetched are JSON normalised as they are used).
 */
const POLL_TABLES: StoredTextTable[] = [
  // Policy slugs, names and team slugs, keyed by slug: a poll diffs them against the fetch.
  { table: policies, collision: 'history', key: ['slug'] },
  // Routing keys, keyed by the key.
  { table: routingKeys, collision: 'history', key: ['routing_key'] },
  // Each team's latest schedule by slug: the pages show it beside the roster's team.
  { table: teamSchedules, collision: 'cache' },
  // Reads by team slug: a read is compared to the team's latest one, found by the fetched slug.
  { table: oncallReads, collision: 'oncall-reads' },
  // The latest read by team slug (after oncall_reads, whose collisions drop the superseded row's).
  { table: oncallLatest, collision: 'cache' },
  // Shift parts: a part goes on into the next read only when its names equal the fetched ones.
  { table: oncallParts, collision: 'none' },
  // Contacts by username key, which the contacts poll closes and looks up by the well-formed key
  // (its JSON hints keep the text as fetched, so they need nothing).
  { table: personContacts, collision: 'history', key: ['username_key'] },
  // When each person's contacts were read, by username key: the oldest are read first.
  { table: contactReads, collision: 'cache' },
  // Coverage findings by key (names of policies, teams, users): a poll resolves an open finding
  // whose key it no longer computes, and its key is also in `data` (JSON, see repairJson).
  {
    table: findings,
    collision: 'history',
    key: ['key'],
    life: { from: 'first_seen', to: 'resolved_at', fromRun: 'first_run_id', toRun: 'last_run_id' },
  },
  // The web view's search entities (migrations 0010, 0017), by the user's username key and the
  // team's and policy's slug, written by triggers on those tables: a version a poll records adds
  // an entity beside the old key's otherwise. Their trigrams follow through search_entities_au.
  {
    table: { name: 'search_entities', text: ['kind', 'key', 'ref', 'name', 'detail', 'body'] },
    collision: 'search',
  },
];

/** The table's SQL name and text columns. */
function textColumns(table: StoredTextTable['table']): [string, string[]] {
  if (!is(table, SQLiteTable)) return [table.name, table.text];
  const columns = Object.values(getTableColumns(table)).filter(
    (column) => column.columnType === 'SQLiteText',
  );
  return [getTableName(table), columns.map((column) => column.name)];
}

/** Whether better-sqlite3 reports a unique or primary key constraint. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Writes a row's repaired columns, and any other columns given (`also`). */
function writeRow(
  sqlite: Database.Database,
  table: string,
  rowid: number,
  set: Record<string, string>,
  also: Record<string, string | number> = {},
): void {
  const values = { ...set, ...also };
  const columns = Object.keys(values);
  sqlite
    .prepare(`UPDATE ${table} SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE rowid = ?`)
    .run(...columns.map((c) => values[c]), rowid);
}

/**
 * A history row whose key changes in its repair joins the versions the key already has (rows a
 * fetch wrote well-formed, e.g. by the version before this one, which did not repair contacts,
 * findings or policies at open): no two may overlap. When one of them began while the repaired row
 * held, the repaired row ends where the earliest such one begins, by the run that opened it. Else,
 * if both the repaired row and another row of the key are current, the other began first and is
 * closed where the repaired row begins, by the run that opened it: both were current, so every poll
 * since matched both, and the later row, kept current, makes a version as a poll recording a change
 * would (neither is left with no time of its own). When an old row was last confirmed is unknown;
 * it is closed here, not by a poll, so no event says it was removed: it was not, the person (team,
 * policy, key) is still there as the other row.
 */
function repairHistoryRow(
  sqlite: Database.Database,
  table: string,
  key: string[],
  life: Life,
  rowid: number,
  set: Record<string, string>,
  row: Record<string, string | null>,
): void {
  const [from, fromRun, to] = sqlite
    .prepare(`SELECT ${life.from}, ${life.fromRun}, ${life.to} FROM ${table} WHERE rowid = ?`)
    .raw()
    .get(rowid) as [string, number, string | null];
  const sameKey = key.map((column) => `${column} = ?`).join(' AND ');
  const keyValues = key.map((column) => row[column] ?? null);
  const next = sqlite
    .prepare(
      `SELECT ${life.from}, ${life.fromRun} FROM ${table} WHERE rowid <> ? AND ${sameKey} AND ${life.from} > ?
       AND (? IS NULL OR ${life.from} < ?) ORDER BY ${life.from} LIMIT 1`,
    )
    .raw()
    .get(rowid, ...keyValues, from, to, to) as [string, number] | undefined;
  if (next !== undefined) {
    writeRow(sqlite, table, rowid, set, { [life.to]: next[0], [life.toRun]: next[1] });
    return;
  }
  if (to === null)
    sqlite
      .prepare(
        `UPDATE ${table} SET ${life.to} = ?, ${life.toRun} = ? WHERE ${life.to} IS NULL AND rowid <> ? AND ${sameKey}`,
      )
      .run(from, fromRun, rowid, ...keyValues);
  writeRow(sqlite, table, rowid, set);
}

/** An on-call read: id, read_at, superseded_at, first. */
type Read = [number, string, string | null, number];

/**
 * `later` supersedes `earlier` at its read_at, as a poll does (oncall-reads.ts recordOncallReads):
 * the earlier keeps its shifts up to then and its parts are cut there, its whole read
 * (oncall_latest) goes; a later read that took itself for the team's first (`slug`) is not (it
 * also claimed the time before it, which the earlier read answers for), so the parts that claim
 * it are cut to start at its read_at.
 */
function supersedeRead(sqlite: Database.Database, slug: string, earlier: Read, later: Read): void {
  const laterMs = Date.parse(later[1]);
  const shifts = sqlite
    .prepare(
      'SELECT coalesce(r.shifts, l.shifts) FROM oncall_reads r LEFT JOIN oncall_latest l ON l.read_id = r.id WHERE r.id = ?',
    )
    .pluck()
    .get(earlier[0]) as string | null;
  const trimmed = trimToAuthority(shifts === null ? [] : (JSON.parse(shifts) as Shift[]), laterMs);
  sqlite.prepare('DELETE FROM oncall_latest WHERE read_id = ?').run(earlier[0]);
  sqlite
    .prepare('UPDATE oncall_reads SET superseded_at = ?, shifts = ? WHERE id = ?')
    .run(later[1], JSON.stringify(trimmed), earlier[0]);
  sqlite.prepare('DELETE FROM oncall_parts WHERE read_id = ? AND start_ms >= ?').run(earlier[0], laterMs);
  sqlite
    .prepare('UPDATE oncall_parts SET end_ms = ? WHERE read_id = ? AND end_ms > ?')
    .run(laterMs, earlier[0], laterMs);
  if (later[3] !== 0) {
    sqlite.prepare('UPDATE oncall_reads SET first = 0 WHERE id = ?').run(later[0]);
    // Parts that go on belong to the read that last showed them: the later read's claim to the
    // time before it may be held by any read of the team since.
    const since = 'read_id IN (SELECT id FROM oncall_reads WHERE (id = ? OR team_slug = ?) AND read_at >= ?)';
    sqlite
      .prepare(`DELETE FROM oncall_parts WHERE end_ms <= ? AND ${since}`)
      .run(laterMs, later[0], slug, later[1]);
    sqlite
      .prepare(`UPDATE oncall_parts SET start_ms = ? WHERE start_ms < ? AND ${since}`)
      .run(laterMs, laterMs, later[0], slug, later[1]);
  }
}

/**
 * A read whose team slug changes in its repair joins the team's reads as repairHistoryRow joins a
 * key's versions: the earliest read of the team taken while it answered supersedes it; else, if it
 * is the team's latest read, it supersedes the other latest one, which was read before it.
 */
function repairReadRow(
  sqlite: Database.Database,
  rowid: number,
  set: Record<string, string>,
  row: Record<string, string | null>,
): void {
  const read = (where: string, ...args: unknown[]) =>
    sqlite
      .prepare(
        `SELECT id, read_at, superseded_at, first FROM oncall_reads WHERE ${where} ORDER BY read_at LIMIT 1`,
      )
      .raw()
      .get(...args) as Read | undefined;
  const own = read('id = ?', rowid) as Read;
  const slug = row.team_slug as string;
  const next = read(
    'id <> ? AND team_slug = ? AND read_at > ? AND (? IS NULL OR read_at < ?)',
    rowid,
    slug,
    own[1],
    own[2],
    own[2],
  );
  if (next !== undefined) supersedeRead(sqlite, slug, own, next);
  else if (own[2] === null) {
    const other = read('superseded_at IS NULL AND id <> ? AND team_slug = ?', rowid, slug);
    if (other !== undefined) supersedeRead(sqlite, slug, other, own);
  }
  writeRow(sqlite, 'oncall_reads', rowid, set);
}

/**
 * Rewrites the table's text columns as the fetch now spells them. Only rows holding the byte ED
 * then A0..BF are looked at (Hangul, ED then 80..9F, is left in SQLite: the hex text is made only
 * where ED is, and may also match across two bytes, which the check in JS then leaves); a row is
 * rewritten whole, so a key of several columns collides once, with the row it then equals.
 */
function repairTable(sqlite: Database.Database, spec: StoredTextTable): void {
  const [table, columns] = textColumns(spec.table);
  const rows = sqlite
    .prepare(
      `SELECT rowid, ${columns.map((c) => `CAST(${c} AS BLOB)`).join(', ')} FROM ${table} WHERE ${columns
        .map((c) => `(instr(CAST(${c} AS BLOB), X'ED') > 0 AND hex(${c}) GLOB '*ED[AB]*')`)
        .join(' OR ')} ORDER BY rowid`,
    )
    .raw()
    .all() as [number, ...(Uint8Array | null)[]][];
  for (const [rowid, ...values] of rows) {
    // The changed columns, and the whole row as it will read (a key may be partly unchanged).
    const set: Record<string, string> = {};
    const row: Record<string, string | null> = {};
    values.forEach((bytes, i) => {
      const column = columns[i] as string;
      if (bytes === null) {
        row[column] = null;
        return;
      }
      const text = wellFormedStoredText(bytes);
      row[column] = text;
      if (text !== Buffer.from(bytes).toString('utf8')) set[column] = text;
    });
    const changed = Object.keys(set);
    if (changed.length === 0) continue;
    if (spec.collision === 'history' && spec.key?.some((column) => column in set))
      repairHistoryRow(sqlite, table, spec.key, spec.life ?? HISTORY_LIFE, rowid, set, row);
    else if (spec.collision === 'oncall-reads' && 'team_slug' in set) repairReadRow(sqlite, rowid, set, row);
    else
      try {
        writeRow(sqlite, table, rowid, set);
      } catch (error) {
        // A cache row of a key another row holds: that row is what polls find and keep up to date.
        if ((spec.collision !== 'cache' && spec.collision !== 'search') || !isUniqueViolation(error))
          throw error;
        // Its trigrams go first, as the index holds them (no trigger follows a delete).
        if (spec.collision === 'search')
          sqlite
            .prepare(
              "INSERT INTO search_text (search_text, rowid, body) SELECT 'delete', id, body FROM search_entities WHERE id = ?",
            )
            .run(rowid);
        sqlite.prepare(`DELETE FROM ${table} WHERE rowid = ?`).run(rowid);
      }
  }
}

/** Every string in a parsed JSON value made well-formed, as the text it was computed from now is. */
function wellFormedJson(value: unknown): unknown {
  if (typeof value === 'string') return wellFormed(value);
  if (Array.isArray(value)) return value.map(wellFormedJson);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wellFormedJson(v)]));
  return value;
}

/**
 * Whether some string in a parsed JSON value, or key of an object in it, holds a lone surrogate:
 * the escape's pattern also matches an escaped backslash before `ud8..` and an escaped pair, which
 * are well-formed text and are left byte for byte (numbers, order and spacing as written).
 */
function holdsLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return wellFormed(value) !== value;
  if (Array.isArray(value)) return value.some(holdsLoneSurrogate);
  if (value !== null && typeof value === 'object')
    return Object.entries(value).some(([k, v]) => wellFormed(k) !== k || holdsLoneSurrogate(v));
  return false;
}

/**
 * Whether a JSON column parses to text holding a lone surrogate. Text that does not parse (no
 * version wrote such a column, but a hand-edited file may hold one) is left as it was: the open
 * must not fail over a row its readers would fail on anyway.
 */
function parsesToLoneSurrogate(json: string): boolean {
  try {
    return holdsLoneSurrogate(JSON.parse(json));
  } catch {
    return false;
  }
}

/** Shifts (and rotations) as normaliseSchedules makes a fetched schedule's. */
const normalisedSchedule = (shifts: Shift[], rotations?: Rotation[]) =>
  normaliseSchedules([{ team: { slug: '', name: '' }, shifts, ...(rotations ? { rotations } : {}) }])[0];

/**
 * JSON columns keep a lone surrogate as an escape, which is UTF-8, so their bytes need no repair;
 * but the text they parse to is the one older versions fetched, made well-formed, sorted and
 * folded otherwise than a fetch now is. Each that parses to such text is rewritten once through
 * the normaliser the fetch goes through, so a stored policy, key or schedule equals a fresh fetch
 * everywhere it is read (loaders, pages, SQL recipes over json_each), not only where a loader
 * normalises it again; any other is left as it was written.
 */
function repairJson(sqlite: Database.Database): void {
  const matching = (table: string, column: string) =>
    (
      sqlite
        .prepare(`SELECT rowid, ${column} FROM ${table} WHERE instr(lower(${column}), '\\ud') > 0`)
        .raw()
        .all() as [number, string][]
    ).filter(([, json]) => LONE_SURROGATE_ESCAPE.test(json) && parsesToLoneSurrogate(json));
  const write = (table: string, column: string, rowid: number, value: unknown) =>
    sqlite.prepare(`UPDATE ${table} SET ${column} = ? WHERE rowid = ?`).run(JSON.stringify(value), rowid);

  for (const [rowid, json] of matching('policies', 'steps')) {
    const steps = (JSON.parse(json) as PolicyStep[]).map((step) => ({
      ...step,
      entries: step.entries.map(normaliseEntry),
    }));
    const [policy] = normalisePolicies([{ slug: 'x', name: '', teamSlug: '', steps }]);
    write('policies', 'steps', rowid, policy?.steps ?? steps);
  }
  for (const [rowid, json] of matching('routing_keys', 'targets')) {
    const [key] = normaliseRoutingKeys([{ routingKey: 'x', isDefault: false, targets: JSON.parse(json) }]);
    write('routing_keys', 'targets', rowid, key?.targets ?? []);
  }
  for (const [table, column] of [
    ['team_schedules', 'shifts'],
    ['oncall_latest', 'shifts'],
    ['oncall_reads', 'shifts'],
  ] as const)
    for (const [rowid, json] of matching(table, column))
      write(table, column, rowid, normalisedSchedule(JSON.parse(json) as Shift[])?.shifts ?? []);
  // A finding is computed from the recorded text, now well-formed; only its key must match (a
  // finding seen again with other data is rewritten by that poll, reporting nothing).
  for (const [rowid, json] of matching('findings', 'data'))
    write('findings', 'data', rowid, wellFormedJson(JSON.parse(json)));
  for (const [rowid, json] of matching('team_schedules', 'rotations'))
    write(
      'team_schedules',
      'rotations',
      rowid,
      normalisedSchedule([], JSON.parse(json) as Rotation[])?.rotations ?? [],
    );
}

/** Set by the version before this one, which rewrote the roster's tables only. */
const ROSTER_TEXT_REPAIRED = 'roster_text_well_formed';
/** Set once every table above was rewritten. */
const STORED_TEXT_REPAIRED = 'victorops_text_well_formed';

/**
 * Rewrites, once per database, the VictorOps text earlier versions stored with lone surrogates as
 * the fetch now spells it: the text columns' bytes (wellFormedStoredText), then the JSON columns
 * (repairJson). The roster's tables are skipped when the version before this one already rewrote
 * them. A meta row says it is done, so later opens read one row.
 */
export function repairStoredText(sqlite: Database.Database): void {
  const repaired = () =>
    sqlite
      .prepare('SELECT key FROM meta WHERE key IN (?, ?)')
      .pluck()
      .all(ROSTER_TEXT_REPAIRED, STORED_TEXT_REPAIRED) as string[];
  if (repaired().includes(STORED_TEXT_REPAIRED)) return;
  // IMMEDIATE: deferred, a process opening the file at the same time that read before another's
  // repair committed could not write (SQLITE_BUSY_SNAPSHOT, which busy_timeout does not retry).
  // This way it waits for the lock, and the meta row, read again under it, says it is done.
  sqlite
    .transaction(() => {
      const done = repaired();
      if (done.includes(STORED_TEXT_REPAIRED)) return;
      const tables = done.includes(ROSTER_TEXT_REPAIRED) ? POLL_TABLES : [...ROSTER_TABLES, ...POLL_TABLES];
      for (const spec of tables) repairTable(sqlite, spec);
      repairJson(sqlite);
      const mark = sqlite.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
      mark.run(ROSTER_TEXT_REPAIRED, '1');
      mark.run(STORED_TEXT_REPAIRED, '1');
    })
    .immediate();
}

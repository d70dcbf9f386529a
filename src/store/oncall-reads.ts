/**
 * The recorded reads of each team's on-call schedule (`oncall_reads`): written by every policy
 * poll inside its transaction, read by the on-call report, `oncall-at` and the web view.
 */
import { and, asc, eq, gt, gte, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import {
  type OncallInterval,
  type OncallRead,
  showsSameFrom,
  trimToAuthority,
} from '../roster/oncall-intervals.js';
import type { Shift, TeamSchedule } from '../roster/policy-types.js';
import type { Store } from './db.js';
import { oncallLatest, oncallParts, oncallReads, users } from './schema.js';

/** A read's shift parts cut to the time it answers for from `fromMs` on (-Infinity: a first read). */
function partsFrom(shifts: readonly Shift[], fromMs: number) {
  return shifts.flatMap((s) => {
    const startMs = Math.max(fromMs, Date.parse(s.start));
    const endMs = Date.parse(s.end);
    return startMs < endMs ? [{ s, startMs, endMs }] : [];
  });
}

/**
 * Records each schedule that was read, unless it shows the same as the team's latest recorded
 * read from its own time on. A read that differs supersedes the latest one, which keeps only
 * the part it answered for. Synchronous: call it inside the run's transaction.
 */
export function recordOncallReads(
  store: Store,
  runId: number,
  atIso: string,
  schedules: readonly TeamSchedule[],
): void {
  const latestOf = latestReads(store);
  for (const s of schedules) {
    const latest = latestOf(s.team.slug);
    // Reads of one team are ordered even when a clock stepped back between polls.
    const readMs = Math.max(Date.parse(s.fetchedAt ?? atIso), latest ? Date.parse(latest.readAt) + 1 : 0);
    if (latest) {
      const previous = JSON.parse(latest.shifts) as Shift[];
      if (showsSameFrom(previous, s.shifts, readMs)) continue;
      store.db
        .update(oncallReads)
        .set({
          supersededAt: new Date(readMs).toISOString(),
          shifts: JSON.stringify(trimToAuthority(previous, readMs)),
        })
        .where(eq(oncallReads.id, latest.id))
        .run();
      // Its parts now end where the new read takes over.
      store.db
        .delete(oncallParts)
        .where(and(eq(oncallParts.readId, latest.id), gte(oncallParts.startMs, readMs)))
        .run();
      store.db
        .update(oncallParts)
        .set({ endMs: readMs })
        .where(and(eq(oncallParts.readId, latest.id), gt(oncallParts.endMs, readMs)))
        .run();
    }
    const first =
      latest === undefined &&
      store.db
        .select({ id: oncallReads.id })
        .from(oncallReads)
        .where(eq(oncallReads.teamSlug, s.team.slug))
        .limit(1)
        .get() === undefined;
    const team = { teamSlug: s.team.slug, teamName: s.team.name };
    const { id: readId } = store.db
      .insert(oncallReads)
      .values({
        ...team,
        readAt: new Date(readMs).toISOString(),
        supersededAt: null,
        first,
        shifts: null,
        runId,
      })
      .returning({ id: oncallReads.id })
      .get();
    const shifts = JSON.stringify(s.shifts);
    const { rowid } = store.db
      .insert(oncallLatest)
      .values({ teamSlug: s.team.slug, readId, shifts })
      .onConflictDoUpdate({ target: oncallLatest.teamSlug, set: { readId, shifts } })
      .returning({ rowid: sql<number>`rowid` })
      .get();
    latestOf.wrote(readId, rowid);
    const parts = partsFrom(s.shifts, first ? Number.NEGATIVE_INFINITY : readMs);
    const rows = parts.map((p) => ({
      readId,
      ...team,
      policySlug: p.s.policySlug,
      policyName: p.s.policyName,
      username: p.s.username,
      overrideFor: p.s.overrideFor ?? null,
      startMs: p.startMs,
      endMs: p.endMs,
    }));
    const fresh = latest ? rows.filter((row) => !continuePart(store, latest.id, row, readMs)) : rows;
    // Well under SQLite's limit on bound parameters per statement.
    for (let i = 0; i < fresh.length; i += 50) {
      store.db
        .insert(oncallParts)
        .values(fresh.slice(i, i + 50))
        .run();
    }
  }
}

/**
 * The team's latest read with its shifts, as `oncall_reads JOIN oncall_latest ON read_id` finds it
 * (the first such latest row in rowid order). oncall_latest has no index on read_id, so that join
 * scanned the whole table, every team's shifts, once per team: most of an unchanged policy poll's
 * on-call step (issue 21). Here the table's read ids are read once, and a row's shifts only when
 * its read is the one sought. `wrote` records each upsert's new read (no other row names it). A row
 * the poll rewrote may have named another team's read (only a database edited by hand has such a
 * row): its read is then looked up again in the table, from the first row on, as the join would.
 */
function latestReads(store: Store) {
  const rowOfRead = new Map<number, number>();
  const ids = store.sqlite.prepare('SELECT read_id, rowid FROM oncall_latest ORDER BY rowid').raw().all() as [
    number,
    number,
  ][];
  for (const [readId, rowid] of ids) if (!rowOfRead.has(readId)) rowOfRead.set(readId, rowid);
  const current = store.sqlite.prepare(
    'SELECT id, read_at AS readAt FROM oncall_reads WHERE team_slug = ? AND superseded_at IS NULL',
  );
  const shiftsAt = store.sqlite
    .prepare('SELECT shifts FROM oncall_latest WHERE rowid = ? AND read_id = ?')
    .pluck();
  const firstNaming = store.sqlite
    .prepare('SELECT rowid, shifts FROM oncall_latest WHERE read_id = ? ORDER BY rowid LIMIT 1')
    .raw();
  const shiftsOf = (readId: number): string | undefined => {
    const rowid = rowOfRead.get(readId);
    if (rowid === undefined) return undefined;
    const shifts = shiftsAt.get(rowid, readId) as string | undefined;
    if (shifts !== undefined) return shifts;
    const first = firstNaming.get(readId) as [number, string] | undefined;
    if (first === undefined) {
      rowOfRead.delete(readId);
      return undefined;
    }
    rowOfRead.set(readId, first[0]);
    return first[1];
  };
  const latestOf = (teamSlug: string): { id: number; readAt: string; shifts: string } | undefined => {
    const read = current.get(teamSlug) as { id: number; readAt: string } | undefined;
    const shifts = read === undefined ? undefined : shiftsOf(read.id);
    return read === undefined || shifts === undefined ? undefined : { ...read, shifts };
  };
  return Object.assign(latestOf, {
    wrote: (readId: number, rowid: number) => rowOfRead.set(readId, rowid),
  });
}

/**
 * A part the new read shows from its own time on, for the same person, as a part of the
 * superseded read that ends there: that part goes on (and belongs to the new read from now on, so
 * it is cut if the new read is superseded in turn). The report unions a person's time, so one
 * row for the stretch answers the same as two, and a 12-hour roll seen by many reads stays one row.
 */
function continuePart(
  store: Store,
  supersededId: number,
  row: typeof oncallParts.$inferInsert & { startMs: number; endMs: number; readId: number },
  readMs: number,
): boolean {
  if (row.startMs !== readMs) return false;
  const match = store.db
    .select({ id: oncallParts.id })
    .from(oncallParts)
    .where(
      and(
        eq(oncallParts.readId, supersededId),
        eq(oncallParts.endMs, readMs),
        eq(oncallParts.teamName, row.teamName),
        eq(oncallParts.policySlug, row.policySlug),
        eq(oncallParts.policyName, row.policyName),
        eq(oncallParts.username, row.username),
        row.overrideFor === null || row.overrideFor === undefined
          ? isNull(oncallParts.overrideFor)
          : eq(oncallParts.overrideFor, row.overrideFor),
      ),
    )
    .limit(1)
    .get();
  if (!match) return false;
  store.db
    .update(oncallParts)
    .set({ endMs: row.endMs, readId: row.readId })
    .where(eq(oncallParts.id, match.id))
    .run();
  return true;
}

/** The reads that answer for some instant of [fromIso, toIso) (of one team when given). */
const answeringFor = (fromIso: string, toIso: string, teamSlug: string | undefined) =>
  and(
    teamSlug === undefined ? undefined : eq(oncallReads.teamSlug, teamSlug),
    or(eq(oncallReads.first, true), lt(oncallReads.readAt, toIso)),
    or(isNull(oncallReads.supersededAt), gt(oncallReads.supersededAt, fromIso)),
  );

/** The reads that answer for some instant of [fromIso, toIso), oldest first per team; one team's when given. */
export function loadOncallReads(
  store: Store,
  fromIso: string,
  toIso: string,
  teamSlug?: string,
): OncallRead[] {
  return store.db
    .select({ read: oncallReads, latestShifts: oncallLatest.shifts })
    .from(oncallReads)
    .leftJoin(oncallLatest, eq(oncallLatest.readId, oncallReads.id))
    .where(answeringFor(fromIso, toIso, teamSlug))
    .orderBy(asc(oncallReads.teamSlug), asc(oncallReads.readAt))
    .all()
    .map(({ read: r, latestShifts }) => ({
      teamSlug: r.teamSlug,
      teamName: r.teamName,
      readAt: r.readAt,
      supersededAt: r.supersededAt,
      first: r.first,
      shifts: JSON.parse(r.shifts ?? latestShifts ?? '[]') as Shift[],
    }));
}

/**
 * The teams with a read answering for some instant of [fromIso, toIso), slug to its latest name
 * there, without reading any shifts (the On-call page's team picker; it reads one team's shifts).
 */
export function loadOncallTeams(store: Store, fromIso: string, toIso: string): Map<string, string> {
  const rows = store.db
    .select({ slug: oncallReads.teamSlug, name: oncallReads.teamName })
    .from(oncallReads)
    .where(answeringFor(fromIso, toIso, undefined))
    .orderBy(asc(oncallReads.teamSlug), asc(oncallReads.readAt))
    .all();
  return new Map(rows.map((r) => [r.slug, r.name]));
}

/**
 * The on-call intervals in [fromMs, toMs) by the recorded reads, from their stored parts (the
 * same as listOncallIntervals over loadOncallReads, in the same order within each team), for
 * one team or all. Raw rows: a 90-day report over 300 teams reads about 100,000 of them.
 */
export function loadOncallIntervals(
  store: Store,
  fromMs: number,
  toMs: number,
  teamSlug?: string,
): OncallInterval[] {
  const rows = store.sqlite
    .prepare(
      `SELECT team_slug, team_name, policy_slug, policy_name, username, override_for, start_ms, end_ms
       FROM oncall_parts WHERE ${teamSlug === undefined ? '' : 'team_slug = @team AND '}end_ms > @from AND start_ms < @to
       ORDER BY id`,
    )
    .raw()
    .all({ from: fromMs, to: toMs, ...(teamSlug === undefined ? {} : { team: teamSlug }) }) as [
    string,
    string,
    string,
    string,
    string,
    string | null,
    number,
    number,
  ][];
  return rows.map(([teamSlug, teamName, policySlug, policyName, username, overrideFor, start, end]) => ({
    teamSlug,
    teamName,
    policySlug,
    policyName,
    username,
    startMs: Math.max(fromMs, start),
    endMs: Math.min(toMs, end),
    ...(overrideFor === null ? {} : { overrideFor }),
  }));
}

/**
 * The name each of these people was last recorded with (display name, else first and last name),
 * by lower-cased username; also for people since removed from the org.
 */
export function loadDisplayNames(store: Store, usernameKeys: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  const unique = [...new Set(usernameKeys)];
  // Well under SQLite's limit on bound parameters per statement.
  for (let i = 0; i < unique.length; i += 500) {
    const rows = store.db
      .select({
        key: users.usernameKey,
        displayName: users.displayName,
        firstName: users.firstName,
        lastName: users.lastName,
      })
      .from(users)
      .where(inArray(users.usernameKey, unique.slice(i, i + 500)))
      .orderBy(asc(users.validFrom))
      .all();
    for (const r of rows) {
      const name = r.displayName ?? [r.firstName, r.lastName].filter(Boolean).join(' ');
      if (name !== '') names.set(r.key, name);
    }
  }
  return names;
}

/**
 * The recorded reads of each team's on-call schedule (`oncall_reads`): written by every policy
 * poll inside its transaction, read by the on-call report, `oncall-at` and the web view.
 */
import { and, asc, eq, gt, inArray, isNull, lt, or } from 'drizzle-orm';
import { type OncallRead, showsSameFrom, trimToAuthority } from '../roster/oncall-intervals.js';
import type { Shift, TeamSchedule } from '../roster/policy-types.js';
import type { Store } from './db.js';
import { oncallReads, users } from './schema.js';

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
  for (const s of schedules) {
    const latest = store.db
      .select({ id: oncallReads.id, readAt: oncallReads.readAt, shifts: oncallReads.shifts })
      .from(oncallReads)
      .where(and(eq(oncallReads.teamSlug, s.team.slug), isNull(oncallReads.supersededAt)))
      .get();
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
    }
    const first =
      latest === undefined &&
      store.db
        .select({ id: oncallReads.id })
        .from(oncallReads)
        .where(eq(oncallReads.teamSlug, s.team.slug))
        .limit(1)
        .get() === undefined;
    store.db
      .insert(oncallReads)
      .values({
        teamSlug: s.team.slug,
        teamName: s.team.name,
        readAt: new Date(readMs).toISOString(),
        supersededAt: null,
        first,
        shifts: JSON.stringify(s.shifts),
        runId,
      })
      .run();
  }
}

/** The reads that answer for some instant of [fromIso, toIso), oldest first per team. */
export function loadOncallReads(store: Store, fromIso: string, toIso: string): OncallRead[] {
  return store.db
    .select()
    .from(oncallReads)
    .where(
      and(
        or(eq(oncallReads.first, true), lt(oncallReads.readAt, toIso)),
        or(isNull(oncallReads.supersededAt), gt(oncallReads.supersededAt, fromIso)),
      ),
    )
    .orderBy(asc(oncallReads.teamSlug), asc(oncallReads.readAt))
    .all()
    .map((r) => ({
      teamSlug: r.teamSlug,
      teamName: r.teamName,
      readAt: r.readAt,
      supersededAt: r.supersededAt,
      first: r.first,
      shifts: JSON.parse(r.shifts) as Shift[],
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

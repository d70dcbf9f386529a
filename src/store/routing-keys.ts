/**
 * Routing keys, versioned (SCD type 2) like policies, and whether they have ever been read: until
 * a policy poll has read them, there is nothing to compare against and nothing to report.
 */
import { and, asc, eq, gt, isNull, lte, or, sql } from 'drizzle-orm';
import { compareText } from '../roster/normalise.js';
import type { RoutingKey, RoutingKeyDiff } from '../roster/routing-keys.js';
import type { Store } from './db.js';
import { meta, routingKeys, runs } from './schema.js';

/** Set by the first policy poll that read the keys: its run id. */
const BASELINE_KEY = 'victorops.routing_keys.baseline_run';

const fromRow = (row: { routingKey: string; isDefault: boolean; targets: string }): RoutingKey => ({
  routingKey: row.routingKey,
  isDefault: row.isDefault,
  targets: JSON.parse(row.targets),
});

/** The keys as currently recorded, sorted by key; null before any policy poll read them. */
export function loadCurrentRoutingKeys(store: Store): RoutingKey[] | null {
  const baseline = store.db.select({ value: meta.value }).from(meta).where(eq(meta.key, BASELINE_KEY)).get();
  if (baseline === undefined) return null;
  return store.db
    .select({
      routingKey: routingKeys.routingKey,
      isDefault: routingKeys.isDefault,
      targets: routingKeys.targets,
    })
    .from(routingKeys)
    .where(isNull(routingKeys.validTo))
    .orderBy(asc(routingKeys.routingKey))
    .all()
    .map(fromRow)
    .sort((a, b) => compareText(a.routingKey, b.routingKey));
}

/** The keys as recorded at an instant, and when they were first read (null: never). */
export interface RoutingKeysAt {
  firstReadAt: string | null;
  /** The versions valid at the instant, sorted by key; empty before the first read. */
  keys: RoutingKey[];
}

/**
 * The routing keys as they were recorded at `atIso` (the version in force then: valid from at or
 * before it, not closed by then). A future instant answers from the current versions.
 */
export function loadRoutingKeysAt(store: Store, atIso: string): RoutingKeysAt {
  const first = store.db
    .select({ at: runs.finishedAt })
    .from(meta)
    .innerJoin(runs, eq(runs.id, sql`CAST(${meta.value} AS INTEGER)`))
    .where(eq(meta.key, BASELINE_KEY))
    .get();
  const keys = store.db
    .select({
      routingKey: routingKeys.routingKey,
      isDefault: routingKeys.isDefault,
      targets: routingKeys.targets,
    })
    .from(routingKeys)
    .where(
      and(lte(routingKeys.validFrom, atIso), or(isNull(routingKeys.validTo), gt(routingKeys.validTo, atIso))),
    )
    .orderBy(asc(routingKeys.routingKey))
    .all()
    .map(fromRow)
    .sort((a, b) => compareText(a.routingKey, b.routingKey));
  return { firstReadAt: first?.at ?? null, keys };
}

/**
 * Writes a routing-key diff as new versions, and marks the keys as read. Synchronous: call it
 * inside the run's transaction.
 */
export function applyRoutingKeyHistory(
  store: Store,
  runId: number,
  atIso: string,
  diff: RoutingKeyDiff,
): void {
  const close = (key: string) =>
    store.db
      .update(routingKeys)
      .set({ validTo: atIso, toRunId: runId })
      .where(and(eq(routingKeys.routingKey, key), isNull(routingKeys.validTo)))
      .run();
  const add = (k: RoutingKey) =>
    store.db
      .insert(routingKeys)
      .values({
        routingKey: k.routingKey,
        isDefault: k.isDefault,
        targets: JSON.stringify(k.targets),
        validFrom: atIso,
        fromRunId: runId,
      })
      .run();
  for (const k of diff.removed) close(k.routingKey);
  for (const c of diff.changed) {
    close(c.before.routingKey);
    add(c.after);
  }
  for (const k of diff.added) add(k);
  store.db
    .insert(meta)
    .values({ key: BASELINE_KEY, value: String(runId) })
    .onConflictDoNothing()
    .run();
}

/** Mass removals the guard is holding back. At most one hold is open at a time. */
import { desc, eq } from 'drizzle-orm';
import type { HoldAction, OpenHold } from '../roster/poll-decision.js';
import type { FetchedRoster } from '../roster/types.js';
import type { Store } from './db.js';
import { guardHolds } from './schema.js';

export function loadOpenHold(store: Store): OpenHold | null {
  const row = store.db
    .select({
      id: guardHolds.id,
      firstRunId: guardHolds.firstRunId,
      removalHash: guardHolds.rosterHash,
      confirmations: guardHolds.confirmations,
    })
    .from(guardHolds)
    .where(eq(guardHolds.status, 'open'))
    .orderBy(desc(guardHolds.id))
    .limit(1)
    .get();
  return row ?? null;
}

/** The fetch an open hold is holding, so `accept` can apply it. */
export function loadHeldFetch(store: Store, holdId: number): FetchedRoster | null {
  const row = store.db
    .select({ fetched: guardHolds.fetched })
    .from(guardHolds)
    .where(eq(guardHolds.id, holdId))
    .get();
  return row ? (JSON.parse(row.fetched) as FetchedRoster) : null;
}

/** Applies the decision's hold action. Synchronous: call it inside the poll's transaction. */
export function applyHoldAction(
  store: Store,
  action: HoldAction,
  runId: number,
  atIso: string,
  fetched: FetchedRoster | null,
): void {
  const db = store.db;
  switch (action.kind) {
    case 'none':
      return;
    case 'open':
      db.update(guardHolds)
        .set({ status: 'superseded', resolvedAt: atIso })
        .where(eq(guardHolds.status, 'open'))
        .run();
      db.insert(guardHolds)
        .values({
          firstRunId: runId,
          lastRunId: runId,
          rosterHash: action.removalHash,
          confirmations: 1,
          removedUsers: action.removedUsers,
          knownUsers: action.knownUsers,
          fetched: JSON.stringify(fetched),
          status: 'open',
          createdAt: atIso,
        })
        .run();
      return;
    case 'confirm':
      db.update(guardHolds)
        .set({ confirmations: action.confirmations, lastRunId: runId, fetched: JSON.stringify(fetched) })
        .where(eq(guardHolds.id, action.holdId))
        .run();
      return;
    case 'release':
      db.update(guardHolds)
        .set({
          status: action.how === 'accepted' ? 'accepted' : 'applied',
          lastRunId: runId,
          resolvedAt: atIso,
        })
        .where(eq(guardHolds.id, action.holdId))
        .run();
      return;
    case 'drop':
      db.update(guardHolds)
        .set({ status: 'superseded', resolvedAt: atIso })
        .where(eq(guardHolds.id, action.holdId))
        .run();
      return;
  }
}

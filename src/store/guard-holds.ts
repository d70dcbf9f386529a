/** Mass removals the guard is holding back. At most one hold is open at a time. */
import type { HoldAction, OpenHold } from '../roster/poll-decision.js';
import type { FetchedRoster } from '../roster/types.js';
import type { Store } from './db.js';

export function loadOpenHold(store: Store): OpenHold | null {
  const row = store.sqlite
    .prepare(
      "SELECT id, first_run_id, roster_hash, confirmations FROM guard_holds WHERE status = 'open' ORDER BY id DESC LIMIT 1",
    )
    .get() as { id: number; first_run_id: number; roster_hash: string; confirmations: number } | undefined;
  return row
    ? {
        id: row.id,
        firstRunId: row.first_run_id,
        removalHash: row.roster_hash,
        confirmations: row.confirmations,
      }
    : null;
}

/** The fetch an open hold is holding, so `accept` can apply it. */
export function loadHeldFetch(store: Store, holdId: number): FetchedRoster | null {
  const row = store.sqlite.prepare('SELECT fetched FROM guard_holds WHERE id = ?').get(holdId) as
    | { fetched: string }
    | undefined;
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
  const db = store.sqlite;
  switch (action.kind) {
    case 'none':
      return;
    case 'open':
      db.prepare("UPDATE guard_holds SET status = 'superseded', resolved_at = ? WHERE status = 'open'").run(
        atIso,
      );
      db.prepare(
        `INSERT INTO guard_holds (first_run_id, last_run_id, roster_hash, confirmations, removed_users, known_users, fetched, status, created_at)
         VALUES (?, ?, ?, 1, ?, ?, ?, 'open', ?)`,
      ).run(
        runId,
        runId,
        action.removalHash,
        action.removedUsers,
        action.knownUsers,
        JSON.stringify(fetched),
        atIso,
      );
      return;
    case 'confirm':
      db.prepare('UPDATE guard_holds SET confirmations = ?, last_run_id = ?, fetched = ? WHERE id = ?').run(
        action.confirmations,
        runId,
        JSON.stringify(fetched),
        action.holdId,
      );
      return;
    case 'release':
      db.prepare('UPDATE guard_holds SET status = ?, last_run_id = ?, resolved_at = ? WHERE id = ?').run(
        action.how === 'accepted' ? 'accepted' : 'applied',
        runId,
        atIso,
        action.holdId,
      );
      return;
    case 'drop':
      db.prepare("UPDATE guard_holds SET status = 'superseded', resolved_at = ? WHERE id = ?").run(
        atIso,
        action.holdId,
      );
      return;
  }
}

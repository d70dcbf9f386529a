/**
 * A run's events and their outbox rows, written together. The record functions of the roster,
 * policy and identity runs call this and nothing else to store events, so no caller can store an
 * event without the deliveries the configured destinations are owed for it.
 */
import { type DestinationSpec, planDeliveries } from '../roster/delivery-plan.js';
import type { EventDraft } from '../roster/events.js';
import { requireTransaction, type Store } from './db.js';
import { appendEvents, type StoredEvent } from './events.js';
import { enqueueDeliveries } from './outbox.js';

/** Where a run's events go: the configured destinations, and the time the rows become due. */
export interface DeliveryTargets {
  destinations: readonly DestinationSpec[];
  nowMs: number;
}

export function appendRunEvents(
  store: Store,
  drafts: readonly EventDraft[],
  envelope: { source: string; runId: number; time: string; newId?: (() => string) | undefined },
  targets: DeliveryTargets,
): StoredEvent[] {
  requireTransaction(store, 'appendRunEvents');
  const events = appendEvents(store, drafts, envelope);
  if (events.length > 0 && targets.destinations.length > 0) {
    enqueueDeliveries(store, planDeliveries(events, targets.destinations), targets.nowMs);
  }
  return events;
}

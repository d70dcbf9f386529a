/**
 * What the dispatcher keeps per destination while it runs: how to send one outbox row there,
 * how many may be in flight, how long a claim is leased, and the pacing state (Slack's one
 * message per second, a 429's pause). Built once from Config; secrets stay inside the senders.
 */
import type { Dispatcher as UndiciDispatcher } from 'undici';
import type { Clock } from '../clock.js';
import type { DeliveryConfig } from '../config/delivery.js';
import type { DestinationKind, DestinationSpec } from '../roster/delivery-plan.js';
import type { Store } from '../store/db.js';
import type { ClaimedDelivery } from '../store/outbox.js';
import type { FileSendResult } from './file-sender.js';
import type { SlackSendResult } from './slack-sender.js';
import type { WebhookSendResult } from './webhook-sender.js';

export type SendResult = WebhookSendResult | SlackSendResult | FileSendResult;

export interface DestinationRuntime {
  spec: DestinationSpec;
  concurrency: number;
  /** How long a claimed row is reserved for this process; a crash makes it due again after this. */
  leaseMs: number;
  /** Smallest gap between two sends to this destination. */
  minIntervalMs: number;
  /** Monotonic ms (monotonicNow) of the last send; -Infinity before the first. */
  lastSendStartedMs: number;
  /** Set after a 429: nothing is sent to the destination before this time. */
  pausedUntilMs: number;
  send(row: ClaimedDelivery): Promise<SendResult>;
}

/** Margin on top of the send timeout, so a lease never runs out while its send is still allowed to run. */
export const LEASE_MARGIN_MS = 5_000;

/** What a destination's plugin is built with. */
export interface DestinationDeps {
  store: Store;
  delivery: DeliveryConfig;
  clock: Clock;
  agent: UndiciDispatcher;
}

/** How one configured destination sends: its sender and its pacing. */
export type DestinationSender = Pick<
  DestinationRuntime,
  'concurrency' | 'leaseMs' | 'minIntervalMs' | 'send'
>;

/**
 * One kind of delivery destination, registered in destinations.ts. Which destinations are
 * configured, and which events each gets, is the pure routing's (roster/delivery-plan.ts); the
 * plugin builds the sender of one of them, by its name, from the delivery settings.
 */
export interface DestinationPlugin<K extends DestinationKind> {
  kind: K;
  create(name: string, deps: DestinationDeps): DestinationSender | null;
}

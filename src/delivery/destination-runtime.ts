/**
 * What the dispatcher keeps per destination while it runs: how to send one outbox row there,
 * how many may be in flight, how long a claim is leased, and the pacing state (Slack's one
 * message per second, a 429's pause). Built once from Config; secrets stay inside the senders.
 */
import type { Dispatcher as UndiciDispatcher } from 'undici';
import type { Clock } from '../clock.js';
import type { Config } from '../config/load-config.js';
import { type DestinationSpec, destinationSpecsFromConfig } from '../roster/delivery-plan.js';
import { type CloudEvent, isMembershipEvent } from '../roster/events.js';
import type { Store } from '../store/db.js';
import type { ClaimedDelivery } from '../store/outbox.js';
import {
  loadRunChangeEvents,
  loadRunCoverageEvents,
  loadRunStartedAt,
  lookupPeopleNames,
} from '../store/outbox-reads.js';
import type { SlackMessage } from './slack-blocks.js';
import { formatCoverageSummary } from './slack-coverage.js';
import { formatRunDigest } from './slack-digest.js';
import { formatNotice } from './slack-notice.js';
import { createSlackSender, type SlackSendResult } from './slack-sender.js';
import { createWebhookSender, type WebhookSendResult } from './webhook-sender.js';

export type SendResult = WebhookSendResult | SlackSendResult;

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
const LEASE_MARGIN_MS = 5_000;

/** Slack messages are rendered when sent, so a digest always reflects its run's stored events. */
export function buildSlackMessage(store: Store, row: ClaimedDelivery): SlackMessage {
  if (row.kind === 'digest' && row.runId !== null) {
    const events = loadRunChangeEvents(store, row.runId);
    const since = loadRunStartedAt(store, row.runId) ?? events[0]?.time ?? new Date(0).toISOString();
    const usernames = events
      .filter((e) => isMembershipEvent(e.type))
      .map((e) => (e.data as { username: string }).username);
    return formatRunDigest(events, {
      historyHint: `roster-watch history --since ${since}`,
      people: lookupPeopleNames(store, usernames),
    });
  }
  if (row.kind === 'coverage' && row.runId !== null) {
    return formatCoverageSummary(loadRunCoverageEvents(store, row.runId));
  }
  return formatNotice(JSON.parse(row.envelope) as CloudEvent);
}

export function createDestinationRuntimes(deps: {
  store: Store;
  config: Config;
  clock: Clock;
  agent: UndiciDispatcher;
}): DestinationRuntime[] {
  const { delivery } = deps.config;
  const specs = destinationSpecsFromConfig(delivery);
  const runtimes: DestinationRuntime[] = [];
  for (const webhook of delivery.webhooks) {
    const spec = specs.find((s) => s.name === webhook.name && s.kind === 'webhook');
    if (spec === undefined) continue;
    const sender = createWebhookSender({
      url: webhook.url,
      secret: webhook.secret,
      timeoutMs: delivery.webhookTimeoutMs,
      agent: deps.agent,
      clock: deps.clock,
    });
    runtimes.push({
      spec,
      concurrency: delivery.concurrencyPerDestination,
      leaseMs: delivery.webhookTimeoutMs + LEASE_MARGIN_MS,
      minIntervalMs: 0,
      lastSendStartedMs: Number.NEGATIVE_INFINITY,
      pausedUntilMs: 0,
      send: (row) => sender.send({ id: row.eventId, body: row.envelope }),
    });
  }
  const slack = delivery.slack;
  const slackSpec = specs.find((s) => s.kind === 'slack');
  if (slack !== null && slackSpec !== undefined) {
    const sender = createSlackSender({ url: slack.url, timeoutMs: slack.timeoutMs, clock: deps.clock });
    runtimes.push({
      spec: slackSpec,
      // One at a time: Slack allows about one message a second, and digests should arrive in order.
      concurrency: 1,
      leaseMs: slack.timeoutMs + slack.minIntervalMs + LEASE_MARGIN_MS,
      minIntervalMs: slack.minIntervalMs,
      lastSendStartedMs: Number.NEGATIVE_INFINITY,
      pausedUntilMs: 0,
      send: async (row) => {
        let message: SlackMessage;
        try {
          message = buildSlackMessage(deps.store, row);
        } catch (error) {
          // A stored event that cannot be rendered will not render on a retry either.
          return {
            kind: 'rejected',
            statusCode: null,
            error: `cannot build the Slack message: ${(error as Error).message}`,
            latencyMs: 0,
          };
        }
        return sender.send(message);
      },
    });
  }
  return runtimes;
}

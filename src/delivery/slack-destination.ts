/** The Slack destination: one incoming webhook, one message at a time, rendered when sent. */
import { type CloudEvent, isMembershipEvent } from '../roster/events.js';
import type { Store } from '../store/db.js';
import type { ClaimedDelivery } from '../store/outbox.js';
import {
  loadRunChangeEvents,
  loadRunCoverageEvents,
  loadRunStartedAt,
  lookupPeopleNames,
} from '../store/outbox-reads.js';
import { type DestinationPlugin, LEASE_MARGIN_MS } from './destination-runtime.js';
import type { SlackMessage } from './slack-blocks.js';
import { formatCoverageSummary } from './slack-coverage.js';
import { formatRunDigest } from './slack-digest.js';
import { formatNotice } from './slack-notice.js';
import { createSlackSender } from './slack-sender.js';

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

export const slackDestination: DestinationPlugin<'slack'> = {
  kind: 'slack',
  create(_name, deps) {
    const slack = deps.delivery.slack;
    if (slack === null) return null;
    const sender = createSlackSender({ url: slack.url, timeoutMs: slack.timeoutMs, clock: deps.clock });
    return {
      // One at a time: Slack allows about one message a second, and digests should arrive in order.
      concurrency: 1,
      leaseMs: slack.timeoutMs + slack.minIntervalMs + LEASE_MARGIN_MS,
      minIntervalMs: slack.minIntervalMs,
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
    };
  },
};

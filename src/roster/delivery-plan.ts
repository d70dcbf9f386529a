/**
 * Which destination gets which event: a pure function from the events a transaction just stored
 * to the outbox rows it must store with them. The store never decides routing, so the same plan
 * is used for change events, notices and tests.
 */

import { EVENTS_FILE_DESTINATION } from '../config/events-file.js';

/** `file`: the JSON Lines file of EVENTS_FILE, which gets events one by one like a webhook. */
export type DestinationKind = 'webhook' | 'slack' | 'file';

export interface DestinationSpec {
  name: string;
  kind: DestinationKind;
  /** Event-type patterns (`victorops.user.*`, `victorops.*`, exact types); empty means all. Not Slack's. */
  events: readonly string[];
}

export interface RoutableEvent {
  sequence: number;
  type: string;
  runId: number | null;
}

export interface PlannedDelivery {
  destination: string;
  destinationKind: DestinationKind;
  /**
   * `event`: one event to one destination. `digest`: one Slack message for a whole run's roster
   * changes. `coverage`: one Slack message summarising a run's many coverage findings.
   */
  kind: 'event' | 'digest' | 'coverage';
  /**
   * The event to deliver; for a digest, the run's first change event, so digests and notices
   * for the same destination are sent in the order they happened.
   */
  eventSequence: number;
  runId: number | null;
}

/** The name the Slack destination has in the outbox; there is at most one Slack webhook. */
export const SLACK_DESTINATION = 'slack';

const CHANGE_PREFIX = 'victorops.';
const NOTICE_PREFIX = 'rosterwatch.';
const COVERAGE_PREFIX = 'rosterwatch.coverage.';
const IDENTITY_PREFIX = 'rosterwatch.identity.';
/** Finding events (coverage or identity) reach Slack one by one, or as one summary per run. */
const isFindingEvent = (type: string) => type.startsWith(COVERAGE_PREFIX) || type.startsWith(IDENTITY_PREFIX);
/**
 * Up to this many coverage events from one run reach Slack as one notice each; more become one
 * summary message, so a first audit of a neglected org does not flood the channel.
 */
export const COVERAGE_NOTICE_MAX = 3;

/** `*` matches any run of characters (including dots), everything else is literal. */
export function matchesEventFilter(type: string, patterns: readonly string[]): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((pattern) => {
    if (!pattern.includes('*')) return pattern === type;
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    return new RegExp(`^${source}$`).test(type);
  });
}

export function planDeliveries(
  events: readonly RoutableEvent[],
  destinations: readonly DestinationSpec[],
): PlannedDelivery[] {
  const ordered = [...events].sort((a, b) => a.sequence - b.sequence);
  const planned: PlannedDelivery[] = [];
  for (const destination of destinations) {
    if (destination.kind === 'webhook' || destination.kind === 'file') {
      for (const event of ordered) {
        if (!matchesEventFilter(event.type, destination.events)) continue;
        planned.push({
          destination: destination.name,
          destinationKind: destination.kind,
          kind: 'event',
          eventSequence: event.sequence,
          runId: event.runId,
        });
      }
      continue;
    }
    // Slack gets one digest per run rather than one message per change: a busy run would
    // otherwise flood the channel and trip Slack's one-message-per-second limit.
    const digestRuns = new Set<number>();
    const coverageByRun = new Map<number | null, RoutableEvent[]>();
    for (const event of ordered) {
      if (!isFindingEvent(event.type)) continue;
      const list = coverageByRun.get(event.runId) ?? [];
      list.push(event);
      coverageByRun.set(event.runId, list);
    }
    for (const [runId, list] of coverageByRun) {
      const first = list[0];
      if (runId === null || first === undefined || list.length <= COVERAGE_NOTICE_MAX) continue;
      planned.push({
        destination: destination.name,
        destinationKind: 'slack',
        kind: 'coverage',
        eventSequence: first.sequence,
        runId,
      });
    }
    for (const event of ordered) {
      if (isFindingEvent(event.type)) {
        const summarised =
          event.runId !== null && (coverageByRun.get(event.runId)?.length ?? 0) > COVERAGE_NOTICE_MAX;
        if (summarised) continue;
      }
      if (event.type.startsWith(CHANGE_PREFIX)) {
        if (event.runId === null || digestRuns.has(event.runId)) continue;
        digestRuns.add(event.runId);
        planned.push({
          destination: destination.name,
          destinationKind: 'slack',
          kind: 'digest',
          eventSequence: event.sequence,
          runId: event.runId,
        });
      } else if (event.type.startsWith(NOTICE_PREFIX)) {
        planned.push({
          destination: destination.name,
          destinationKind: 'slack',
          kind: 'event',
          eventSequence: event.sequence,
          runId: event.runId,
        });
      }
    }
  }
  return planned.sort((a, b) => a.eventSequence - b.eventSequence);
}

/** The destinations a configuration describes, in the shape routing and the outbox need. */
export function destinationSpecsFromConfig(delivery: {
  webhooks: readonly { name: string; events: readonly string[] }[];
  slack: unknown | null;
  eventsFile: { events: readonly string[] } | null;
}): DestinationSpec[] {
  const specs: DestinationSpec[] = delivery.webhooks.map((w) => ({
    name: w.name,
    kind: 'webhook',
    events: w.events,
  }));
  if (delivery.slack !== null) specs.push({ name: SLACK_DESTINATION, kind: 'slack', events: [] });
  if (delivery.eventsFile !== null) {
    specs.push({ name: EVENTS_FILE_DESTINATION, kind: 'file', events: delivery.eventsFile.events });
  }
  return specs;
}

/**
 * The event contract that Slack, webhooks and outside consumers rely on: CloudEvents 1.0 in
 * structured JSON. Every type here comes from the one catalogue, src/contract/catalogue.ts, which
 * also generates `schemas/events.schema.json` (`npm run schemas`).
 */
import type { EventDataByType, EventEnvelope } from '../contract/catalogue.js';
import {
  EVENT_TYPES,
  type EventType,
  type FindingKind,
  type IdentityFindingKind,
} from '../contract/names.js';

export type { EventDataByType, EventType };
export { EVENT_TYPES };

/** One entry of an event's `changes`: a compared field and its values (`V`: what the field holds). */
export interface FieldChange<F extends string = string, V = string | boolean | null> {
  field: F;
  before: V;
  after: V;
}

/** A coverage finding appearing (`state: "open"`) or resolving (`state: "resolved"`). */
export type CoverageEventData<K extends FindingKind = FindingKind> =
  EventDataByType[`rosterwatch.coverage.${K}`];

/** An identity finding appearing or resolving (`rosterwatch.identity.<kind>`). */
export type IdentityEventData<K extends IdentityFindingKind = IdentityFindingKind> =
  EventDataByType[`rosterwatch.${K}`];

/** A change or notice before it is stored: the store assigns id, sequence and runid. */
export type EventDraft = {
  [T in EventType]: { type: T; subject: string; data: EventDataByType[T] };
}[EventType];

/** A stored event: the catalogue's envelope, its `type` and `data` matched. */
export type CloudEvent<T extends EventType = EventType> = Omit<EventEnvelope, 'type' | 'data'> & {
  type: T;
  data: EventDataByType[T];
};

export const SEQUENCE_WIDTH = 16;

export function formatSequence(sequence: number): string {
  return String(sequence).padStart(SEQUENCE_WIDTH, '0');
}

/**
 * The event families by type prefix. Each family has one predicate below; SQL that selects a family
 * (store/outbox-reads.ts) builds its LIKE pattern from the same prefix, so a family is defined once.
 */
export const EVENT_FAMILY_PREFIX = {
  change: 'victorops.',
  membership: 'victorops.membership.',
  team: 'victorops.team.',
  policy: 'victorops.policy.',
  routingKey: 'victorops.routing_key.',
  coverage: 'rosterwatch.coverage.',
  identity: 'rosterwatch.identity.',
} as const;

/** Change events about the org itself, as opposed to roster-watch's own notices. */
export function isChangeEvent(type: string): boolean {
  return type.startsWith(EVENT_FAMILY_PREFIX.change);
}

export function isMembershipEvent(type: string): boolean {
  return type.startsWith(EVENT_FAMILY_PREFIX.membership);
}

export function isTeamEvent(type: string): boolean {
  return type.startsWith(EVENT_FAMILY_PREFIX.team);
}

export function isPolicyEvent(type: string): boolean {
  return type.startsWith(EVENT_FAMILY_PREFIX.policy);
}

export function isRoutingKeyEvent(type: string): boolean {
  return type.startsWith(EVENT_FAMILY_PREFIX.routingKey);
}

export function isCoverageEvent(type: string): boolean {
  return type.startsWith(EVENT_FAMILY_PREFIX.coverage);
}

export function isIdentityEvent(type: string): boolean {
  return type.startsWith(EVENT_FAMILY_PREFIX.identity);
}

/** Coverage and identity findings: Slack announces them as one summary per run. */
export function isFindingEvent(type: string): boolean {
  return isCoverageEvent(type) || isIdentityEvent(type);
}

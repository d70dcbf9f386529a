/**
 * The event contract that Slack, webhooks and outside consumers rely on: CloudEvents 1.0 in
 * structured JSON. `schemas/events.schema.json` is the machine-readable form of these types.
 */
import type { ContactMethod, PagingStep } from './contact-types.js';
import type { Finding, FindingKind } from './coverage-types.js';
import type { IdentityFinding, IdentityFindingKind } from './identity-types.js';
import type { Policy, PolicyField, PolicyReference } from './policy-types.js';
import type { RoutingKey, RoutingKeyField } from './routing-key-types.js';
import type { Team, User, UserField } from './types.js';

export const EVENT_TYPES = [
  'victorops.user.added',
  'victorops.user.removed',
  'victorops.user.changed',
  'victorops.user.invited',
  'victorops.user.registered',
  'victorops.user.invite_withdrawn',
  'victorops.membership.added',
  'victorops.membership.removed',
  'victorops.team.added',
  'victorops.team.removed',
  'victorops.team.changed',
  'victorops.policy.added',
  'victorops.policy.removed',
  'victorops.policy.changed',
  'victorops.routing_key.added',
  'victorops.routing_key.removed',
  'victorops.routing_key.changed',
  'rosterwatch.baseline',
  'rosterwatch.guard.held',
  'rosterwatch.guard.released',
  'rosterwatch.poll.failing',
  'rosterwatch.poll.recovered',
  'rosterwatch.endpoint.disabled',
  'rosterwatch.hints.unreliable',
  'rosterwatch.coverage.dangling_reference',
  'rosterwatch.coverage.removed_user_on_call',
  'rosterwatch.coverage.team_without_members',
  'rosterwatch.coverage.team_without_policy',
  'rosterwatch.coverage.empty_step',
  'rosterwatch.coverage.unverified_on_call',
  'rosterwatch.coverage.nobody_on_call',
  'rosterwatch.coverage.empty_policy',
  'rosterwatch.coverage.unreachable_on_call',
  'rosterwatch.coverage.email_only_paging',
  'victorops.user.contact_methods_changed',
  'victorops.user.paging_policy_changed',
  'rosterwatch.coverage.routing_key_unrouted',
  'rosterwatch.coverage.routing_key_unstaffed',
  'rosterwatch.identity.unmatched',
  'rosterwatch.identity.inactive',
  'rosterwatch.identity.mismatch',
  'rosterwatch.identity.source_failing',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface FieldChange<F extends string = string> {
  field: F;
  before: string | boolean | null;
  after: string | boolean | null;
}

export interface EventDataByType {
  'victorops.user.added': { user: User };
  /** `policies`: the recorded policies that still paged the user directly when it was removed. */
  'victorops.user.removed': { user: User; policies: PolicyReference[] };
  'victorops.user.changed': {
    username: string;
    before: User;
    after: User;
    changes: FieldChange<UserField>[];
  };
  /** A pending invitation (`invited_…` username) appeared: not a person yet. */
  'victorops.user.invited': { user: User };
  /** An invitation was accepted: the invitee disappeared and a user with its email appeared. */
  'victorops.user.registered': { invitedAs: string; username: string; user: User; invitation: User };
  /** An invitation disappeared without anyone registering with its email (expired or revoked). */
  'victorops.user.invite_withdrawn': { user: User };
  'victorops.membership.added': { username: string; team: Team };
  'victorops.membership.removed': { username: string; team: Team };
  'victorops.team.added': { team: Team };
  'victorops.team.removed': { team: Team };
  'victorops.team.changed': { slug: string; before: Team; after: Team; changes: FieldChange<'name'>[] };
  'victorops.policy.added': { policy: Policy };
  'victorops.policy.removed': { policy: Policy };
  'victorops.policy.changed': {
    slug: string;
    before: Policy;
    after: Policy;
    changes: FieldChange<PolicyField>[];
  };
  'victorops.routing_key.added': { routingKey: RoutingKey };
  'victorops.routing_key.removed': { routingKey: RoutingKey };
  /** `routingKey` is the key's name; `changes` compare the targets (as text) and the default flag. */
  'victorops.routing_key.changed': {
    routingKey: string;
    before: RoutingKey;
    after: RoutingKey;
    changes: FieldChange<RoutingKeyField>[];
  };
  'rosterwatch.coverage.dangling_reference': CoverageEventData<'dangling_reference'>;
  'rosterwatch.coverage.removed_user_on_call': CoverageEventData<'removed_user_on_call'>;
  'rosterwatch.coverage.team_without_members': CoverageEventData<'team_without_members'>;
  'rosterwatch.coverage.team_without_policy': CoverageEventData<'team_without_policy'>;
  'rosterwatch.coverage.empty_step': CoverageEventData<'empty_step'>;
  'rosterwatch.coverage.unverified_on_call': CoverageEventData<'unverified_on_call'>;
  'rosterwatch.coverage.nobody_on_call': CoverageEventData<'nobody_on_call'>;
  'rosterwatch.coverage.empty_policy': CoverageEventData<'empty_policy'>;
  'rosterwatch.coverage.unreachable_on_call': CoverageEventData<'unreachable_on_call'>;
  'rosterwatch.coverage.email_only_paging': CoverageEventData<'email_only_paging'>;
  /** A person's contact methods changed (hints only: never a full number or address). */
  'victorops.user.contact_methods_changed': {
    username: string;
    added: ContactMethod[];
    removed: ContactMethod[];
    /** Same id, another verified state or hint. */
    changed: { before: ContactMethod; after: ContactMethod }[];
    message: string;
  };
  /** A person's own paging policy changed; contacts named by id and hint. */
  'victorops.user.paging_policy_changed': {
    username: string;
    before: PagingStep[];
    after: PagingStep[];
    message: string;
  };
  'rosterwatch.coverage.routing_key_unrouted': CoverageEventData<'routing_key_unrouted'>;
  'rosterwatch.coverage.routing_key_unstaffed': CoverageEventData<'routing_key_unstaffed'>;
  'rosterwatch.identity.unmatched': IdentityEventData<'identity.unmatched'>;
  'rosterwatch.identity.inactive': IdentityEventData<'identity.inactive'>;
  'rosterwatch.identity.mismatch': IdentityEventData<'identity.mismatch'>;
  'rosterwatch.identity.source_failing': IdentityEventData<'identity.source_failing'>;
  'rosterwatch.baseline': { users: number; teams: number; memberships: number; strategy: string };
  'rosterwatch.guard.held': {
    removedUsers: number;
    knownUsers: number;
    fraction: number;
    removedTeams: number;
    knownTeams: number;
    threshold: { maxFraction: number; min: number };
    confirmations: number;
    confirmationsRequired: number;
    sampleUsernames: string[];
  };
  'rosterwatch.guard.released': {
    how: 'confirmed' | 'accepted';
    removedUsers: number;
    heldSinceRunId: number;
  };
  'rosterwatch.poll.failing': {
    poll: 'roster' | 'policy';
    consecutiveFailures: number;
    lastError: string;
    since: string;
  };
  'rosterwatch.poll.recovered': { poll: 'roster' | 'policy'; failedRuns: number; since: string };
  'rosterwatch.endpoint.disabled': { destination: string; statusCode: number; reason: string };
  /**
   * A team read in full had a different number of members than `GET /v1/team` listed for it in the
   * same poll (and again on a second list): the API contradicts itself, so the hints are not followed.
   */
  'rosterwatch.hints.unreliable': {
    team: Team;
    /** Teams whose count was contradicted in that poll. */
    teamsWithUnannouncedChanges: number;
    /** The first such team's `memberCount` as listed, and its members as read (absent before issue 19). */
    listedMemberCount?: number;
    readMemberCount?: number;
    detectedAt: string;
    message: string;
  };
}

/**
 * A coverage finding appearing (`state: "open"`) or resolving (`state: "resolved"`): both use the
 * finding's own type, so a consumer subscribed to one kind sees its whole life cycle.
 */
export type CoverageEventData<K extends FindingKind = FindingKind> = Extract<Finding, { kind: K }> & {
  state: 'open' | 'resolved';
  /** The actionable sentence shown in Slack and `roster-watch coverage`. */
  message: string;
  firstSeen: string;
  /** null while open. */
  resolvedAt: string | null;
};

/**
 * An identity finding appearing or resolving (`rosterwatch.identity.<kind>`); `username` is null
 * only for `source_failing`.
 */
export type IdentityEventData<K extends IdentityFindingKind = IdentityFindingKind> = Extract<
  IdentityFinding,
  { kind: K }
> & {
  state: 'open' | 'resolved';
  message: string;
  firstSeen: string;
  resolvedAt: string | null;
};

/** A change or notice before it is stored: the store assigns id, sequence and runid. */
export type EventDraft = {
  [T in EventType]: { type: T; subject: string; data: EventDataByType[T] };
}[EventType];

export interface CloudEvent<T extends EventType = EventType> {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  /** The run that detected the change (extension attribute); absent on notices raised outside a run. */
  runid?: number;
  /**
   * CloudEvents `sequence` extension: a string that orders lexicographically, so it is the
   * event's integer sequence zero-padded to 16 digits.
   */
  sequence: string;
  data: EventDataByType[T];
}

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

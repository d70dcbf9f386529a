/**
 * Escalation policies and on-call schedules as roster-watch keeps them: the shapes shared by the
 * VictorOps adapter, the store, coverage and the event contract. Their normalisation and diff are
 * in policies.ts, which builds events; these shapes import nothing that does.
 */

/** A policy, its steps and their entries: the event catalogue's shapes (src/contract/catalogue.ts). */
import type { Policy, PolicyStep } from '../contract/catalogue.js';
import type { RoutingKey } from './routing-key-types.js';
import type { FetchStats, Team } from './types.js';

export type { Policy, PolicyStep };

/** One upcoming (or current) on-call shift from a team's schedule. */
export interface Shift {
  policySlug: string;
  policyName: string;
  rotationName: string;
  shiftName: string;
  username: string;
  /** ISO-8601 instants. */
  start: string;
  end: string;
  /** Set when an override hands this part of someone's shift to `username`: whose shift it was. */
  overrideFor?: string;
  /** Set on the parts of a roll an override split: the whole roll, so the roll counts once. */
  roll?: { start: string; end: string };
}

/** A rotation a team's policy uses, whether or not anyone is on call in it. */
export interface Rotation {
  policySlug: string;
  policyName: string;
  rotationName: string;
  shiftName: string;
}

export interface TeamSchedule {
  team: Team;
  shifts: Shift[];
  /** Every rotation in the schedule, also those without a single roll (nobody on call). */
  rotations?: Rotation[];
  /** When it was read: its rolls reach ONCALL_DAYS_FORWARD days from then, not from any later moment. */
  fetchedAt?: string;
}

/**
 * A policy the list names whose detail could not be read and that has no recorded version: it
 * exists, but what it pages is unknown (never "gone"). The next poll tries it again.
 */
export interface UnreadPolicy {
  slug: string;
  name: string;
  teamSlug: string;
  reason: string;
}

/** A part of the policy fetch that could not be read: its previous state is kept, never dropped. */
export type PolicyFailedScope =
  /** `name` and `teamSlug` are from the policy list (absent in runs recorded by older versions). */
  | { kind: 'policy'; slug: string; reason: string; name?: string; teamSlug?: string }
  | { kind: 'team-schedule'; teamSlug: string; reason: string }
  /** `GET /v1/org/routing-keys` failed: every recorded key stays as it was (never "removed"). */
  | { kind: 'routing-keys'; reason: string };

export interface FetchedPolicies {
  policies: Policy[];
  schedules: TeamSchedule[];
  /**
   * The org's routing keys, normalised; null or absent when they were not read (a failed read is
   * also a failed scope): the recorded keys then stay as they are.
   */
  routingKeys?: RoutingKey[] | null;
  failedScopes: PolicyFailedScope[];
  stats: FetchStats;
  startedAt: string;
  finishedAt: string;
}

/** A policy that still pages someone, and at which steps: part of `victorops.user.removed`. */
import type { PolicyReference } from '../contract/catalogue.js';

export type { PolicyReference };

export type PolicyField = 'name' | 'teamSlug' | 'steps';

/**
 * The coverage findings' shapes, shared by their computation (coverage.ts), their events and the
 * store; kept apart so the event contract can name them without importing the computation.
 */
import type { Team } from './types.js';

export const FINDING_KINDS = [
  'dangling_reference',
  'removed_user_on_call',
  'team_without_members',
  'team_without_policy',
  'empty_step',
  'unverified_on_call',
  'nobody_on_call',
  'empty_policy',
  'unreachable_on_call',
  'email_only_paging',
  'routing_key_unrouted',
  'routing_key_unstaffed',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export interface PolicyRef {
  slug: string;
  name: string;
}

/** The kinds only a contacts poll decides (it reads the contact methods they need). */
export const REACH_KINDS = ['unreachable_on_call', 'email_only_paging'] as const;
export const isReachKind = (kind: string): boolean => (REACH_KINDS as readonly string[]).includes(kind);

/** A person's first upcoming (or current) shift, overrides applied. */
export interface HeldShift {
  team: Team;
  policy: PolicyRef;
  rotation: string;
  start: string;
  end: string;
}

export type Finding =
  | {
      kind: 'dangling_reference';
      key: string;
      policy: PolicyRef;
      team: Team;
      /** 1-based step index. */
      step: number;
      /** The user paged directly; null when the step routes to another policy instead. */
      username: string | null;
      /** Set when the step routes (`policy_routing`) to a policy that does not exist. */
      targetPolicy?: string;
      /** When roster-watch recorded the user's removal; null when it never knew the user. */
      removedAt: string | null;
    }
  | {
      kind: 'removed_user_on_call';
      key: string;
      team: Team;
      policy: PolicyRef;
      rotation: string;
      shift: string;
      username: string;
      /** The earliest upcoming (or current) shift of this user in this rotation. */
      start: string;
      end: string;
      /** How many upcoming shifts in the schedule window the user holds in this rotation. */
      shifts: number;
      removedAt: string | null;
    }
  | { kind: 'team_without_members'; key: string; team: Team }
  | { kind: 'team_without_policy'; key: string; team: Team }
  | { kind: 'empty_step'; key: string; policy: PolicyRef; team: Team; step: number }
  | {
      kind: 'empty_policy';
      key: string;
      policy: PolicyRef;
      team: Team;
      /** The steps of other policies that route (`policy_routing`) into it; 1-based steps. */
      routedFrom: { policy: PolicyRef; step: number }[];
    }
  | {
      kind: 'unverified_on_call';
      key: string;
      username: string;
      /** A pending invitation (`invited_…`), not an account yet. */
      pending: boolean;
      /** The first upcoming (or current) shift the user holds, overrides applied; null when none. */
      shift: { team: Team; policy: PolicyRef; rotation: string; start: string; end: string } | null;
      /** How many upcoming shifts in the window the user holds. */
      shifts: number;
      /** The policies (and steps) that page the user directly. */
      pagedBy: { slug: string; name: string; steps: number[] }[];
    }
  | {
      kind: 'nobody_on_call';
      key: string;
      team: Team;
      /** The first of `policies`. */
      policy: PolicyRef;
      /** Every policy of the team whose schedule lists the rotation. */
      policies: PolicyRef[];
      rotation: string;
      /** The rotation's shift names: the gap is when none of them has anyone. */
      shifts: string[];
      /** The first window with nobody on call in any shift of the rotation. */
      start: string;
      end: string;
      /** How many separate windows without anyone there are in the next ONCALL_DAYS_FORWARD days. */
      windows: number;
    }
  | {
      kind: 'unreachable_on_call';
      key: string;
      username: string;
      /** Why each rule of the person's own paging policy cannot reach them (1-based steps). */
      rules: { step: number; type: string; reason: string }[];
      /** The first upcoming (or current) shift the person holds; null when only paged directly. */
      shift: HeldShift | null;
      shifts: number;
      pagedBy: { slug: string; name: string; steps: number[] }[];
      /** The escalation policies whose pages would stop at this person. */
      policies: PolicyRef[];
    }
  | {
      kind: 'email_only_paging';
      key: string;
      username: string;
      /** The hints (domains) of the verified emails that are the only way to reach them. */
      emails: string[];
      shift: HeldShift;
      shifts: number;
      policies: PolicyRef[];
    }
  | {
      kind: 'routing_key_unrouted';
      key: string;
      routingKey: string;
      isDefault: boolean;
      /** The targets the key lists, all of them policies that no longer exist; empty when it lists none. */
      missingPolicies: PolicyRef[];
    }
  | {
      kind: 'routing_key_unstaffed';
      key: string;
      routingKey: string;
      isDefault: boolean;
      /** The first interval of the read window in which no target policy can page a person. */
      from: string;
      until: string;
      /** How many separate such intervals the read window holds. */
      windows: number;
      /** Each existing target policy and why it pages nobody in the first interval. */
      policies: UnstaffedPolicy[];
      /** Email and webhook entries the policies (or the policies they route to) do page: not people. */
      notPeople: string[];
    };

/** Why one of a key's target policies pages nobody during a gap. */
export interface UnstaffedPolicy {
  slug: string;
  name: string;
  /** e.g. "rotation 'DB' has no one on call", "no step pages a person". */
  why: string[];
}

export interface OpenFinding {
  finding: Finding;
  firstSeen: string;
}

export interface FindingsDiff {
  appeared: Finding[];
  resolved: OpenFinding[];
  /** Still open: their data is refreshed (e.g. the next shift) without an event. */
  still: Finding[];
}

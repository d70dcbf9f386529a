/**
 * Identity reconciliation's domain: people as the company's sources of truth describe them, and
 * the findings that join them to VictorOps users. Pure types only.
 */

import type { IdentitySourceKind } from '../config/identity.js';
import type { PolicyRef } from './coverage-types.js';
import type { Team } from './types.js';

/** The identity source kinds, as the configuration registers them (config/identity.ts). */
export type { IdentitySourceKind };

/** One person (or account) as one identity source describes them, whatever the source. */
export interface Identity {
  /** The configured source's name (`file`, `ldap`, `okta`, `entra`). */
  source: string;
  /** The source's own id (employee id, DN, Okta id, Graph object id), for people to look up. */
  id: string;
  /** Every address of the person, primary first, as the source spells them. */
  emails: string[];
  displayName: string | null;
  /** true active, false suspended/disabled/deprovisioned, null when the status is not one we know. */
  active: boolean | null;
  /** The status exactly as the source names it (`DEPROVISIONED`, `disabled`, `terminated`). */
  status: string;
  /** When the status last changed, when the source says (Okta `statusChanged`, a file column). */
  statusChangedAt: string | null;
}

export interface Exemption {
  /** A username or a pattern where `*` matches any run of characters; case-insensitive. */
  pattern: string;
  reason: string;
}

export type MatchRule = 'none' | 'local-part';

export interface MatchSettings {
  rule: MatchRule;
  /** Lower-cased VictorOps username → an email address of their identity. */
  explicit: ReadonlyMap<string, string>;
  exemptions: readonly Exemption[];
}

export type MatchedBy = 'email' | 'rule' | 'mapping';

/** What the user can still do to people: what the leaver's sentence warns about. */
export interface Exposure {
  teams: Team[];
  /** Policies that page the user: directly at these 1-based steps, or through a rotation they are on. */
  policies: (PolicyRef & { team: Team; steps: number[]; viaRotation: boolean })[];
  /** Upcoming (or current) shifts, earliest first, at most EXPOSURE_SHIFTS_MAX. */
  shifts: { team: Team; policy: PolicyRef; rotation: string; start: string; end: string }[];
  /** All upcoming shifts in the recorded schedule window, including those not listed. */
  shiftCount: number;
}

export const EXPOSURE_SHIFTS_MAX = 5;

/** A source's identity as a finding quotes it: enough to find the person in that system. */
export interface IdentityRef {
  source: string;
  id: string;
  email: string | null;
  displayName: string | null;
  status: string;
  statusChangedAt: string | null;
}

export const IDENTITY_FINDING_KINDS = [
  'identity.unmatched',
  'identity.inactive',
  'identity.mismatch',
  'identity.source_failing',
] as const;
export type IdentityFindingKind = (typeof IDENTITY_FINDING_KINDS)[number];

export interface FieldDifference {
  field: 'email' | 'name';
  victorops: string | null;
  identity: string | null;
}

export type IdentityFinding =
  | {
      kind: 'identity.unmatched';
      key: string;
      username: string;
      email: string | null;
      /** The sources that were searched. */
      sources: string[];
      /** A pending invitation (`invited_…`), not an account anyone has used yet. */
      pending: boolean;
      /** The address IDENTITY_MAPPING_FILE maps the user to, which no source holds; null when not mapped. */
      mappedTo: string | null;
      exposure: Exposure;
    }
  | {
      kind: 'identity.inactive';
      key: string;
      username: string;
      email: string | null;
      matchedBy: MatchedBy;
      /** The inactive identities (one per source that says so). */
      identities: IdentityRef[];
      /** Other sources that still call the person active: any inactive source stands. */
      activeElsewhere: IdentityRef[];
      /**
       * Set when no source says inactive any more but the status became unknown (an emptied cell,
       * an unmapped value): unknown is not active, so the finding stays, with the statuses read now.
       */
      statusUnknown: IdentityRef[] | null;
      /** A pending invitation (`invited_…`): withdraw it rather than delete a user. */
      pending: boolean;
      exposure: Exposure;
    }
  | {
      kind: 'identity.mismatch';
      key: string;
      username: string;
      matchedBy: MatchedBy;
      identity: IdentityRef;
      differences: FieldDifference[];
      exposure: Exposure;
    }
  | {
      kind: 'identity.source_failing';
      key: string;
      /** Always null: a source is not a user; present so every identity event has the field. */
      username: null;
      source: string;
      reason: string;
      /** When this source's current streak of failed (or held) reads began. */
      since: string;
    };

/** Two records of one source for the same person that disagree, and which one was taken. */
export interface RecordConflict {
  username: string;
  source: string;
  statuses: string[];
  taken: IdentityRef;
  /** `newest`: by status_changed_at; `active`: without dates, the active record wins. */
  rule: 'newest' | 'active';
}

export interface OpenIdentityFinding {
  finding: IdentityFinding;
  firstSeen: string;
}

export interface IdentityFindingsDiff {
  appeared: IdentityFinding[];
  resolved: OpenIdentityFinding[];
  still: IdentityFinding[];
}

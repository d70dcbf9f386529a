/**
 * Identity reconciliation's domain: people as the company's sources of truth describe them, and
 * the findings that join them to VictorOps users. Pure types only.
 */

import type { IdentitySourceKind } from '../config/identity.js';
import type {
  Exposure,
  FieldDifference,
  IdentityFinding,
  IdentityRef,
  MatchedBy,
} from '../contract/catalogue.js';

export { IDENTITY_FINDING_KINDS, type IdentityFindingKind } from '../contract/names.js';
/**
 * What a finding quotes (exposure, identity references, differences) and the findings themselves
 * are the event catalogue's shapes (src/contract/catalogue.ts).
 */
/** The identity source kinds, as the configuration registers them (config/identity.ts). */
export type { Exposure, FieldDifference, IdentityFinding, IdentityRef, IdentitySourceKind, MatchedBy };

/** One person (or account) as one identity source describes them, whatever the source. */
export interface Identity {
  /** The configured source's name (`file`, `ldap`, `okta`, `entra`, `google`). */
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

export const EXPOSURE_SHIFTS_MAX = 5;

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

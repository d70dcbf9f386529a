/**
 * The coverage findings' shapes, shared by their computation (coverage.ts), their events and the
 * store; kept apart so the event contract can name them without importing the computation.
 */
import type { Finding, HeldShift, PolicyRef, UnstaffedPolicy } from '../contract/catalogue.js';

export { FINDING_KINDS, type FindingKind } from '../contract/names.js';
/**
 * Every finding's shape, by kind, is the event catalogue's (src/contract/catalogue.ts), so a
 * finding and the event that carries it cannot drift apart.
 */
export type { Finding, HeldShift, PolicyRef, UnstaffedPolicy };

/** The kinds only a contacts poll decides (it reads the contact methods they need). */
export const REACH_KINDS = ['unreachable_on_call', 'email_only_paging'] as const;
export const isReachKind = (kind: string): boolean => (REACH_KINDS as readonly string[]).includes(kind);

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

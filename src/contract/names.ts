/**
 * The event contract's names as plain constants: the event types and the enumerations their data
 * uses. Kept apart from the zod catalogue (catalogue.ts) so the domain can use them at run time
 * without loading zod; the catalogue builds its schemas from these same lists.
 */

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
  'rosterwatch.endpoint.enabled',
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

/** The user fields that are compared field by field for `victorops.user.changed`. */
// Salted into the user list's digest (victorops/user-list-reader.ts); a change that keeps the
// list's text alike but means another thing must still bump USER_LIST_READER_VERSION.
export const USER_FIELDS = [
  'firstName',
  'lastName',
  'displayName',
  'email',
  'createdAt',
  'passwordLastUpdated',
  'verified',
] as const;
export type UserField = (typeof USER_FIELDS)[number];

export const ROTATION_TYPES = ['rotation_group', 'rotation_group_next', 'rotation_group_previous'] as const;
export type RotationType = (typeof ROTATION_TYPES)[number];

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

export const IDENTITY_FINDING_KINDS = [
  'identity.unmatched',
  'identity.inactive',
  'identity.mismatch',
  'identity.source_failing',
] as const;
export type IdentityFindingKind = (typeof IDENTITY_FINDING_KINDS)[number];

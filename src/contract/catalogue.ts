/**
 * The event catalogue: ONE zod schema per event type's `data`, and the shapes they carry (users,
 * teams, policies, findings...). Three things come from it, so a field cannot be added in one place
 * only:
 * - the TypeScript types the producers build (`z.infer`, re-exported by the roster's type files and
 *   `EventDataByType` in roster/events.ts);
 * - `schemas/events.schema.json`, written by `npm run schemas` (json-schema.ts), which a test
 *   compares with the committed file;
 * - the validation of the documentation's examples (test/unit/docs/events-doc.test.ts).
 *
 * A field that events recorded by older versions lack is required of the producers but optional in
 * the JSON Schema: wrap it in `olderEventsLack(...)`. The names (event types, kinds) are plain
 * constants in names.ts, so the domain uses them without loading zod.
 */
import * as z from 'zod';
import {
  type EventType,
  type FindingKind,
  type IdentityFindingKind,
  ROTATION_TYPES,
  USER_FIELDS,
} from './names.js';

/** Schemas of fields that older stored events lack (see json-schema.ts, which reads this set). */
export const ABSENT_ON_OLDER_EVENTS = new WeakSet<z.ZodType>();

/** Producers must set the field; the JSON Schema describes it with `description` and does not require it. */
function olderEventsLack<S extends z.ZodType>(schema: S, description: string): S {
  const described = schema.describe(description) as S;
  ABSENT_ON_OLDER_EVENTS.add(described);
  return described;
}

const dateTime = () => z.string().meta({ format: 'date-time' });
const count = () => z.int().min(0);
const nonEmpty = () => z.string().min(1);

// ---- The shapes events carry -------------------------------------------------------------------

export const userSchema = z
  .strictObject({
    /** Original spelling as VictorOps returns it. Usernames are immutable and global in VictorOps. */
    username: nonEmpty(),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    displayName: z.string().nullable(),
    email: z.string().nullable(),
    createdAt: z.string().nullable(),
    passwordLastUpdated: z.string().nullable(),
    verified: z.boolean().nullable(),
  })
  .meta({ id: 'user' });
/** A VictorOps user as roster-watch keeps it. Fields the API may omit are null. */
export type User = z.infer<typeof userSchema>;

export const teamSchema = z
  .strictObject({
    /** Opaque, stable identifier (`team-XXXXXXXXXXXXXXXX`); names can change, slugs do not. */
    slug: nonEmpty(),
    name: z.string(),
  })
  .meta({ id: 'team' });
export type Team = z.infer<typeof teamSchema>;

export const policyRefSchema = z
  .strictObject({ slug: nonEmpty(), name: z.string() })
  .meta({ id: 'policyRef' });
export type PolicyRef = z.infer<typeof policyRefSchema>;

export const policyReferenceSchema = z
  .strictObject({
    slug: nonEmpty(),
    name: z.string(),
    teamSlug: z.string(),
    steps: z.array(z.int().min(1)).describe('1-based step indexes that page the user directly'),
  })
  .meta({ id: 'policyReference' });
/** A policy that pages a user directly, at these 1-based steps. */
export type PolicyReference = z.infer<typeof policyReferenceSchema>;

export const policyEntrySchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('user'), username: nonEmpty() }),
    z.strictObject({
      kind: z.literal('rotation'),
      executionType: z.enum(ROTATION_TYPES),
      rotationSlug: z.string(),
      rotationLabel: z.string(),
    }),
    z.strictObject({ kind: z.literal('email'), address: z.string() }),
    z.strictObject({ kind: z.literal('webhook'), webhookSlug: z.string() }),
    z.strictObject({ kind: z.literal('policy'), policySlug: z.string() }),
    z.strictObject({
      kind: z.literal('team'),
      executionType: z.enum(['team', 'team_routing']),
      target: z.string(),
    }),
    z.strictObject({ kind: z.literal('other'), executionType: z.string(), target: z.string() }),
  ])
  .meta({
    id: 'policyEntry',
    description:
      "Who a policy step pages, keyed by its target. `rotation.executionType` says whether the rotation's current, next or previous person is paged. `team` (team, team_routing) and `other` (any type roster-watch does not know) keep the entry's raw target as sorted JSON text.",
  });
export type PolicyEntry = z.infer<typeof policyEntrySchema>;

const policyStepSchema = z.strictObject({
  index: z.int().min(1).describe('1-based'),
  timeout: z.number(),
  entries: z.array(policyEntrySchema),
});
export type PolicyStep = z.infer<typeof policyStepSchema>;

export const policySchema = z
  .strictObject({
    slug: nonEmpty(),
    name: z.string(),
    teamSlug: z.string(),
    steps: z.array(policyStepSchema),
  })
  .meta({ id: 'policy' });
export type Policy = z.infer<typeof policySchema>;

export const routingKeySchema = z
  .strictObject({
    routingKey: nonEmpty(),
    isDefault: z.boolean(),
    targets: z.array(z.strictObject({ policySlug: nonEmpty(), policyName: z.string() })),
  })
  .meta({ id: 'routingKey' });
export type RoutingKey = z.infer<typeof routingKeySchema>;
export type RoutingKeyTarget = RoutingKey['targets'][number];

export const contactMethodSchema = z
  .strictObject({
    id: z.int(),
    kind: z.enum(['phone', 'email', 'device']),
    verified: z.boolean().nullable().describe('null for devices (VictorOps gives them no verified state)'),
    hint: z
      .string()
      .max(64)
      .describe(
        "A phone's last two digits (…42), an email's domain (@example.com) or a device's type: never a full number or address",
      ),
  })
  .meta({ id: 'contactMethod' });
/** A contact method as roster-watch keeps it: a hint, never the full number or address. */
export type ContactMethod = z.infer<typeof contactMethodSchema>;
export type ContactKind = ContactMethod['kind'];

export const pagingStepSchema = z
  .strictObject({
    index: z.int().min(1),
    timeout: z.number(),
    rules: z.array(z.strictObject({ type: nonEmpty(), contactId: z.int().nullable() })),
  })
  .meta({ id: 'pagingStep' });
/** One step of a person's own paging policy; its rules name contact methods by id. */
export type PagingStep = z.infer<typeof pagingStepSchema>;
export type PagingRule = PagingStep['rules'][number];

export const identityRefSchema = z
  .strictObject({
    source: nonEmpty(),
    id: z.string(),
    email: z.string().nullable(),
    displayName: z.string().nullable(),
    status: z.string(),
    statusChangedAt: z.string().nullable(),
  })
  .meta({ id: 'identityRef' });
/** A source's identity as a finding quotes it: enough to find the person in that system. */
export type IdentityRef = z.infer<typeof identityRefSchema>;

export const exposureSchema = z
  .strictObject({
    teams: z.array(teamSchema),
    /** Policies that page the user: directly at these 1-based steps, or through a rotation they are on. */
    policies: z.array(
      z.strictObject({
        slug: z.string(),
        name: z.string(),
        team: teamSchema,
        steps: z.array(z.int().min(1)),
        viaRotation: z.boolean(),
      }),
    ),
    /** Upcoming (or current) shifts, earliest first, at most EXPOSURE_SHIFTS_MAX. */
    shifts: z.array(
      z.strictObject({
        team: teamSchema,
        policy: policyRefSchema,
        rotation: z.string(),
        start: z.string(),
        end: z.string(),
      }),
    ),
    /** All upcoming shifts in the recorded schedule window, including those not listed. */
    shiftCount: count(),
  })
  .meta({
    id: 'exposure',
    description:
      'What the VictorOps user can still be paged for: teams, policies that page them (directly at `steps`, or through a rotation), the first upcoming shifts and how many there are.',
  });
/** What the user can still do to people: what the leaver's sentence warns about. */
export type Exposure = z.infer<typeof exposureSchema>;

// ---- Coverage findings -------------------------------------------------------------------------

/** A person's first upcoming (or current) shift, overrides applied. */
const heldShiftSchema = z.strictObject({
  team: teamSchema,
  policy: policyRefSchema,
  rotation: z.string(),
  start: dateTime(),
  end: dateTime(),
});
export type HeldShift = z.infer<typeof heldShiftSchema>;

const pagedBySchema = z.array(
  z.strictObject({ slug: nonEmpty(), name: z.string(), steps: z.array(z.int().min(1)) }),
);
const firstShift = () =>
  heldShiftSchema
    .nullable()
    .describe(
      'The first upcoming (or current) shift, overrides applied; null when the user only is paged directly',
    );
const stoppedPolicies = () =>
  z.array(policyRefSchema).describe('The escalation policies whose pages would stop at this person');

const unstaffedPolicySchema = z.strictObject({
  slug: nonEmpty(),
  name: z.string(),
  /** e.g. "rotation 'DB' has no one on call", "no step pages a person". */
  why: z.array(z.string()),
});
/** Why one of a key's target policies pages nobody during a gap. */
export type UnstaffedPolicy = z.infer<typeof unstaffedPolicySchema>;

/** Every coverage finding by kind, as coverage.ts computes it and the store keeps it. */
export const FINDING_SCHEMAS = {
  dangling_reference: z.strictObject({
    kind: z.literal('dangling_reference'),
    key: nonEmpty(),
    policy: policyRefSchema,
    team: teamSchema,
    /** 1-based step index. */
    step: z.int().min(1),
    username: nonEmpty()
      .nullable()
      .describe('The user paged directly; null when the step routes to a policy that no longer exists'),
    targetPolicy: nonEmpty()
      .exactOptional()
      .describe('Present when the step routes (policy_routing) to a policy that no longer exists'),
    /** When roster-watch recorded the user's removal; null when it never knew the user. */
    removedAt: dateTime().nullable(),
  }),
  removed_user_on_call: z.strictObject({
    kind: z.literal('removed_user_on_call'),
    key: nonEmpty(),
    team: teamSchema,
    policy: policyRefSchema,
    rotation: z.string(),
    shift: z.string(),
    username: nonEmpty(),
    /** The earliest upcoming (or current) shift of this user in this rotation. */
    start: dateTime(),
    end: dateTime(),
    /** How many upcoming shifts in the schedule window the user holds in this rotation. */
    shifts: z.int().min(1),
    removedAt: dateTime().nullable(),
  }),
  team_without_members: z.strictObject({
    kind: z.literal('team_without_members'),
    key: nonEmpty(),
    team: teamSchema,
  }),
  team_without_policy: z.strictObject({
    kind: z.literal('team_without_policy'),
    key: nonEmpty(),
    team: teamSchema,
  }),
  empty_step: z.strictObject({
    kind: z.literal('empty_step'),
    key: nonEmpty(),
    policy: policyRefSchema,
    team: teamSchema,
    step: z.int().min(1),
  }),
  empty_policy: z.strictObject({
    kind: z.literal('empty_policy'),
    key: nonEmpty(),
    policy: policyRefSchema,
    team: teamSchema,
    /** The steps of other policies that route (`policy_routing`) into it; 1-based steps. */
    routedFrom: z.array(z.strictObject({ policy: policyRefSchema, step: z.int().min(1) })),
  }),
  unverified_on_call: z.strictObject({
    kind: z.literal('unverified_on_call'),
    key: nonEmpty(),
    username: nonEmpty(),
    pending: z.boolean().describe('A pending invitation (invited_…), not an account yet'),
    shift: firstShift(),
    /** How many upcoming shifts in the window the user holds. */
    shifts: count(),
    /** The policies (and steps) that page the user directly. */
    pagedBy: pagedBySchema,
  }),
  nobody_on_call: z.strictObject({
    kind: z.literal('nobody_on_call'),
    key: nonEmpty(),
    team: teamSchema,
    /** The first of `policies`. */
    policy: policyRefSchema,
    /** Every policy of the team whose schedule lists the rotation. */
    policies: z.array(policyRefSchema).min(1),
    rotation: z.string(),
    /** The rotation's shift names: the gap is when none of them has anyone. */
    shifts: z.array(z.string()),
    /** The first window with nobody on call in any shift of the rotation. */
    start: dateTime(),
    end: dateTime(),
    /** How many separate windows without anyone there are in the next ONCALL_DAYS_FORWARD days. */
    windows: z.int().min(1),
  }),
  unreachable_on_call: z.strictObject({
    kind: z.literal('unreachable_on_call'),
    key: nonEmpty(),
    username: nonEmpty(),
    /** Why each rule of the person's own paging policy cannot reach them (1-based steps). */
    rules: z.array(z.strictObject({ step: z.int().min(1), type: z.string(), reason: z.string() })),
    shift: firstShift(),
    shifts: count(),
    pagedBy: pagedBySchema,
    policies: stoppedPolicies(),
  }),
  email_only_paging: z.strictObject({
    kind: z.literal('email_only_paging'),
    key: nonEmpty(),
    username: nonEmpty(),
    /** The hints (domains) of the verified emails that are the only way to reach them. */
    emails: z.array(z.string()),
    shift: heldShiftSchema,
    shifts: count(),
    policies: stoppedPolicies(),
  }),
  routing_key_unrouted: z.strictObject({
    kind: z.literal('routing_key_unrouted'),
    key: nonEmpty(),
    routingKey: nonEmpty(),
    isDefault: z.boolean(),
    /** The targets the key lists, all of them policies that no longer exist; empty when it lists none. */
    missingPolicies: z.array(policyRefSchema),
  }),
  routing_key_unstaffed: z.strictObject({
    kind: z.literal('routing_key_unstaffed'),
    key: nonEmpty(),
    routingKey: nonEmpty(),
    isDefault: z.boolean(),
    /** The first interval of the read window in which no target policy can page a person. */
    from: dateTime(),
    until: dateTime(),
    /** How many separate such intervals the read window holds. */
    windows: z.int().min(1),
    /** Each existing target policy and why it pages nobody in the first interval. */
    policies: z.array(unstaffedPolicySchema),
    /** Email and webhook entries the policies (or the policies they route to) do page: not people. */
    notPeople: z.array(z.string()),
  }),
} satisfies { [K in FindingKind]: z.ZodObject };
export type Finding = z.infer<(typeof FINDING_SCHEMAS)[FindingKind]>;

// ---- Identity findings -------------------------------------------------------------------------

const matchedBySchema = z.enum(['email', 'rule', 'mapping']);
export type MatchedBy = z.infer<typeof matchedBySchema>;

const fieldDifferenceSchema = z.strictObject({
  field: z.enum(['email', 'name']),
  victorops: z.string().nullable(),
  identity: z.string().nullable(),
});
export type FieldDifference = z.infer<typeof fieldDifferenceSchema>;

export const IDENTITY_FINDING_SCHEMAS = {
  'identity.unmatched': z.strictObject({
    kind: z.literal('identity.unmatched'),
    key: nonEmpty(),
    username: nonEmpty(),
    email: z.string().nullable(),
    /** The sources that were searched. */
    sources: z.array(z.string()),
    pending: olderEventsLack(z.boolean(), 'A pending invitation (invited_…), not a used account.'),
    mappedTo: olderEventsLack(
      z.string().nullable(),
      'The address IDENTITY_MAPPING_FILE maps the user to, which no source holds.',
    ),
    exposure: exposureSchema,
  }),
  'identity.inactive': z.strictObject({
    kind: z.literal('identity.inactive'),
    key: nonEmpty(),
    username: nonEmpty(),
    email: z.string().nullable(),
    matchedBy: matchedBySchema,
    /** The inactive identities (one per source that says so). */
    identities: z.array(identityRefSchema).min(1),
    activeElsewhere: olderEventsLack(
      z.array(identityRefSchema),
      'Other sources that still call the person active (any inactive source stands).',
    ),
    statusUnknown: olderEventsLack(
      z.array(identityRefSchema).nullable(),
      'Set when the sources no longer say inactive but the status became unknown: the finding stays, with the statuses read now.',
    ),
    pending: olderEventsLack(
      z.boolean(),
      'A pending invitation (invited_…): withdraw it rather than delete a user.',
    ),
    exposure: exposureSchema,
  }),
  'identity.mismatch': z.strictObject({
    kind: z.literal('identity.mismatch'),
    key: nonEmpty(),
    username: nonEmpty(),
    matchedBy: matchedBySchema,
    identity: identityRefSchema,
    differences: z.array(fieldDifferenceSchema).min(1),
    exposure: exposureSchema,
  }),
  'identity.source_failing': z.strictObject({
    kind: z.literal('identity.source_failing'),
    key: nonEmpty(),
    /** Always null: a source is not a user; present so every identity event has the field. */
    username: z.null(),
    source: nonEmpty(),
    reason: z.string(),
    /** When this source's current streak of failed (or held) reads began. */
    since: dateTime(),
  }),
} satisfies { [K in IdentityFindingKind]: z.ZodObject };
export type IdentityFinding = z.infer<(typeof IDENTITY_FINDING_SCHEMAS)[IdentityFindingKind]>;

// ---- Event data by type ------------------------------------------------------------------------

/** A finding's life cycle around its own fields: opening (`open`) and resolving (`resolved`). */
const lifecycle = {
  state: z.enum(['open', 'resolved']),
  /** The actionable sentence shown in Slack and `roster-watch coverage`. */
  message: nonEmpty(),
  firstSeen: dateTime(),
  /** null while open. */
  resolvedAt: dateTime().nullable(),
};

const nobodyShape = FINDING_SCHEMAS.nobody_on_call.shape;
/** Fields of nobody_on_call that versions before rotations were judged as a whole stored otherwise. */
const nobodyOnCallOfOlderVersions = {
  policies: olderEventsLack(
    nobodyShape.policies,
    'Every policy of the team whose schedule lists the rotation.',
  ),
  shifts: olderEventsLack(nobodyShape.shifts, "The rotation's shift names."),
  shift: z
    .string()
    .exactOptional()
    .describe(
      'Versions before rotations were judged as a whole: the one shift of a per-shift finding. Only in the resolution of a finding such a version opened.',
    ),
};

const IDENTITY_EVENT =
  'An identity finding opening (state open) or resolving (state resolved); username is null only for source_failing.';

function changesOf<const F extends readonly [string, ...string[]], V extends z.ZodType>(fields: F, value: V) {
  return z.array(z.strictObject({ field: z.enum(fields), before: value, after: value })).min(1);
}
const anyValue = z.union([z.string(), z.boolean(), z.null()]);
const pollKind = () =>
  olderEventsLack(
    z.enum(['roster', 'policy']),
    'which poll: the roster poll or the escalation-policy poll (absent on events stored before policy polls existed)',
  );

export const EVENT_DATA = {
  'victorops.user.added': z.strictObject({ user: userSchema }),
  'victorops.user.removed': z.strictObject({
    user: userSchema,
    policies: olderEventsLack(
      z.array(policyReferenceSchema),
      'The recorded escalation policies that still paged the user directly when it was removed ([] when none). Always present on events recorded since the coverage audit; absent on older stored events.',
    ),
  }),
  'victorops.user.changed': z.strictObject({
    username: z.string(),
    before: userSchema,
    after: userSchema,
    changes: changesOf(USER_FIELDS, anyValue),
  }),
  /** A pending invitation (`invited_…` username) appeared: not a person yet. */
  'victorops.user.invited': z.strictObject({ user: userSchema }),
  /** An invitation was accepted: the invitee disappeared and a user with its email appeared. */
  'victorops.user.registered': z.strictObject({
    invitedAs: nonEmpty().describe("The invitation's username (invited_…)"),
    username: nonEmpty().describe("The registered user's username"),
    user: userSchema,
    invitation: userSchema,
  }),
  /** An invitation disappeared without anyone registering with its email (expired or revoked). */
  'victorops.user.invite_withdrawn': z.strictObject({ user: userSchema }),
  'victorops.membership.added': z.strictObject({ username: z.string(), team: teamSchema }),
  'victorops.membership.removed': z.strictObject({ username: z.string(), team: teamSchema }),
  'victorops.team.added': z.strictObject({ team: teamSchema }),
  'victorops.team.removed': z.strictObject({ team: teamSchema }),
  'victorops.team.changed': z.strictObject({
    slug: z.string(),
    before: teamSchema,
    after: teamSchema,
    changes: changesOf(['name'], anyValue),
  }),
  'victorops.policy.added': z.strictObject({ policy: policySchema }),
  'victorops.policy.removed': z.strictObject({ policy: policySchema }),
  'victorops.policy.changed': z.strictObject({
    slug: nonEmpty(),
    before: policySchema,
    after: policySchema,
    changes: changesOf(['name', 'teamSlug', 'steps'], z.string()),
  }),
  'victorops.routing_key.added': z.strictObject({ routingKey: routingKeySchema }),
  'victorops.routing_key.removed': z.strictObject({ routingKey: routingKeySchema }),
  /** `routingKey` is the key's name; `changes` compare the targets (as text) and the default flag. */
  'victorops.routing_key.changed': z.strictObject({
    routingKey: nonEmpty(),
    before: routingKeySchema,
    after: routingKeySchema,
    changes: changesOf(['targets', 'isDefault'], z.union([z.string(), z.boolean()])),
  }),
  'rosterwatch.baseline': z.strictObject({
    users: count(),
    teams: count(),
    memberships: count(),
    strategy: z.enum(['user', 'team']),
  }),
  'rosterwatch.guard.held': z.strictObject({
    removedUsers: count(),
    knownUsers: count(),
    fraction: z.number().min(0).max(1).describe('removed users / known users'),
    threshold: z.strictObject({ maxFraction: z.number(), min: count() }),
    confirmations: count(),
    confirmationsRequired: count(),
    sampleUsernames: z.array(z.string()).max(10),
    removedTeams: olderEventsLack(count(), 'Teams the held poll would have removed.'),
    knownTeams: olderEventsLack(count(), 'Teams known before the held poll.'),
  }),
  'rosterwatch.guard.released': z.strictObject({
    how: z.enum(['confirmed', 'accepted']),
    removedUsers: count(),
    heldSinceRunId: z.int(),
  }),
  'rosterwatch.poll.failing': z.strictObject({
    consecutiveFailures: z.int().min(1),
    lastError: z.string(),
    since: dateTime(),
    poll: pollKind(),
  }),
  'rosterwatch.poll.recovered': z.strictObject({
    failedRuns: z.int().min(1),
    since: dateTime(),
    poll: pollKind(),
  }),
  'rosterwatch.endpoint.disabled': z.strictObject({
    destination: z.string(),
    statusCode: z.int(),
    reason: z.string(),
  }),
  /** `roster-watch endpoints enable` re-enabled a destination disabled after 410 Gone. */
  'rosterwatch.endpoint.enabled': z.strictObject({
    destination: nonEmpty(),
    disabledAt: dateTime().describe('When it was disabled'),
    reason: z.string().describe('Why it was disabled, as its rosterwatch.endpoint.disabled said'),
    waiting: count().describe('Its deliveries that waited while it was disabled and go out now'),
  }),
  /**
   * A team read in full had a different number of members than `GET /v1/team` listed for it in the
   * same poll (and again on a second list): the API contradicts itself, so the hints are not followed.
   */
  'rosterwatch.hints.unreliable': z.strictObject({
    team: teamSchema,
    /** Teams whose count was contradicted in that poll. */
    teamsWithUnannouncedChanges: z.int().min(1),
    /** The first such team's `memberCount` as listed, and its members as read (absent before issue 19). */
    listedMemberCount: count().exactOptional(),
    readMemberCount: count().exactOptional(),
    detectedAt: dateTime(),
    message: z.string(),
  }),
  'rosterwatch.coverage.dangling_reference': FINDING_SCHEMAS.dangling_reference.extend(lifecycle),
  'rosterwatch.coverage.removed_user_on_call': FINDING_SCHEMAS.removed_user_on_call.extend(lifecycle),
  'rosterwatch.coverage.team_without_members': FINDING_SCHEMAS.team_without_members.extend(lifecycle),
  'rosterwatch.coverage.team_without_policy': FINDING_SCHEMAS.team_without_policy.extend(lifecycle),
  'rosterwatch.coverage.empty_step': FINDING_SCHEMAS.empty_step.extend(lifecycle),
  'rosterwatch.coverage.unverified_on_call': FINDING_SCHEMAS.unverified_on_call.extend(lifecycle),
  'rosterwatch.coverage.nobody_on_call': FINDING_SCHEMAS.nobody_on_call
    .extend(lifecycle)
    .extend(nobodyOnCallOfOlderVersions),
  'rosterwatch.coverage.empty_policy': FINDING_SCHEMAS.empty_policy.extend(lifecycle),
  'rosterwatch.coverage.unreachable_on_call': FINDING_SCHEMAS.unreachable_on_call.extend(lifecycle),
  'rosterwatch.coverage.email_only_paging': FINDING_SCHEMAS.email_only_paging.extend(lifecycle),
  /** A person's contact methods changed (hints only: never a full number or address). */
  'victorops.user.contact_methods_changed': z.strictObject({
    username: nonEmpty(),
    added: z.array(contactMethodSchema),
    removed: z.array(contactMethodSchema),
    /** Same id, another verified state or hint. */
    changed: z.array(z.strictObject({ before: contactMethodSchema, after: contactMethodSchema })),
    message: nonEmpty(),
  }),
  /** A person's own paging policy changed; contacts named by id and hint. */
  'victorops.user.paging_policy_changed': z.strictObject({
    username: nonEmpty(),
    before: z.array(pagingStepSchema),
    after: z.array(pagingStepSchema),
    message: nonEmpty(),
  }),
  'rosterwatch.coverage.routing_key_unrouted': FINDING_SCHEMAS.routing_key_unrouted.extend(lifecycle),
  'rosterwatch.coverage.routing_key_unstaffed': FINDING_SCHEMAS.routing_key_unstaffed.extend(lifecycle),
  'rosterwatch.identity.unmatched': IDENTITY_FINDING_SCHEMAS['identity.unmatched']
    .extend(lifecycle)
    .describe(IDENTITY_EVENT),
  'rosterwatch.identity.inactive': IDENTITY_FINDING_SCHEMAS['identity.inactive']
    .extend(lifecycle)
    .describe(IDENTITY_EVENT),
  'rosterwatch.identity.mismatch': IDENTITY_FINDING_SCHEMAS['identity.mismatch']
    .extend(lifecycle)
    .describe(IDENTITY_EVENT),
  'rosterwatch.identity.source_failing': IDENTITY_FINDING_SCHEMAS['identity.source_failing']
    .extend(lifecycle)
    .describe(IDENTITY_EVENT),
} satisfies { [T in EventType]: z.ZodType };

export type EventDataByType = { [T in EventType]: z.infer<(typeof EVENT_DATA)[T]> };

/** The CloudEvents 1.0 envelope (structured JSON) around every event's `data`. */
export const envelopeSchema = z.strictObject({
  specversion: z.literal('1.0'),
  id: nonEmpty(),
  source: nonEmpty().meta({ format: 'uri-reference' }),
  type: z.enum(Object.keys(EVENT_DATA) as [EventType, ...EventType[]]),
  subject: nonEmpty(),
  time: dateTime(),
  datacontenttype: z.literal('application/json'),
  /** The run that detected the change (extension attribute); absent on notices raised outside a run. */
  runid: z.int().min(1).exactOptional(),
  /**
   * CloudEvents `sequence` extension: a string that orders lexicographically, so it is the
   * event's integer sequence zero-padded to 16 digits.
   */
  sequence: z.string().regex(/^[0-9]{16}$/),
  data: z.looseObject({}),
});

export type EventEnvelope = z.infer<typeof envelopeSchema>;

/**
 * The SQLite schema. History tables are slowly-changing-dimension (type 2) tables: one row per
 * version, valid over [valid_from, valid_to); valid_to IS NULL means "current". An unchanged poll
 * writes a run row and nothing else, so storage grows with changes, not with polls.
 *
 * Timestamps are ISO-8601 UTC strings from Date#toISOString (fixed width), so they compare
 * correctly as text in plain SQL. Scheduling columns that are only compared by code are epoch ms.
 */
import { sql } from 'drizzle-orm';
import {
  type AnySQLiteColumn,
  index,
  integer,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';

export const runs = sqliteTable(
  'runs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** roster (users, teams, memberships) | policy (escalation policies and on-call schedules) */
    kind: text('kind').notNull().default('roster'),
    startedAt: text('started_at').notNull(),
    finishedAt: text('finished_at').notNull(),
    /** ok | partial | failed | held | baseline (policy runs: ok | partial | failed | baseline) */
    status: text('status').notNull(),
    /** user | team, or null when the fetch failed before a strategy was chosen */
    strategy: text('strategy'),
    requests: integer('requests').notNull().default(0),
    retries: integer('retries').notNull().default(0),
    rateLimited: integer('rate_limited').notNull().default(0),
    userCount: integer('user_count'),
    teamCount: integer('team_count'),
    membershipCount: integer('membership_count'),
    /** JSON array of FailedScope, or null */
    failedScopes: text('failed_scopes'),
    changeCount: integer('change_count').notNull().default(0),
    error: text('error'),
    rosterHash: text('roster_hash'),
    /** Policy runs: how many policies were recorded. */
    policyCount: integer('policy_count'),
  },
  (t) => [
    index('runs_status_idx').on(t.status, t.id),
    index('runs_kind_idx').on(t.kind, t.id),
    // The overview's per-day figures: one seek per day of the viewer's zone (ui-reads.ts).
    index('runs_started_idx').on(t.startedAt),
  ],
);

/**
 * The four columns every history (SCD type 2) table ends with: the version is valid over
 * [valid_from, valid_to), opened by the run `from_run_id` and closed by `to_run_id` (null while
 * current). A fresh set per call: drizzle binds each column builder to one table.
 */
function historyColumns() {
  return {
    validFrom: text('valid_from').notNull(),
    validTo: text('valid_to'),
    fromRunId: integer('from_run_id')
      .notNull()
      .references(() => runs.id),
    toRunId: integer('to_run_id').references(() => runs.id),
  };
}

/** The user fields the roster diff compares (roster/types.ts USER_FIELDS), in index order. */
const userFieldColumns = (t: {
  firstName: AnySQLiteColumn;
  lastName: AnySQLiteColumn;
  displayName: AnySQLiteColumn;
  email: AnySQLiteColumn;
  createdAt: AnySQLiteColumn;
  passwordLastUpdated: AnySQLiteColumn;
  verified: AnySQLiteColumn;
}) =>
  [t.firstName, t.lastName, t.displayName, t.email, t.createdAt, t.passwordLastUpdated, t.verified] as const;

// Written only by a roster run's record step (history.ts, roster-fingerprints.ts), which inserts
// its runs row in the same transaction: a poll keeps the current users it read for as long as no
// newer roster run exists (user-list-digest.ts stillCurrentUsers). A writer outside a roster run
// (a migration's back-fill, another command) must record one or break that.
export const users = sqliteTable(
  'users',
  {
    rowId: integer('row_id').primaryKey({ autoIncrement: true }),
    usernameKey: text('username_key').notNull(),
    username: text('username').notNull(),
    firstName: text('first_name'),
    lastName: text('last_name'),
    displayName: text('display_name'),
    email: text('email'),
    createdAt: text('created_at'),
    passwordLastUpdated: text('password_last_updated'),
    verified: integer('verified', { mode: 'boolean' }),
    /**
     * Content hash of the row's user fields (roster/fingerprint.ts), written by the poll that
     * recorded it; null on rows written before fingerprints (back-filled by the next poll). An
     * unchanged poll compares these instead of reading every user back.
     */
    fingerprint: text('fingerprint'),
    ...historyColumns(),
  },
  (t) => [
    uniqueIndex('users_current_uq').on(t.usernameKey).where(sql`valid_to IS NULL`),
    index('users_key_from_idx').on(t.usernameKey, t.validFrom),
    // The web view's roster diff reads, from these indexes alone, the versions valid at an instant
    // and closed since (valid_to > T, valid_from <= T) and the current ones opened since
    // (valid_to IS NULL, valid_from > T), and per key its current version or its version at T:
    // ui-roster.ts. Both carry the compared fields, so telling a changed user from an unchanged one
    // reads no table row (a row read per changed user was half the diff's cost; docs/benchmarks.md).
    index('users_valid_to_idx').on(t.validTo, t.validFrom, t.usernameKey, ...userFieldColumns(t)),
    index('users_key_span_idx').on(t.usernameKey, t.validTo, t.validFrom, ...userFieldColumns(t)),
  ],
);

export const teams = sqliteTable(
  'teams',
  {
    rowId: integer('row_id').primaryKey({ autoIncrement: true }),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    ...historyColumns(),
  },
  (t) => [
    uniqueIndex('teams_current_uq').on(t.slug).where(sql`valid_to IS NULL`),
    index('teams_slug_from_idx').on(t.slug, t.validFrom),
  ],
);

export const memberships = sqliteTable(
  'memberships',
  {
    rowId: integer('row_id').primaryKey({ autoIncrement: true }),
    usernameKey: text('username_key').notNull(),
    username: text('username').notNull(),
    teamSlug: text('team_slug').notNull(),
    ...historyColumns(),
  },
  (t) => [
    uniqueIndex('memberships_current_uq').on(t.usernameKey, t.teamSlug).where(sql`valid_to IS NULL`),
    index('memberships_user_from_idx').on(t.usernameKey, t.validFrom),
    index('memberships_team_from_idx').on(t.teamSlug, t.validFrom),
    // As users_valid_to_idx: the roster diff's two range reads, covered by the index.
    index('memberships_valid_to_idx').on(t.validTo, t.validFrom, t.usernameKey, t.teamSlug),
    // As users_key_span_idx: a membership's current version, or its version at T, from the index.
    index('memberships_key_span_idx').on(t.usernameKey, t.teamSlug, t.validTo, t.validFrom),
    // Current members per team, counted in team order without a sort (the roster page's teams).
    index('memberships_current_team_idx').on(t.teamSlug, t.validTo).where(sql`valid_to IS NULL`),
  ],
);

/**
 * Content hash of each current team's sorted member list (roster/fingerprint.ts): a cache of the
 * current memberships, not history, valid only while `meta.roster_fingerprints_run` names the
 * latest roster run (a run written without them, e.g. by an older build, invalidates them all).
 */
export const teamFingerprints = sqliteTable('team_fingerprints', {
  teamSlug: text('team_slug').primaryKey(),
  members: text('members').notNull(),
  /**
   * The member list itself: the current members' username keys, sorted, joined by '\n' (the text
   * `members` is the hash of). A poll takes a carried or changed team's recorded members from here
   * instead of reading the memberships; null (not written yet) or not hashing to `members`, the
   * poll reads the history instead.
   */
  memberKeys: text('member_keys'),
});

/** Append-only. `sequence` is the CloudEvents sequence extension, as an integer here. */
export const events = sqliteTable(
  'events',
  {
    sequence: integer('sequence').primaryKey({ autoIncrement: true }),
    id: text('id').notNull().unique(),
    runId: integer('run_id').references(() => runs.id),
    type: text('type').notNull(),
    subject: text('subject').notNull(),
    time: text('time').notNull(),
    /** The CloudEvent JSON exactly as delivered to webhooks. */
    envelope: text('envelope').notNull(),
  },
  (t) => [
    index('events_type_idx').on(t.type, t.sequence),
    index('events_subject_idx').on(t.subject, t.sequence),
    index('events_time_idx').on(t.time),
    index('events_run_idx').on(t.runId),
    // The web view's timeline, newest first by (time, sequence) under each filter: every filter
    // is an index range. Membership events name their team only inside the envelope.
    index('events_type_time_idx').on(t.type, t.time),
    index('events_subject_time_idx').on(t.subject, t.time),
    index('events_team_slug_time_idx').on(sql`json_extract(envelope, '$.data.team.slug')`, t.time),
  ],
);

/** Delivery destinations seen so far; secrets are never stored, only names and state. */
export const destinations = sqliteTable('destinations', {
  name: text('name').primaryKey(),
  /** webhook | slack */
  kind: text('kind').notNull(),
  disabledAt: text('disabled_at'),
  disabledReason: text('disabled_reason'),
});

/** The outbox: one row per (event, destination), or per (run, Slack) for a digest. */
export const deliveries = sqliteTable(
  'deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    destination: text('destination')
      .notNull()
      .references(() => destinations.name),
    /** event | digest */
    kind: text('kind').notNull(),
    eventSequence: integer('event_sequence').references(() => events.sequence),
    runId: integer('run_id').references(() => runs.id),
    /** pending (never tried) | failed (waiting for a retry) | delivered | dead */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAtMs: integer('next_attempt_at_ms').notNull(),
    createdAt: text('created_at').notNull(),
    deliveredAt: text('delivered_at'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
  },
  (t) => [
    index('deliveries_due_idx').on(t.status, t.destination, t.nextAttemptAtMs),
    index('deliveries_event_idx').on(t.eventSequence),
    uniqueIndex('deliveries_event_dest_uq').on(t.destination, t.eventSequence).where(sql`kind = 'event'`),
    uniqueIndex('deliveries_digest_dest_uq').on(t.destination, t.runId).where(sql`kind = 'digest'`),
    // The dispatcher claims each destination's open rows oldest event first; this keeps a claim
    // proportional to the rows it takes instead of sorting every open row on each claim.
    index('deliveries_open_dest_seq_idx')
      .on(t.destination, t.eventSequence)
      .where(sql`status IN ('pending', 'failed')`),
  ],
);

export const deliveryAttempts = sqliteTable(
  'delivery_attempts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    deliveryId: integer('delivery_id')
      .notNull()
      .references(() => deliveries.id),
    attemptedAt: text('attempted_at').notNull(),
    statusCode: integer('status_code'),
    latencyMs: integer('latency_ms').notNull(),
    /** delivered | failed | dead | disabled */
    outcome: text('outcome').notNull(),
    error: text('error'),
  },
  (t) => [index('delivery_attempts_delivery_idx').on(t.deliveryId)],
);

/** A mass removal the guard is holding back until confirmed or accepted. */
export const guardHolds = sqliteTable('guard_holds', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  firstRunId: integer('first_run_id')
    .notNull()
    .references(() => runs.id),
  lastRunId: integer('last_run_id')
    .notNull()
    .references(() => runs.id),
  rosterHash: text('roster_hash').notNull(),
  confirmations: integer('confirmations').notNull(),
  removedUsers: integer('removed_users').notNull(),
  knownUsers: integer('known_users').notNull(),
  /** The held fetch (roster + failed scopes + strategy) as JSON, so `accept` can apply it. */
  fetched: text('fetched').notNull(),
  /** open | applied | accepted | superseded */
  status: text('status').notNull(),
  createdAt: text('created_at').notNull(),
  resolvedAt: text('resolved_at'),
});

export const meta = sqliteTable('meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

/** Escalation policies (SCD type 2, like users). `steps` is the normalised PolicyStep[] as JSON. */
export const policies = sqliteTable(
  'policies',
  {
    rowId: integer('row_id').primaryKey({ autoIncrement: true }),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    teamSlug: text('team_slug').notNull(),
    steps: text('steps').notNull(),
    ...historyColumns(),
  },
  (t) => [
    uniqueIndex('policies_current_uq').on(t.slug).where(sql`valid_to IS NULL`),
    index('policies_slug_from_idx').on(t.slug, t.validFrom),
  ],
);

/**
 * Routing keys (SCD type 2, like policies): `targets` is the key's RoutingKeyTarget[] as JSON
 * (`[{"policySlug","policyName"}]`, sorted by slug; `[]` when it routes nowhere), so "which keys
 * targeted policy X on a date" is `json_each(targets)` over the rows valid then.
 */
export const routingKeys = sqliteTable(
  'routing_keys',
  {
    rowId: integer('row_id').primaryKey({ autoIncrement: true }),
    routingKey: text('routing_key').notNull(),
    isDefault: integer('is_default', { mode: 'boolean' }).notNull(),
    targets: text('targets').notNull(),
    ...historyColumns(),
  },
  (t) => [
    uniqueIndex('routing_keys_current_uq').on(t.routingKey).where(sql`valid_to IS NULL`),
    index('routing_keys_key_from_idx').on(t.routingKey, t.validFrom),
  ],
);

/**
 * Each team's on-call schedule as last read: a snapshot, not a history (shifts are forecasts that
 * roll forward every day; their history would be noise). A team whose read failed keeps its row.
 */
export const teamSchedules = sqliteTable('team_schedules', {
  teamSlug: text('team_slug').primaryKey(),
  teamName: text('team_name').notNull(),
  /** Shift[] as JSON. */
  shifts: text('shifts').notNull(),
  /** Rotation[] as JSON: every rotation, also one with nobody on call (no shift). null before 0004. */
  rotations: text('rotations'),
  fetchedAt: text('fetched_at').notNull(),
  runId: integer('run_id')
    .notNull()
    .references(() => runs.id),
});

/**
 * Every read of a team's on-call schedule that changed an answer (shifts with overrides applied),
 * so past on-call hours stay answerable after the schedule changes. A read that shows the same as
 * the team's latest row from its own time on is not stored; when a read supersedes the latest row,
 * that row keeps only the time it answered for (its shifts up to `superseded_at`). See
 * src/roster/oncall-intervals.ts for "who was on call at T".
 *
 * The layout keeps the history small: a row is appended small and only grows once, when it is
 * superseded (`shifts` goes from NULL to the trimmed read). The team's latest read, whole (a
 * 14-day forecast), lives in `oncall_latest`, replaced in place. Inserting the whole read here and
 * shrinking it later left every row on a 4 KB page of its own (SQLite does not merge pages a
 * shrinking UPDATE leaves nearly empty).
 */
export const oncallReads = sqliteTable(
  'oncall_reads',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    teamSlug: text('team_slug').notNull(),
    teamName: text('team_name').notNull(),
    readAt: text('read_at').notNull(),
    /** When a later read first showed something different; NULL for the team's latest read. */
    supersededAt: text('superseded_at'),
    /** The team's earliest read: it also answers for the past it showed. */
    first: integer('first', { mode: 'boolean' }).notNull(),
    /** Shift[] as JSON, trimmed to the time the read answered for; NULL while it is the latest (see oncall_latest). */
    shifts: text('shifts'),
    runId: integer('run_id')
      .notNull()
      .references(() => runs.id),
  },
  (t) => [
    index('oncall_reads_team_read_idx').on(t.teamSlug, t.readAt),
    index('oncall_reads_superseded_idx').on(t.supersededAt),
    uniqueIndex('oncall_reads_latest_uq').on(t.teamSlug).where(sql`superseded_at IS NULL`),
  ],
);

/** Each team's latest read, whole (Shift[] as JSON): one row per team, replaced in place. */
export const oncallLatest = sqliteTable('oncall_latest', {
  teamSlug: text('team_slug').primaryKey(),
  readId: integer('read_id')
    .notNull()
    .references(() => oncallReads.id),
  shifts: text('shifts').notNull(),
});

/**
 * What the on-call report reads: one row per shift part of each recorded read, cut to the time
 * that read answers for (from `read_at`, or from the shift's start for a team's first read, until
 * `superseded_at`), with epoch-ms bounds. The parts of a team's latest read run to their planned
 * end and are cut when the read is superseded. A report selects the parts overlapping its window
 * and never parses a read's JSON.
 */
export const oncallParts = sqliteTable(
  'oncall_parts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    readId: integer('read_id')
      .notNull()
      .references(() => oncallReads.id),
    teamSlug: text('team_slug').notNull(),
    teamName: text('team_name').notNull(),
    policySlug: text('policy_slug').notNull(),
    policyName: text('policy_name').notNull(),
    username: text('username').notNull(),
    /** Whose shift it was, when an override handed it to `username`. */
    overrideFor: text('override_for'),
    startMs: integer('start_ms').notNull(),
    endMs: integer('end_ms').notNull(),
  },
  (t) => [
    index('oncall_parts_read_idx').on(t.readId),
    index('oncall_parts_team_end_idx').on(t.teamSlug, t.endMs),
  ],
);

/** Coverage findings: open while resolved_at IS NULL; a finding that comes back is a new row. */
/**
 * The four columns every findings table ends with: when the finding was first seen and resolved
 * (null while open), the run that opened it, and the last run that saw it open or the run that
 * resolved it. A fresh set per call, like historyColumns.
 */
function findingLifeColumns() {
  return {
    firstSeen: text('first_seen').notNull(),
    resolvedAt: text('resolved_at'),
    firstRunId: integer('first_run_id')
      .notNull()
      .references(() => runs.id),
    lastRunId: integer('last_run_id')
      .notNull()
      .references(() => runs.id),
  };
}

export const findings = sqliteTable(
  'findings',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    key: text('key').notNull(),
    kind: text('kind').notNull(),
    /** The Finding as JSON, rewritten by a run that sees it changed. */
    data: text('data').notNull(),
    /**
     * last_run_id of an open finding is the last run that wrote its row (opened it or changed its
     * data); a run that sees it unchanged leaves the row alone, and the last run that saw it is the
     * later of this and its family's meta `findings.*.seen_run` (findings.ts: lastSeenRunId).
     */
    ...findingLifeColumns(),
  },
  (t) => [
    uniqueIndex('findings_open_uq').on(t.key).where(sql`resolved_at IS NULL`),
    index('findings_kind_idx').on(t.kind, t.resolvedAt),
  ],
);

/**
 * Each team's membership hints (`version`, `memberCount` from `GET /v1/team`) as they were when its
 * members were last read completely, and when that was: polls skip teams whose hints did not move
 * and verify the ones read longest ago. A cache of the API's state, not history.
 */
export const teamHints = sqliteTable(
  'team_hints',
  {
    teamSlug: text('team_slug').primaryKey(),
    version: integer('version'),
    memberCount: integer('member_count'),
    /** Epoch ms of the read; compared by code only. */
    readAtMs: integer('read_at_ms').notNull(),
    runId: integer('run_id')
      .notNull()
      .references(() => runs.id),
  },
  (t) => [index('team_hints_read_idx').on(t.readAtMs)],
);

/**
 * Identity findings, apart from coverage findings: a policy poll resolves every open coverage
 * finding it no longer computes, so identity findings in that table would be resolved by it.
 */
export const identityFindings = sqliteTable(
  'identity_findings',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    key: text('key').notNull(),
    kind: text('kind').notNull(),
    /** Lower-cased VictorOps username; null for source_failing. */
    usernameKey: text('username_key'),
    /** The IdentityFinding as JSON, rewritten by a sync that sees it changed. */
    data: text('data').notNull(),
    /** last_run_id as in `findings`: the family's seen run is `findings.identity.seen_run`. */
    ...findingLifeColumns(),
  },
  (t) => [
    uniqueIndex('identity_findings_open_uq').on(t.key).where(sql`resolved_at IS NULL`),
    index('identity_findings_user_idx').on(t.usernameKey, t.resolvedAt),
    index('identity_findings_kind_idx').on(t.kind, t.resolvedAt),
  ],
);

/** Each identity source's health: the shrink guard's baseline and the failing streak. */
export const identitySources = sqliteTable('identity_sources', {
  name: text('name').primaryKey(),
  kind: text('kind').notNull(),
  /** Identities in the last accepted read; null before the first. */
  lastCount: integer('last_count'),
  lastSuccessAt: text('last_success_at'),
  lastAttemptAt: text('last_attempt_at').notNull(),
  /** Identities in the last read, accepted or not. */
  lastRead: integer('last_read').notNull().default(0),
  failingSince: text('failing_since'),
  /** Secret-free, one line. */
  lastError: text('last_error'),
  heldReads: integer('held_reads').notNull().default(0),
  /** Active and inactive identities in the last accepted read (the guard on status changes). */
  lastActive: integer('last_active'),
  lastInactive: integer('last_inactive'),
  /** What the held reads agree on; a read that differs starts the confirmations again. */
  heldFingerprint: text('held_fingerprint'),
  /** An accepted read had a status column; a later read without one fails the source. */
  statusColumnSeen: integer('status_column_seen', { mode: 'boolean' }).notNull().default(false),
  /** Identities of the last read whose status is not recognised, and those values as JSON. */
  unknownCount: integer('unknown_count').notNull().default(0),
  unknownStatuses: text('unknown_statuses').notNull().default('[]'),
});

/**
 * Each person's contact methods and own paging policy, with history (one row per version), as the
 * contacts poll read them. Hints only: `methods` holds id, kind, verified state and a hint (a
 * phone's last two digits, an email's domain), never a full number or address.
 */
export const personContacts = sqliteTable(
  'person_contacts',
  {
    rowId: integer('row_id').primaryKey({ autoIncrement: true }),
    usernameKey: text('username_key').notNull(),
    username: text('username').notNull(),
    /** JSON ContactMethod[] (roster/contact-types.ts). */
    methods: text('methods').notNull(),
    /** JSON PagingStep[]. */
    pagingPolicy: text('paging_policy').notNull(),
    ...historyColumns(),
  },
  (t) => [
    uniqueIndex('person_contacts_current_uq').on(t.usernameKey).where(sql`valid_to IS NULL`),
    index('person_contacts_key_from_idx').on(t.usernameKey, t.validFrom),
  ],
);

/**
 * When each person's contacts were last read successfully (epoch ms): the contacts poll reads
 * everyone not read for CONTACTS_VERIFY_INTERVAL, oldest first. A cache of the schedule, not history.
 */
export const contactReads = sqliteTable('contact_reads', {
  usernameKey: text('username_key').primaryKey(),
  readAtMs: integer('read_at_ms').notNull(),
});

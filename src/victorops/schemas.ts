/**
 * Response schemas for the endpoints roster-watch reads, tolerant of the real API's quirks:
 * unknown fields are ignored, optional ones may be missing or null, and v1's `users` is an array
 * of arrays (the docs say flat; both are accepted and flattened).
 */
import * as z from 'zod';
import { type PolicyEntry, ROTATION_TYPES, type RotationType } from '../roster/policy-entries.js';

const optionalText = z.string().nullish();

export const apiUserSchema = z.object({
  username: z.string().min(1),
  firstName: optionalText,
  lastName: optionalText,
  displayName: optionalText,
  email: optionalText,
  createdAt: optionalText,
  passwordLastUpdated: optionalText,
  verified: z.boolean().nullish(),
});

export const userListSchema = z
  .object({ users: z.array(z.union([apiUserSchema, z.array(apiUserSchema)])) })
  .transform((body) => body.users.flat());

export const apiTeamSchema = z.object({
  slug: z.string().min(1),
  name: z.string(),
});

/**
 * `GET /v1/team` answers a bare array. `version` and `memberCount` are the membership hints: a
 * team whose pair is unchanged is not re-read every poll (see roster/membership-hints.ts). Either
 * may be missing; such a team is simply always read.
 */
export const teamListSchema = z.array(
  apiTeamSchema.extend({ version: z.number().int().nullish(), memberCount: z.number().int().nullish() }),
);
export type ApiListedTeam = z.infer<typeof teamListSchema>[number];

export const userTeamsSchema = z.object({ teams: z.array(apiTeamSchema) }).transform((body) => body.teams);

/** Team members carry no email: identity comes from the user list. */
export const teamMembersSchema = z
  .object({ members: z.array(z.object({ username: z.string().min(1) })) })
  .transform((body) => body.members.map((m) => m.username));

/**
 * The first schema problem as `path: what was expected`, with array indexes in brackets
 * (`schedules[0].schedule[0].rolls[0].start: expected string`), so an operator can find the field.
 */
export function describeSchemaIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'unexpected shape';
  let where = '';
  for (const part of issue.path) {
    if (typeof part === 'number') where += `[${part}]`;
    else where += where === '' ? String(part) : `.${String(part)}`;
  }
  const expected = issue.code === 'invalid_type' ? `expected ${issue.expected}` : issue.message;
  return `${where === '' ? 'body' : where}: ${expected}`;
}

const isRotationType = (type: string): type is RotationType =>
  (ROTATION_TYPES as readonly string[]).includes(type);

/** An undocumented target as stable text: keys sorted, nulls dropped, so it keys the entry. */
function rawTarget(value: Record<string, unknown>): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) {
      const inner = (v as Record<string, unknown>)[key];
      if (inner !== null && inner !== undefined) out[key] = sortKeys(inner);
    }
    return out;
  };
  return JSON.stringify(sortKeys(value));
}

/**
 * The schemas of the policy, on-call and routing-key endpoints, built on first use: zod builds a
 * schema's parts when it is declared, ~5 ms of every process's start, and a roster poll (or any
 * command but the policy and on-call ones) never parses these bodies (issue 21). `buildPolicySchemas`
 * builds a fresh set, for the test that compares them with these.
 */
export function buildPolicySchemas() {
  const slugRef = z.object({ slug: z.string().min(1), name: z.string().nullish() });

  /** `GET /v1/policies`: `{policies: [{policy: {name, slug}, team: {name, slug}}]}`. */
  const policyList = z
    .object({
      policies: z.array(z.object({ policy: slugRef, team: slugRef.nullish() })),
    })
    .transform((body) =>
      body.policies.map((p) => ({
        slug: p.policy.slug,
        name: p.policy.name ?? p.policy.slug,
        team: p.team ? { slug: p.team.slug, name: p.team.name ?? p.team.slug } : null,
      })),
    );

  /**
   * One entry of a policy step, by its `executionType` (reference §1): `user` (`user.username`),
   * `rotation_group`, `rotation_group_next`, `rotation_group_previous` (`rotationGroup.slug`),
   * `email` (`email.address`), `webhook` (`webhook.slug`), `policy_routing`
   * (`targetPolicy.policySlug`). `team` and `team_routing` are in the spec's enum without a
   * documented target, so they, like any unknown type, keep their raw target. `user_page` is an
   * old spelling that is still read as a user.
   */
  const policyEntry = z
    .object({
      executionType: z.string().min(1),
      user: z.object({ username: z.string().min(1) }).nullish(),
      rotationGroup: z.object({ slug: z.string().min(1), label: z.string().nullish() }).nullish(),
      email: z.object({ address: z.string().min(1) }).nullish(),
      webhook: z.object({ slug: z.string().min(1) }).nullish(),
      targetPolicy: z.object({ policySlug: z.string().min(1) }).nullish(),
    })
    .loose()
    .transform((e): PolicyEntry => {
      const type = e.executionType;
      if ((type === 'user' || type === 'user_page') && e.user)
        return { kind: 'user', username: e.user.username };
      if (isRotationType(type) && e.rotationGroup)
        return {
          kind: 'rotation',
          executionType: type,
          rotationSlug: e.rotationGroup.slug,
          rotationLabel: e.rotationGroup.label ?? e.rotationGroup.slug,
        };
      if (type === 'email' && e.email) return { kind: 'email', address: e.email.address };
      if (type === 'webhook' && e.webhook) return { kind: 'webhook', webhookSlug: e.webhook.slug };
      if (type === 'policy_routing' && e.targetPolicy)
        return { kind: 'policy', policySlug: e.targetPolicy.policySlug };
      const { executionType: _type, ...rest } = e;
      const target = rawTarget(rest);
      if (type === 'team' || type === 'team_routing') return { kind: 'team', executionType: type, target };
      return { kind: 'other', executionType: type, target };
    });

  /** `GET /v1/policies/{slug}`. */
  const policyDetail = z.object({
    name: z.string(),
    slug: z.string().min(1),
    teamSlug: z.string().nullish(),
    steps: z
      .array(z.object({ timeout: z.number().nullish(), entries: z.array(policyEntry).nullish() }))
      .nullish(),
  });

  /**
   * The on-call user appears as `onCallUser` or `onCalluser` (reference §6.8). An empty username is
   * an empty shift (nobody on call for that roll, as an older capture shows an empty shift with an
   * empty on-call name): it is read as nobody, not as a shape error that would freeze the team's
   * whole schedule at its previous state.
   */
  const onCallUserSchema = z
    .object({ username: z.string() })
    .transform((u) => ({ username: u.username.trim() === '' ? null : u.username }));

  /** RFC 3339 with any offset (`2026-12-01T09:00:00-06:00`): parsed as an instant, not a local time. */
  const instantSchema = z
    .string()
    .refine((text) => !Number.isNaN(Date.parse(text)), { message: 'expected an RFC 3339 time' });

  /**
   * A roll is `{start, end, onCallUser, isRoll}` as every source shows it. Nothing else is guessed
   * at: a roll without `start`, `end` or its on-call user (such as the deprecated v1 schedule's
   * `{change, until, oncall}`, a different endpoint's shape) is a shape error naming the field,
   * never a roll with nobody on call.
   */
  const rollSchema = z
    .object({
      start: instantSchema,
      end: instantSchema,
      onCallUser: onCallUserSchema.nullish(),
      onCalluser: onCallUserSchema.nullish(),
      isRoll: z.boolean().nullish(),
    })
    .superRefine((r, ctx) => {
      if (r.onCallUser === undefined && r.onCalluser === undefined)
        ctx.addIssue({ code: 'custom', path: ['onCallUser'], message: 'expected an object with a username' });
    })
    .transform((r) => ({
      start: r.start,
      end: r.end,
      username: r.onCallUser?.username ?? r.onCalluser?.username ?? null,
    }));

  const overrideSchema = z
    .object({
      origOnCallUser: onCallUserSchema.nullish(),
      overrideOnCallUser: onCallUserSchema.nullish(),
      start: instantSchema,
      end: instantSchema,
      policy: slugRef.nullish(),
    })
    .transform((o) => ({
      originalUsername: o.origOnCallUser?.username ?? null,
      overrideUsername: o.overrideOnCallUser?.username ?? null,
      start: o.start,
      end: o.end,
      policySlug: o.policy?.slug ?? null,
    }));

  const policyScheduleSchema = z.object({
    policy: slugRef.nullish(),
    schedule: z
      .array(
        z.object({
          onCallUser: onCallUserSchema.nullish(),
          overrideOnCallUser: onCallUserSchema.nullish(),
          onCallType: z.string().nullish(),
          rotationName: z.string().nullish(),
          shiftName: z.string().nullish(),
          shiftRoll: z.string().nullish(),
          rolls: z.array(rollSchema).nullish(),
        }),
      )
      .nullish(),
    overrides: z.array(overrideSchema).nullish(),
  });

  /** `GET /v2/team/{team}/oncall/schedule`. */
  const teamSchedule = z.object({
    team: slugRef.nullish(),
    schedules: z.array(policyScheduleSchema).nullish(),
  });

  /**
   * `GET /v1/org/routing-keys`: `{routingKeys: [{routingKey, targets: [{policyName, policySlug,
   * _teamUrl}], isDefault}]}` (test/fixtures/victorops/v1-org-routing-keys.json and its sources). A
   * key may have no targets; the default key is `.+`. `_teamUrl` and `isMultiResponder` are not read.
   */
  const routingKeyList = z
    .object({
      routingKeys: z.array(
        z.object({
          routingKey: z.string().min(1),
          targets: z
            .array(z.object({ policySlug: z.string().min(1), policyName: z.string().nullish() }))
            .nullish(),
          isDefault: z.boolean().nullish(),
        }),
      ),
    })
    .transform((body) =>
      body.routingKeys.map((k) => ({
        routingKey: k.routingKey,
        isDefault: k.isDefault === true,
        targets: (k.targets ?? []).map((t) => ({
          policySlug: t.policySlug,
          policyName: t.policyName ?? t.policySlug,
        })),
      })),
    );
  return { policyList, policyDetail, teamSchedule, routingKeyList };
}

/**
 * Schemas built on first use: `lazySchemas(build)(key)` parses as `build()[key]` does, and `build`
 * runs once, at the first parse of any of them.
 */
export function lazySchemas<S extends Record<string, z.ZodType>>(build: () => S) {
  let built: S | undefined;
  return <K extends keyof S>(key: K) =>
    z.lazy(() => {
      built ??= build();
      return built[key];
    });
}

const policySchema = lazySchemas(buildPolicySchemas);

/** `GET /v1/policies`: `{policies: [{policy: {name, slug}, team: {name, slug}}]}`. */
export const policyListSchema = policySchema('policyList');
/** `GET /v1/policies/{slug}`. */
export const policyDetailSchema = policySchema('policyDetail');
/** `GET /v2/team/{team}/oncall/schedule`. */
export const teamScheduleSchema = policySchema('teamSchedule');
/** `GET /v1/org/routing-keys` (see the builder). */
export const routingKeyListSchema = policySchema('routingKeyList');
export type ApiPolicySummary = z.infer<typeof policyListSchema>[number];
export type ApiPolicyDetail = z.infer<typeof policyDetailSchema>;
export type ApiTeamSchedule = z.infer<typeof teamScheduleSchema>;
export type ApiRoutingKey = z.infer<typeof routingKeyListSchema>[number];

/**
 * Response schemas for the endpoints roster-watch reads, tolerant of the real API's quirks:
 * unknown fields are ignored, optional ones may be missing or null, and v1's `users` is an array
 * of arrays (the docs say flat; both are accepted and flattened).
 */
import { z } from 'zod';

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
export type ApiUser = z.infer<typeof apiUserSchema>;

export const userListSchema = z
  .object({ users: z.array(z.union([apiUserSchema, z.array(apiUserSchema)])) })
  .transform((body) => body.users.flat());

export const apiTeamSchema = z.object({
  slug: z.string().min(1),
  name: z.string(),
});
export type ApiTeam = z.infer<typeof apiTeamSchema>;

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

/** Describes the first schema problem in a few words, for error messages. */
export function describeSchemaIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'unexpected shape';
  const where = issue.path.length > 0 ? issue.path.join('.') : 'body';
  return `${where}: ${issue.message}`;
}

const slugRef = z.object({ slug: z.string().min(1), name: z.string().nullish() });

/** `GET /v1/policies`: `{policies: [{policy: {name, slug}, team: {name, slug}}]}`. */
export const policyListSchema = z
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
export type ApiPolicySummary = z.infer<typeof policyListSchema>[number];

/**
 * One entry of a policy step. Entry types other than users and rotation groups (webhooks,
 * other policies, email) are kept as `other`: they page someone, so the step is not empty.
 */
const policyEntrySchema = z
  .object({
    executionType: z.string(),
    user: z.object({ username: z.string().min(1) }).nullish(),
    rotationGroup: z.object({ slug: z.string().min(1), label: z.string().nullish() }).nullish(),
  })
  .transform((e) => {
    if (e.executionType === 'user_page' && e.user)
      return { kind: 'user' as const, username: e.user.username };
    if (e.executionType === 'rotation_group' && e.rotationGroup)
      return {
        kind: 'rotation' as const,
        rotationSlug: e.rotationGroup.slug,
        rotationLabel: e.rotationGroup.label ?? e.rotationGroup.slug,
      };
    return { kind: 'other' as const, executionType: e.executionType };
  });

/** `GET /v1/policies/{slug}`. */
export const policyDetailSchema = z.object({
  name: z.string(),
  slug: z.string().min(1),
  teamSlug: z.string().nullish(),
  steps: z
    .array(z.object({ timeout: z.number().nullish(), entries: z.array(policyEntrySchema).nullish() }))
    .nullish(),
});
export type ApiPolicyDetail = z.infer<typeof policyDetailSchema>;

/** The on-call user appears as `onCallUser` or `onCalluser`, and in rolls also as a bare `onCall` string. */
const onCallUserSchema = z.object({ username: z.string().min(1) });
const rollSchema = z
  .object({
    change: z.string(),
    until: z.string(),
    onCallUser: onCallUserSchema.nullish(),
    onCalluser: onCallUserSchema.nullish(),
    onCall: z.union([z.string(), onCallUserSchema]).nullish(),
  })
  .transform((r) => {
    const onCall = typeof r.onCall === 'string' ? r.onCall : r.onCall?.username;
    return {
      start: r.change,
      end: r.until,
      username: r.onCallUser?.username ?? r.onCalluser?.username ?? onCall ?? null,
    };
  });

/** `GET /v2/team/{team}/oncall/schedule`. */
export const teamScheduleSchema = z.object({
  team: slugRef.nullish(),
  schedules: z
    .array(
      z.object({
        policy: slugRef.nullish(),
        schedule: z
          .array(
            z.object({
              rotationName: z.string().nullish(),
              shiftName: z.string().nullish(),
              rolls: z.array(rollSchema).nullish(),
            }),
          )
          .nullish(),
      }),
    )
    .nullish(),
});
export type ApiTeamSchedule = z.infer<typeof teamScheduleSchema>;

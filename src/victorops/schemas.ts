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

/** `GET /v1/team` answers a bare array. */
export const teamListSchema = z.array(apiTeamSchema);

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

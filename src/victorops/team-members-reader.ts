/**
 * The members lists' fast path (issue 21). A changed poll reads one `GET /v1/team/{team}/members`
 * per changed team (489 of them, ~60,000 members in the benchmark org), and zod's parse of those
 * bodies built a checked copy of every member object only for the fetch to keep its username:
 * ~0.11 s CPU of the 10%-changed poll. This walks the parsed JSON once and keeps the usernames.
 *
 * The zod schema (`teamMembersSchema`: `{members: [{username}]}`, a non-empty text username, other
 * fields ignored; the shape of the reference's fixture, test/fixtures/victorops/v1-team-members.json)
 * stays the reference: this accepts exactly what it accepts and gives up (null) on anything else,
 * so the zod path then runs and reports its error as before. A property test holds both to the same
 * output.
 */
import type { FastSchema } from './client.js';
import { teamMembersSchema } from './schemas.js';
import { isObject } from './user-list-reader.js';

/** The members' usernames, as `teamMembersSchema.parse(json)` gives them; null when zod must decide. */
export function readTeamMembersFast(json: unknown): string[] | null {
  if (!isObject(json)) return null;
  const members = json.members;
  if (!Array.isArray(members)) return null;
  const usernames: string[] = new Array(members.length);
  for (let i = 0; i < members.length; i++) {
    const member: unknown = members[i];
    if (!isObject(member)) return null;
    const username = member.username;
    if (typeof username !== 'string' || username.length === 0) return null;
    usernames[i] = username;
  }
  return usernames;
}

/** How the fetch reads a team's members: the fast path, else zod (`doctor`'s one read keeps zod). */
export const teamMembersReader: FastSchema<string[]> = {
  fast: readTeamMembersFast,
  schema: teamMembersSchema,
};

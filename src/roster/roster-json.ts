/** The JSON shape `fetch --json` and `roster --json` print, shared by both. */
import type { Roster, Team, User } from './types.js';
import { usernameKey } from './types.js';

export interface RosterJson {
  at?: string;
  users: (User & { teams: string[] })[];
  teams: Team[];
}

export function rosterToJson(roster: Roster, at?: string): RosterJson {
  const teamsByUser = new Map<string, string[]>();
  for (const m of roster.memberships) {
    const key = usernameKey(m.username);
    const list = teamsByUser.get(key);
    if (list) list.push(m.teamSlug);
    else teamsByUser.set(key, [m.teamSlug]);
  }
  return {
    ...(at === undefined ? {} : { at }),
    users: roster.users.map((u) => ({
      ...u,
      teams: (teamsByUser.get(usernameKey(u.username)) ?? []).sort(),
    })),
    teams: roster.teams,
  };
}

/** A person as people read them in alerts and tables: "Jane Doe (jdoe)". */
export function describeUser(user: Pick<User, 'username' | 'firstName' | 'lastName'>): string {
  const name = [user.firstName, user.lastName].filter((p) => p !== null && p !== '').join(' ');
  return name === '' ? user.username : `${name} (${user.username})`;
}

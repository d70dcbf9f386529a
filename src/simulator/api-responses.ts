/**
 * Response bodies in the exact shapes VictorOps returns. Whole-org lists are serialised
 * once per org revision: a 20,000-user list is megabytes of JSON and clients poll it often.
 */
import type { SimOrg, SimTeam, SimUser } from './org.js';
import { policyListJson } from './policy-responses.js';

const PREFIX = '/api-public';

/** v1 lists come back as an array of arrays; 100 per inner array makes clients flatten all of them. */
const USER_CHUNK = 100;

export function userV1Json(user: SimUser): Record<string, unknown> {
  return {
    username: user.username,
    firstName: user.firstName,
    lastName: user.lastName,
    displayName: `${user.firstName} ${user.lastName}`,
    // Some real users have no email at all: the key is missing, not null.
    ...(user.email === null ? {} : { email: user.email }),
    createdAt: user.createdAt,
    passwordLastUpdated: user.passwordLastUpdated,
    verified: user.verified,
    _selfUrl: `${PREFIX}/v1/user/${user.username}`,
  };
}

export function userV2Json(user: SimUser): Record<string, unknown> {
  return {
    username: user.username,
    firstName: user.firstName,
    lastName: user.lastName,
    displayName: `${user.firstName} ${user.lastName}`,
    ...(user.email === null ? {} : { email: user.email }),
    createdAt: user.createdAt,
    passwordLastUpdated: user.passwordLastUpdated,
    verified: user.verified,
    _selfUrl: `${PREFIX}/v2/user/${user.username}`,
  };
}

function teamLinks(slug: string): Record<string, string> {
  const self = `${PREFIX}/v1/team/${slug}`;
  return {
    _selfUrl: self,
    _membersUrl: `${self}/members`,
    _policiesUrl: `${self}/policies`,
    _adminsUrl: `${self}/admins`,
  };
}

export function teamJson(org: SimOrg, team: SimTeam): Record<string, unknown> {
  return {
    ...teamLinks(team.slug),
    name: team.name,
    slug: team.slug,
    memberCount: org.listedMemberCount(team.slug),
    version: team.version,
    isDefaultTeam: team.isDefaultTeam,
  };
}

export function userTeamsJson(org: SimOrg, teams: readonly SimTeam[]): Record<string, unknown> {
  return {
    teams: teams.map((team) => ({
      name: team.name,
      slug: team.slug,
      memberCount: org.listedMemberCount(team.slug),
      version: team.version,
      isDefaultTeam: team.isDefaultTeam,
      _selfUrl: `${PREFIX}/v1/team/${team.slug}`,
    })),
  };
}

export function membersJson(org: SimOrg, slug: string, members: readonly SimUser[]): Record<string, unknown> {
  return {
    _selfUrl: `${PREFIX}/v1/team/${slug}/members`,
    _teamUrl: `${PREFIX}/v1/team/${slug}`,
    // The members endpoint never includes email; clients must join with the user list.
    members: members.map((user) => ({
      username: user.username,
      firstName: user.firstName,
      lastName: user.lastName,
      version: org.userVersion(user.username),
      verified: user.verified,
    })),
  };
}

export interface ListBodies {
  usersV1(): string;
  usersV2(): string;
  teams(): string;
  policies(): string;
}

export function createListBodies(org: SimOrg): ListBodies {
  const memo = (build: () => string): (() => string) => {
    let revision = -1;
    let body = '';
    return () => {
      if (revision !== org.revision) {
        body = build();
        revision = org.revision;
      }
      return body;
    };
  };
  return {
    usersV1: memo(() => {
      const users = org.listUsers();
      const chunks: Record<string, unknown>[][] = [];
      for (let i = 0; i < users.length; i += USER_CHUNK) {
        chunks.push(users.slice(i, i + USER_CHUNK).map(userV1Json));
      }
      return JSON.stringify({ _selfUrl: `${PREFIX}/v1/user`, users: chunks });
    }),
    usersV2: memo(() => JSON.stringify({ users: org.listUsers().map(userV2Json) })),
    teams: memo(() => JSON.stringify(org.listTeams().map((team) => teamJson(org, team)))),
    policies: memo(() => JSON.stringify(policyListJson(org))),
  };
}

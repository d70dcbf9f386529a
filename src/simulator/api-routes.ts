/**
 * The VictorOps endpoints roster-watch reads, plus the admin writes the demo and tests use
 * to change the org, with the status codes and error bodies the real API documents.
 */
import * as z from 'zod';
import { SimOrgError } from '../errors.js';
import {
  createListBodies,
  membersJson,
  teamJson,
  userTeamsJson,
  userV1Json,
  userV2Json,
} from './api-responses.js';
import {
  contactMethodsJson,
  pagingPolicyJson,
  type SimContactBook,
  type SimPersonContacts,
} from './contacts.js';
import { parseBody, type Reply, type Route, replyError, replyJson, replyRawJson } from './http-io.js';
import type { SimOrg } from './org.js';
import { createPolicyRoutes } from './policy-routes.js';

const ERROR_STATUS: Record<SimOrgError['code'], number> = {
  'user-not-found': 404,
  'team-not-found': 404,
  'policy-not-found': 404,
  'not-a-member': 404,
  'invalid-shift': 400,
  'routing-key-not-found': 404,
  'invalid-routing-key': 400,
  'username-taken': 422,
  'slug-taken': 422,
  'replacement-not-found': 422,
};

/** Domain errors become the API's error replies; anything else is a simulator bug and propagates. */
export function replyForOrgError(error: unknown): Reply {
  if (!(error instanceof SimOrgError)) throw error;
  const isLookup =
    error.code === 'user-not-found' || error.code === 'team-not-found' || error.code === 'policy-not-found';
  return replyError(ERROR_STATUS[error.code], isLookup ? error.code : error.message);
}

/** Runs an org mutation or lookup, answering its domain error the way the API would. */
export const orgCall = (run: () => Reply): Reply => {
  try {
    return run();
  } catch (error) {
    return replyForOrgError(error);
  }
};

const requiredText = z.string().trim().min(1);
const newUserBody = z.object({
  firstName: requiredText,
  lastName: requiredText,
  // A slash could never be addressed in /v1/user/{username}.
  username: requiredText.regex(/^[^/\s]+$/),
  email: requiredText,
});
const replaceUserBody = z.object({
  username: z.string().optional(),
  firstName: requiredText,
  lastName: requiredText,
  email: requiredText.nullish(),
});
const deleteUserBody = z.object({ replacement: requiredText.optional() });
const addMemberBody = z.object({ username: requiredText });

export interface ApiRoutesDeps {
  /** Where on-call schedule windows start. */
  now: () => Date;
  contacts: SimContactBook;
}

export function createApiRoutes(org: SimOrg, deps: ApiRoutesDeps): Route[] {
  const lists = createListBodies(org);
  /** `GET /v1/{base}/{username}/{tail}`: one person's contacts, answered from the contact book. */
  const personRoute = (
    tail: string[],
    base: 'user' | 'profile',
    toJson: (username: string, contacts: SimPersonContacts) => unknown,
  ): Route => ({
    pattern: ['v1', base, ':username', ...tail],
    methods: {
      GET: (_request, { username = '' }) => {
        const user = org.getUser(username);
        if (!user) return replyError(404, 'user-not-found');
        return replyJson(200, toJson(user.username, deps.contacts.get(user.username, user.email)));
      },
    },
  });
  return [
    ...createPolicyRoutes({ org, lists, now: deps.now }),
    {
      pattern: ['v1', 'user'],
      methods: {
        GET: () => replyRawJson(200, lists.usersV1()),
        POST: (request) => {
          const body = parseBody(request.rawBody, newUserBody);
          if (!body.ok) return body.reply;
          return orgCall(() => replyJson(200, userV1Json(org.addUser(body.value))));
        },
      },
    },
    {
      pattern: ['v2', 'user'],
      methods: {
        GET: (request) => {
          const email = request.query.get('email');
          if (email === null) return replyRawJson(200, lists.usersV2());
          const wanted = email.toLowerCase();
          const users = org.listUsers().filter((user) => user.email?.toLowerCase() === wanted);
          return replyJson(200, { users: users.map(userV2Json) });
        },
      },
    },
    {
      pattern: ['v1', 'user', ':username'],
      methods: {
        GET: (_request, { username = '' }) => {
          const user = org.getUser(username);
          return user ? replyJson(200, userV1Json(user)) : replyError(404, 'user-not-found');
        },
        // A full replacement, as documented: an omitted email is removed, not kept.
        PUT: (request, { username = '' }) => {
          const body = parseBody(request.rawBody, replaceUserBody);
          if (!body.ok) return body.reply;
          const { username: renamed, ...fields } = body.value;
          if (renamed !== undefined && renamed.toLowerCase() !== username.toLowerCase()) {
            return replyError(400, 'Usernames cannot be changed');
          }
          return orgCall(() => replyJson(200, userV1Json(org.updateUser(username, fields))));
        },
        // VictorOps requires a JSON body here, even if it is only {}.
        DELETE: (request, { username = '' }) => {
          const body = parseBody(request.rawBody, deleteUserBody);
          if (!body.ok) return body.reply;
          const { replacement } = body.value;
          return orgCall(() => {
            org.removeUser(username, replacement === undefined ? {} : { replacement });
            return replyJson(200, {});
          });
        },
      },
    },
    {
      pattern: ['v1', 'user', ':username', 'teams'],
      methods: {
        GET: (_request, { username = '' }) =>
          orgCall(() => replyJson(200, userTeamsJson(org, org.teamsOfUser(username)))),
      },
    },
    personRoute(['contact-methods'], 'user', contactMethodsJson),
    personRoute(['policies'], 'profile', pagingPolicyJson),
    {
      pattern: ['v1', 'team'],
      methods: { GET: () => replyRawJson(200, lists.teams()) },
    },
    {
      pattern: ['v1', 'team', ':slug'],
      methods: {
        GET: (_request, { slug = '' }) => {
          const team = org.getTeam(slug);
          return team ? replyJson(200, teamJson(org, team)) : replyError(404, 'team-not-found');
        },
      },
    },
    {
      pattern: ['v1', 'team', ':slug', 'members'],
      methods: {
        GET: (_request, { slug = '' }) =>
          orgCall(() => replyJson(200, membersJson(org, slug, org.membersOfTeam(slug)))),
        POST: (request, { slug = '' }) => {
          const body = parseBody(request.rawBody, addMemberBody);
          if (!body.ok) return body.reply;
          return orgCall(() => {
            org.addMember(slug, body.value.username);
            return replyJson(200, {});
          });
        },
      },
    },
    {
      pattern: ['v1', 'team', ':slug', 'members', ':username'],
      methods: {
        DELETE: (_request, { slug = '', username = '' }) =>
          orgCall(() => {
            org.removeMember(slug, username);
            return replyJson(200, {});
          }),
      },
    },
  ];
}

/**
 * The user list's fast path (issue 21). `GET /v1/user` is the one large response of a poll
 * (20,000 users, ~5 MB): zod's parse copies every user object, `.flat()` copies the list, and the
 * normaliser copies every user again, so an unchanged poll made three copies of 20,000 objects,
 * CPU and garbage-collector work. This walks the parsed JSON once, checks each user by hand and
 * normalises it straight from the JSON object, with the very functions the zod path's output goes
 * through (`normaliseUser`, `keyUsers`).
 *
 * The zod schema (`userListSchema`) stays the reference: this accepts a subset of what it accepts,
 * and gives up (null) on anything else, wrong types, unknown nesting, whatever, so the zod path then
 * runs and reports its error exactly as before. A property test holds both to the same output.
 */
import {
  keyUsers,
  type NormalisedUsers,
  normaliseUser,
  normaliseUsers,
  type RawUser,
} from '../roster/normalise.js';
import { USER_FIELDS, type User } from '../roster/types.js';
import type { BodyStream, FastSchema } from './client.js';
import { userListSchema } from './schemas.js';
import { createUserListScanner } from './user-list-scanner.js';

/** The optional text fields of `apiUserSchema` (every recorded field but `verified`): text, null or missing. */
const TEXT_FIELDS = USER_FIELDS.filter((field) => field !== 'verified');

/** A JSON object (what `z.object` accepts of parsed JSON: not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What `apiUserSchema` accepts: a non-empty username, text or nothing, `verified` a boolean or nothing. */
function isApiUser(value: unknown): value is RawUser {
  if (!isObject(value)) return false;
  const username = value.username;
  if (typeof username !== 'string' || username.length === 0) return false;
  for (const field of TEXT_FIELDS) {
    const text = value[field];
    if (text !== undefined && text !== null && typeof text !== 'string') return false;
  }
  const verified = value.verified;
  return verified === undefined || verified === null || typeof verified === 'boolean';
}

/**
 * `{users: [...]}`, each entry a user or an array of users (v1 answers arrays of arrays), as
 * `normaliseUsers(userListSchema.parse(json))` gives them; null when the zod path must decide.
 */
export function readUserListFast(json: unknown): NormalisedUsers | null {
  if (!isObject(json) || !Array.isArray(json.users)) return null;
  const users: User[] = [];
  for (const entry of json.users as unknown[]) {
    if (Array.isArray(entry)) {
      for (const inner of entry as unknown[]) {
        if (!isApiUser(inner)) return null;
        users.push(normaliseUser(inner));
      }
    } else if (isApiUser(entry)) {
      users.push(normaliseUser(entry));
    } else {
      return null;
    }
  }
  return keyUsers(users);
}

/**
 * The fast path fed as the body arrives: each user is checked and normalised as soon as the
 * scanner (user-list-scanner.ts) has read it, so the body's string and its whole JSON tree never
 * exist. Null from `end()` when the scanner or a user's check gave up: the client then parses the
 * whole body as before (`readUserListFast`, else zod), errors included.
 */
export function streamUserList(): BodyStream<NormalisedUsers> {
  const users: User[] = [];
  const scanner = createUserListScanner((value) => {
    if (!isApiUser(value)) return false;
    users.push(normaliseUser(value));
    return true;
  });
  return {
    push: (chunk) => scanner.push(chunk),
    end: () => (scanner.end() ? keyUsers(users) : null),
  };
}

/** How fetch-roster reads `GET /v1/user`: streamed, else the fast path, else zod and the normaliser. */
export const userListReader: FastSchema<NormalisedUsers> = {
  stream: streamUserList,
  fast: readUserListFast,
  schema: userListSchema.transform(normaliseUsers),
};

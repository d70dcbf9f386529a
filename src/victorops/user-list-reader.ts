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
import { createHash } from 'node:crypto';
import { userFingerprintText } from '../roster/fingerprint.js';
import {
  describeUserList,
  type KnownUserList,
  keyUsers,
  type NormalisedUsers,
  normaliseUser,
  normaliseUsers,
  type RawUser,
  type RecordedUsers,
} from '../roster/normalise.js';
import { USER_FIELDS, type User, usernameKey } from '../roster/types.js';
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
 * Salts the digest of a user list's bytes. The store trusts the users it recorded from a list
 * whose digest is the known one (store/user-list-digest.ts), so this must be bumped whenever the
 * users this reader gives for the same bytes change (the scanner, `isApiUser`, `normaliseUser`,
 * `keyUsers`) or their fingerprints do (`userFingerprintText`): an older digest is then no longer
 * trusted, and the next poll parses the list. `userListSalt` catches some of these by itself.
 */
export const USER_LIST_READER_VERSION = 2;

/** A user with every field, spaces to trim, an empty text and a mixed-case name: the salt's sample. */
const SALT_SAMPLE: RawUser = {
  username: ' Sample.User ',
  firstName: ' Ann ',
  lastName: '',
  displayName: null,
  email: ' Ann@Example.org ',
  createdAt: '2020-01-02T03:04:05Z',
  passwordLastUpdated: undefined,
  verified: false,
};

/**
 * The salt: the reader's version, the recorded fields, and what the normaliser, the fingerprint
 * and the key make of a sample user, so a change to any of them that shows on the sample ends
 * older digests without a bump (one that does not show still needs it).
 */
export function userListSalt(version: number = USER_LIST_READER_VERSION): string {
  const user = normaliseUser(SALT_SAMPLE);
  return [
    `roster-watch user list, reader ${version}`,
    USER_FIELDS.join(),
    userFingerprintText(user),
    usernameKey(user.username),
  ].join('\n');
}

/** The digest of a user list's bytes, salted (`userListSalt`), fed chunk by chunk. */
export function userListHasher(version: number = USER_LIST_READER_VERSION) {
  return createHash('sha256').update(`${userListSalt(version)}\n`);
}

/** A scanner that checks and normalises each user into `users` as it is read. */
function usersScanner(users: User[]) {
  return createUserListScanner((value) => {
    if (!isApiUser(value)) return false;
    users.push(normaliseUser(value));
    return true;
  });
}

/** Reads the users of a whole body as `streamUserList` does; null when that path gives up. */
function scanUsers(chunks: readonly Buffer[]): NormalisedUsers | null {
  const users: User[] = [];
  const scanner = usersScanner(users);
  for (const chunk of chunks) scanner.push(chunk);
  return scanner.end() ? keyUsers(users) : null;
}

/** The reference path: zod, then the normaliser (built once; every poll's reader names it). */
const userListNormalised = userListSchema.transform(normaliseUsers);

function parseWhole(text: string): NormalisedUsers {
  const json: unknown = JSON.parse(text);
  return readUserListFast(json) ?? userListNormalised.parse(json);
}

/**
 * Bytes the store vouched for that this reader cannot read: only a reader changed without its
 * version bumped gets here. The poll cycle catches it outside the run's transaction, forgets the
 * digest and polls again, so the list is parsed as any other and its error recorded as usual.
 */
export class KnownUserListUnreadableError extends Error {
  constructor(cause: unknown) {
    super(
      `the user list (GET /v1/user) whose bytes the store vouched for cannot be read again: was the reader changed without bumping USER_LIST_READER_VERSION (${USER_LIST_READER_VERSION})?`,
      { cause },
    );
    this.name = 'KnownUserListUnreadableError';
  }
}

/**
 * The users of bytes whose digest is the known one, parsed from `chunks` only when first read
 * (a changed poll's consumers, coverage findings): an unchanged poll reads the recorded facts
 * instead. The bytes were read by this reader's version when their users were recorded, so they
 * parse again; were that broken, the parse's error is thrown as KnownUserListUnreadableError
 * where the users are first read, rather than a guess.
 */
function lazyUsers(chunks: Buffer[], digest: string, recorded: RecordedUsers): NormalisedUsers {
  let parsed: NormalisedUsers | undefined;
  const parse = (): NormalisedUsers => {
    if (parsed === undefined) {
      try {
        parsed = scanUsers(chunks) ?? parseWhole(Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        throw new KnownUserListUnreadableError(error);
      }
      chunks.length = 0;
    }
    return parsed;
  };
  const users: NormalisedUsers = {
    get users() {
      return parse().users;
    },
    get byKey() {
      return parse().byKey;
    },
    get otherSpellings() {
      return parse().otherSpellings;
    },
  };
  describeUserList(users, { digest, recorded });
  return users;
}

/**
 * The fast path fed as the body arrives: each user is checked and normalised as soon as the
 * scanner (user-list-scanner.ts) has read it, so the body's string and its whole JSON tree never
 * exist. Null from `end()` when the scanner or a user's check gave up: the client then parses the
 * whole body as before (`readUserListFast`, else zod), errors included.
 * The bytes are hashed as they come (`userListHasher`); with a `known` digest the scan waits for
 * the end, and bytes with that digest are not parsed at all (`lazyUsers`).
 */
export function streamUserList(
  known?: KnownUserList,
  version: number = USER_LIST_READER_VERSION,
): BodyStream<NormalisedUsers> {
  const users: User[] = [];
  const scanner = usersScanner(users);
  const hasher = userListHasher(version);
  // The client keeps every chunk until the end anyway: holding them here costs no copy.
  const kept: Buffer[] = [];
  return {
    push: (chunk) => {
      hasher.update(chunk);
      if (known === undefined) scanner.push(chunk);
      else kept.push(chunk);
    },
    end: () => {
      const digest = hasher.digest('hex');
      if (known !== undefined) {
        const recorded = digest === known.digest ? known.load() : null;
        if (recorded !== null) return lazyUsers(kept, digest, recorded);
        for (const chunk of kept) scanner.push(chunk);
        kept.length = 0;
      }
      if (!scanner.end()) return null;
      const read = keyUsers(users);
      describeUserList(read, { digest, recorded: null });
      return read;
    },
  };
}

/**
 * How fetch-roster reads `GET /v1/user`: streamed, else the fast path, else zod and the
 * normaliser; bytes with the `known` digest are not parsed unless their users are read.
 */
export function userListReaderOf(
  known?: KnownUserList,
  version: number = USER_LIST_READER_VERSION,
): FastSchema<NormalisedUsers> {
  return {
    stream: () => streamUserList(known, version),
    fast: readUserListFast,
    schema: userListNormalised,
  };
}

/** The reader with no known digest: every body is parsed. */
export const userListReader: FastSchema<NormalisedUsers> = userListReaderOf();

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
import { createHash, hash } from 'node:crypto';
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
  recordedPlace,
  type UserEntries,
  usersReadOnDemand,
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
function usersScanner(users: User[], onBytes?: (bytes: Buffer) => boolean) {
  return createUserListScanner((value) => {
    if (!isApiUser(value)) return false;
    users.push(normaliseUser(value));
    return true;
  }, onBytes);
}

/**
 * The tag of the per-user digests this reader takes with `key` (`UserEntries`): a digest of the
 * salt and the key, so whatever ends older list digests (the version, what the sample user gives)
 * ends them too, and so does another key.
 */
export function userEntriesTag(key: Buffer, version: number = USER_LIST_READER_VERSION): string {
  const text = `entries\n${userListSalt(version)}\n${key.toString('hex')}`;
  return hash('sha256', text, 'base64url').slice(0, 16);
}

/**
 * The digest of one user's own bytes, keyed: SHA-256 of the database's secret key and the bytes,
 * 96 bits of it. Unkeyed, someone editing their own profile could search offline for two versions
 * whose digests collide (~2^48 hashes for 96 bits) and make the second look like the first; with a
 * key they cannot compute a digest at all, and a match by chance is a 2^-96 event.
 */
function entryDigest(key: Buffer, bytes: Buffer): string {
  return hash('sha256', Buffer.concat([key, bytes]), 'base64url').slice(0, 16);
}

/** A digest of users' keys in order (`UserEntries.keys`). */
export function userKeysDigest(keys: readonly string[]): string {
  return hash('sha256', JSON.stringify(keys), 'base64url').slice(0, 16);
}

/** The stored digests of the recorded users' bytes as a lookup (digest → place among their keys), or null if unusable. */
function entryPlaces(entries: UserEntries, recorded: RecordedUsers): Map<string, number> | null {
  if (entries.digests.length !== recorded.keys.length) return null;
  // Taken of other users (never expected: both are a function of the same bytes): not used.
  if (entries.keys !== userKeysDigest(recorded.keys)) return null;
  const places = new Map<string, number>();
  for (let i = 0; i < entries.digests.length; i++) places.set(entries.digests[i]!, i);
  // Two users with the same bytes cannot both be kept: such a row is not one this reader wrote.
  return places.size === entries.digests.length ? places : null;
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
function lazyUsers(
  chunks: Buffer[],
  digest: string,
  recorded: RecordedUsers,
  patched?: { entries: UserEntries; otherSpellings: readonly string[] },
): NormalisedUsers {
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
  const users = usersReadOnDemand(parse, patched?.otherSpellings);
  describeUserList(users, { digest, recorded, ...(patched ? { entries: patched.entries } : {}) });
  return users;
}

/**
 * The facts of a list most of whose users' bytes are recorded ones, patched from the recorded
 * users' facts (`base`) without parsing those: `places[e]` is the list's e-th entry's place among
 * the recorded users when its bytes are that user's (-1: parsed, the next of `parsed`), and
 * `digests[e]` its bytes' digest. keyUsers' rule holds over the entries in list order (the first
 * of a key kept, the other spellings noted, empty usernames dropped): the recorded keys come in
 * order already, so only the parsed users' few keys are sorted and merged in, and their
 * fingerprints taken (`printUser`).
 */
function patchedFacts(
  base: RecordedUsers,
  places: readonly number[],
  digests: readonly string[],
  parsed: readonly User[],
  printUser: (user: User) => string,
  tag: string,
): { recorded: RecordedUsers; entries: UserEntries; otherSpellings: string[] } {
  const spellingAt = (place: number) => base.names[place] ?? base.keys[place]!;
  // Each recorded place's first entry, and each parsed key's first parsed entry.
  const firstAt = new Int32Array(base.keys.length).fill(-1);
  const ownFirst = new Map<string, number>();
  // Per entry, its parsed user and that user's key (undefined for a recorded entry).
  const userAt: (User | undefined)[] = [];
  const ownKey: (string | undefined)[] = [];
  for (let e = 0, p = 0; e < places.length; e++) {
    const place = places[e]!;
    if (place >= 0) {
      if (firstAt[place]! < 0) firstAt[place] = e;
      userAt.push(undefined);
      ownKey.push(undefined);
      continue;
    }
    const user = parsed[p++]!;
    const key = user.username === '' ? undefined : usernameKey(user.username);
    userAt.push(user);
    ownKey.push(key);
    if (key !== undefined && !ownFirst.has(key)) ownFirst.set(key, e);
  }
  const parsedAt = (e: number) => userAt[e]!;
  // Where a parsed key is a recorded one too, the earlier entry is kept; the other is a duplicate.
  const spellingOf = (e: number): string => {
    const place = places[e]!;
    return place >= 0 ? spellingAt(place) : parsedAt(e).username;
  };
  const keptOf = new Map<string, number>();
  for (const [key, e] of ownFirst) {
    const place = recordedPlace(base, key);
    const hit = place < 0 ? -1 : firstAt[place]!;
    if (hit >= 0 && hit < e) continue;
    keptOf.set(key, e);
    if (hit >= 0) firstAt[place] = -1;
  }
  // The other spellings, in list order: every entry not kept whose spelling is not its key's kept one.
  const otherSpellings: string[] = [];
  const keptEntry = (key: string): number => {
    const own = keptOf.get(key);
    if (own !== undefined) return own;
    const place = recordedPlace(base, key);
    return place < 0 ? -1 : firstAt[place]!;
  };
  for (let e = 0; e < places.length; e++) {
    const place = places[e]!;
    const key = place >= 0 ? base.keys[place]! : ownKey[e];
    if (key === undefined) continue;
    // Only keys given more than once can have a duplicate: a recorded place twice, or a parsed key.
    if (place >= 0 && firstAt[place] === e && !ownFirst.has(key)) continue;
    const kept = keptEntry(key);
    if (kept === e || kept < 0) continue;
    const spelling = spellingOf(e);
    if (spelling !== spellingOf(kept) && !otherSpellings.includes(spelling)) otherSpellings.push(spelling);
  }
  // The kept users in key order: the recorded places in order, the parsed keys sorted, merged.
  const own = [...keptOf.keys()].sort();
  const keys: string[] = [];
  const names: (string | null)[] = [];
  const prints = new Map<string, string>();
  const verified: (boolean | null)[] = [];
  const kept: string[] = [];
  const mine = new Map<string, User>();
  const takeRecorded = (place: number) => {
    const key = base.keys[place]!;
    keys.push(key);
    names.push(base.names[place] ?? null);
    prints.set(key, base.prints.get(key)!);
    verified.push(base.verified[place] ?? null);
    kept.push(digests[firstAt[place]!]!);
  };
  const takeParsed = (key: string) => {
    const e = keptOf.get(key)!;
    const user = parsedAt(e);
    keys.push(key);
    names.push(user.username === key ? null : user.username);
    prints.set(key, printUser(user));
    verified.push(user.verified);
    kept.push(digests[e]!);
    mine.set(key, user);
  };
  let o = 0;
  for (let place = 0; place < base.keys.length; place++) {
    if (firstAt[place]! < 0) continue;
    const key = base.keys[place]!;
    while (o < own.length && own[o]! < key) takeParsed(own[o++]!);
    takeRecorded(place);
  }
  while (o < own.length) takeParsed(own[o++]!);
  return {
    recorded: { keys, names, prints, verified, base, parsed: mine },
    entries: { tag, keys: userKeysDigest(keys), digests: kept },
    otherSpellings,
  };
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
  entryKey?: Buffer,
): BodyStream<NormalisedUsers> {
  const users: User[] = [];
  const tag = entryKey === undefined ? undefined : userEntriesTag(entryKey, version);
  // Each user's bytes' digest in list order (with a key), and where a recorded user's they are its place.
  const digests: string[] = [];
  const hits: number[] = [];
  let places: Map<string, number> | null = null;
  const scanner = usersScanner(
    users,
    entryKey === undefined
      ? undefined
      : (bytes) => {
          const digest = entryDigest(entryKey, bytes);
          const place = places?.get(digest) ?? -1;
          digests.push(digest);
          hits.push(place);
          return place >= 0;
        },
  );
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
      let base: RecordedUsers | null = null;
      if (known !== undefined) {
        if (digest === known.digest) {
          const recorded = known.load();
          if (recorded !== null) return lazyUsers(kept, digest, recorded);
        } else if (known.printUser !== undefined && tag !== undefined) {
          // Other bytes: those of each user that are a recorded user's are not parsed (a patched list).
          const entries = known.entries?.() ?? null;
          const recorded = entries?.tag === tag ? known.load() : null;
          places = entries && recorded && entryPlaces(entries, recorded);
          if (places) base = recorded;
        }
        for (const chunk of kept) scanner.push(chunk);
        if (base === null) kept.length = 0;
      }
      if (!scanner.end()) return null;
      if (base !== null && known?.printUser !== undefined && tag !== undefined) {
        const patched = patchedFacts(base, hits, digests, users, known.printUser, tag);
        return lazyUsers(kept, digest, patched.recorded, patched);
      }
      const read = keyUsers(users);
      if (tag === undefined) {
        describeUserList(read, { digest, recorded: null });
        return read;
      }
      // Each kept user's bytes' digest, in key order: the next poll's patched list reads them.
      const digestOf = new Map<User, string>();
      for (let u = 0; u < users.length; u++) digestOf.set(users[u]!, digests[u]!);
      const entries = {
        tag,
        keys: userKeysDigest(read.users.map((u) => usernameKey(u.username))),
        digests: read.users.map((u) => digestOf.get(u)!),
      };
      describeUserList(read, { digest, recorded: null, entries });
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
  entryKey?: Buffer,
): FastSchema<NormalisedUsers> {
  return {
    stream: () => streamUserList(known, version, entryKey),
    fast: readUserListFast,
    schema: userListNormalised,
  };
}

/** The reader with no known digest: every body is parsed. */
export const userListReader: FastSchema<NormalisedUsers> = userListReaderOf();

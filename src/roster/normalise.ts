/**
 * Builds rosters whose invariants every other module relies on: trimmed strings, users unique by
 * case-insensitive username, memberships only between known users and teams, everything sorted.
 */
import {
  type CoverageUser,
  type Membership,
  type Roster,
  type Team,
  type User,
  usernameKey,
} from './types.js';
import { wellFormed } from './well-formed.js';

export interface RawUser {
  username: string;
  firstName?: string | null | undefined;
  lastName?: string | null | undefined;
  displayName?: string | null | undefined;
  email?: string | null | undefined;
  createdAt?: string | null | undefined;
  passwordLastUpdated?: string | null | undefined;
  verified?: boolean | null | undefined;
}

function text(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const trimmed = wellFormed(value.trim());
  return trimmed === '' ? null : trimmed;
}

// A change to what this gives for the same input must bump USER_LIST_READER_VERSION
// (victorops/user-list-reader.ts): the store trusts a recorded user list by its bytes' digest.
export function normaliseUser(raw: RawUser): User {
  return {
    username: wellFormed(raw.username.trim()),
    firstName: text(raw.firstName),
    lastName: text(raw.lastName),
    displayName: text(raw.displayName),
    email: text(raw.email),
    createdAt: text(raw.createdAt),
    passwordLastUpdated: text(raw.passwordLastUpdated),
    verified: raw.verified ?? null,
  };
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function membershipKey(m: Membership): string {
  return `${usernameKey(m.username)}\u0000${m.teamSlug}`;
}

/**
 * compareText(membershipKey(a), membershipKey(b)), without building the two key strings where the
 * user keys settle it: equal, the slugs decide; differing before either ends, they decide as the
 * keys would. Only when one user key is a prefix of the other (the separator then meets a
 * character of the longer) are the keys built. Checking the order of 60,000 recorded memberships
 * built 120,000 key strings on every poll.
 */
export function compareMemberships(a: Membership, b: Membership): number {
  if (a.username === b.username) return compareText(a.teamSlug, b.teamSlug);
  const ascii = compareAsciiKeys(a.username, b.username);
  if (ascii !== undefined) return ascii === 0 ? compareText(a.teamSlug, b.teamSlug) : ascii;
  const x = usernameKey(a.username);
  const y = usernameKey(b.username);
  if (x === y) return compareText(a.teamSlug, b.teamSlug);
  if (!x.startsWith(y) && !y.startsWith(x)) return compareText(x, y);
  return compareText(membershipKey(a), membershipKey(b));
}

/**
 * compareText(usernameKey(p), usernameKey(q)) read off the names, without lower-casing them (each
 * lower-casing is a new string: the walks and sorts of a changed poll's 60,000 memberships made
 * 10 MiB of them, issue 21, thirty-fourth part), where that is sure: up to where they differ, both
 * are ASCII, which lower-cases letter by letter (A-Z alone change). Undefined where it is not sure:
 * a character beyond ASCII comes first, or one name is a prefix of the other (compareMemberships
 * then needs the separator that follows the shorter key).
 */
function compareAsciiKeys(p: string, q: string): number | undefined {
  const n = Math.min(p.length, q.length);
  for (let i = 0; i < n; i++) {
    let c = p.charCodeAt(i);
    let d = q.charCodeAt(i);
    if (c > 0x7f || d > 0x7f) return undefined;
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (d >= 0x41 && d <= 0x5a) d += 0x20;
    if (c !== d) return c < d ? -1 : 1;
  }
  return p.length === q.length ? 0 : undefined;
}

/**
 * The users of a roster: normalised, the empty usernames dropped, unique by case-insensitive
 * username (the first occurrence kept), sorted by that key, and looked up by it.
 */
export interface NormalisedUsers {
  readonly users: User[];
  readonly byKey: ReadonlyMap<string, User>;
  /**
   * Spellings of a kept user's name that the list also gave for another entry (`Alice` kept,
   * `alice` dropped as its duplicate), in list order. Read by the by-user membership strategy,
   * which asks for each spelling's teams as the list gave them, so a duplicate's teams are not
   * lost (they would then read as removed).
   */
  readonly otherSpellings: readonly string[];
}

/**
 * What the store records of the users a user list's bytes gave when they were last recorded
 * (store/user-list-digest.ts): while the bytes are the same, these are the users' facts that an
 * unchanged poll needs, without parsing the list again.
 */
export interface RecordedUsers {
  /** The users' keys (`usernameKey`), in `NormalisedUsers.users` order. */
  readonly keys: readonly string[];
  /**
   * Each key's spelling (the kept user's username), in the same order; null where it is the key
   * itself (most usernames are lower case: 20,000 strings the read need not make).
   */
  readonly names: readonly (string | null)[];
  /** Each key's user fingerprint (roster/fingerprint.ts), in key order. */
  readonly prints: ReadonlyMap<string, string>;
  /** Each key's `verified`, in the same order: with the spellings, all coverage findings read of a user. */
  readonly verified: readonly (boolean | null)[];
  /**
   * Set when these are the facts of a list whose bytes were not all the recorded ones (a patched
   * list, victorops/user-list-reader.ts): the recorded users they were patched from (read from
   * the store as a known list's are), and the users parsed from the entries whose bytes were not
   * a recorded user's, by key. A key whose fingerprint differs from `base`'s is among them.
   */
  readonly base?: RecordedUsers;
  readonly parsed?: ReadonlyMap<string, User>;
}

/**
 * Users read only when something asks for them (`read`, which keeps what it read): a known list's,
 * parsed from its bytes, or the recorded users', read from the store. `otherSpellings`, when given,
 * answers that question without the read.
 */
export function usersReadOnDemand(
  read: () => NormalisedUsers,
  otherSpellings?: readonly string[],
): NormalisedUsers {
  return {
    get users() {
      return read().users;
    },
    get byKey() {
      return read().byKey;
    },
    get otherSpellings() {
      return otherSpellings ?? read().otherSpellings;
    },
  };
}

/** The recorded users as coverage findings read them, in the order of the users the list gives. */
export function recordedCoverageUsers(recorded: RecordedUsers): CoverageUser[] {
  return recorded.names.map((name, i) => ({
    username: name ?? (recorded.keys[i] as string),
    verified: recorded.verified[i] ?? null,
  }));
}

/** The recorded spelling of `key`, found among the sorted keys (a map of 20,000 would serve a few lookups). */
export function recordedSpelling(recorded: RecordedUsers, key: string): string | undefined {
  const place = recordedPlace(recorded, key);
  return place < 0 ? undefined : (recorded.names[place] ?? key);
}

/** The place of `key` among the recorded users' sorted keys (a binary search), or -1. */
export function recordedPlace(recorded: RecordedUsers, key: string): number {
  const { keys } = recorded;
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((keys[mid] as string) < key) low = mid + 1;
    else high = mid;
  }
  return keys[low] === key ? low : -1;
}

/** The store's word on the user list it recorded last: its bytes' digest, and its users on demand. */
export interface KnownUserList {
  readonly digest: string;
  /** The recorded users, read when the body's digest is the known one; null when the store no longer vouches for them. */
  load(): RecordedUsers | null;
  /**
   * The digests of the recorded users' own bytes (`UserEntries`), in `load()`'s key order, read
   * when the body's digest is not the known one; null when none are stored for the known list.
   */
  entries?(): UserEntries | null;
  /** A user's fingerprint (roster/fingerprint.ts, hashed as the store hashes it), for the users a patched list parses. */
  printUser?(user: User): string;
}

/**
 * The digest of each kept user's own bytes in a user list (its object, `{` to `}`), in the users'
 * key order, and the tag of the reader that took them (a reader whose users or fingerprints
 * differ for the same bytes has another tag: user-list-reader.ts).
 */
export interface UserEntries {
  readonly tag: string;
  /** A digest of the users' keys in order: the digests are another list's if it differs. */
  readonly keys: string;
  readonly digests: readonly string[];
}

/** What the user list's reader knew of a list's bytes: their digest, and the recorded users when they are the known ones. */
export interface UserListFacts {
  readonly digest: string;
  /** The users' facts without parsing them: the recorded ones (a known list), or patched from them (`RecordedUsers.base`). */
  readonly recorded: RecordedUsers | null;
  /** Each kept user's bytes' digest, when the reader took them (stored for the next poll's patched list). */
  readonly entries?: UserEntries;
}

// Kept beside the users and the roster built of them, not in them: a roster is compared, copied
// and stored as JSON (a held fetch), none of which should see or keep these.
const userListFacts = new WeakMap<object, UserListFacts>();

/** Tells what the reader knew of the bytes `users` (a NormalisedUsers or a Roster) were read from. */
export function describeUserList(users: object, facts: UserListFacts): void {
  userListFacts.set(users, facts);
}

/** What the reader knew of the bytes `users` (a NormalisedUsers or a Roster) came from, if it read them. */
export function factsOfUserList(users: object): UserListFacts | undefined {
  return userListFacts.get(users);
}

/** A roster's users known without parsing them: the known list they are read from, and its recorded facts. */
interface KnownUsersOf {
  readonly list: NormalisedUsers;
  readonly recorded: RecordedUsers;
  /**
   * One user by key without reading the whole list (undefined: not to be had so), for a diff of
   * two rosters' users by their facts (`diffKnownUsers`).
   */
  readonly userOf?: ((key: string) => User | undefined) | undefined;
}

// Beside the roster, not in it, as userListFacts: a roster is compared, copied and stored as JSON.
const knownUsersOf = new WeakMap<object, KnownUsersOf>();

/**
 * A roster whose users are those of a known user list (`list`, parsed only when its users are
 * read) with their recorded facts (`recorded`): `users` reads the list, so anything that needs the
 * users' fields gets the very users the list gives, while the poll's own steps (the counts, the
 * keys and spellings, the comparison of two rosters' users) take the facts and leave it unparsed.
 */
export function rosterWithKnownUsers(
  list: NormalisedUsers,
  recorded: RecordedUsers,
  rest: Pick<Roster, 'teams' | 'memberships'>,
  userOf?: (key: string) => User | undefined,
): Roster {
  const roster = {} as Roster;
  Object.defineProperty(roster, 'users', { get: () => list.users, enumerable: true });
  roster.teams = rest.teams;
  roster.memberships = rest.memberships;
  // A patched list's own parsed users are those a diff by facts asks for.
  const parsed = recorded.parsed;
  knownUsersOf.set(roster, {
    list,
    recorded,
    userOf: userOf ?? (parsed === undefined ? undefined : (key) => parsed.get(key)),
  });
  return roster;
}

/** `from`'s users (unparsed, if they are a known list's) with other teams and memberships. */
export function withUsersOf(from: Roster, rest: Pick<Roster, 'teams' | 'memberships'>): Roster {
  const known = knownUsersOf.get(from);
  return known === undefined
    ? { users: from.users, teams: rest.teams, memberships: rest.memberships }
    : rosterWithKnownUsers(known.list, known.recorded, rest, known.userOf);
}

/**
 * The users' part of a diff of two rosters whose users are both known by their facts (a patched
 * list's and the recorded users it was patched from), without reading either list: the keys are
 * walked in order and only those whose fingerprints differ are looked up (`userOf`). Null when
 * either roster's users are not known so, or a user it needs cannot be had so: the caller then
 * compares the users themselves. Equal fingerprints are equal users (a fingerprint hashes every
 * recorded field and the spelling), as the fingerprint read already relies on.
 */
export function diffKnownUsers(
  before: Roster,
  after: Roster,
): { removed: User[]; added: User[]; both: [User, User][] } | null {
  const b = knownUsersOf.get(before);
  const a = knownUsersOf.get(after);
  if (b?.userOf === undefined || a?.userOf === undefined) return null;
  const [bk, ak] = [b.recorded.keys, a.recorded.keys];
  const [bp, ap] = [b.recorded.prints, a.recorded.prints];
  const removed: User[] = [];
  const added: User[] = [];
  const both: [User, User][] = [];
  let i = 0;
  let j = 0;
  while (i < bk.length || j < ak.length) {
    const x = bk[i];
    const y = ak[j];
    if (y === undefined || (x !== undefined && x < y)) {
      const user = b.userOf(x!);
      if (user === undefined) return null;
      removed.push(user);
      i++;
    } else if (x === undefined || y < x) {
      const user = a.userOf(y);
      if (user === undefined) return null;
      added.push(user);
      j++;
    } else {
      const print = bp.get(x);
      if (print === undefined || print !== ap.get(y)) {
        const old = b.userOf(x);
        const now = a.userOf(y);
        if (old === undefined || now === undefined) return null;
        both.push([old, now]);
      }
      i++;
      j++;
    }
  }
  return { removed, added, both };
}

/** The recorded facts of a roster's users when they are a known list's (rosterWithKnownUsers). */
export function recordedUsersOf(roster: object): RecordedUsers | undefined {
  return knownUsersOf.get(roster)?.recorded;
}

/**
 * Whether two rosters have the very same users (the same array, or the same known list), without
 * parsing a known list: the comparison diffRosters and the fingerprints start with.
 */
export function sameUsers(a: Roster, b: Roster): boolean {
  if (a === b) return true;
  const x = knownUsersOf.get(a);
  const y = knownUsersOf.get(b);
  // Two known lists are the same list or not: reading `users` would parse them to say so.
  if (x !== undefined && y !== undefined) return x.list === y.list;
  return a.users === b.users;
}

/** How many users a roster has, without parsing a known list. */
export function userCount(roster: Roster): number {
  return knownUsersOf.get(roster)?.recorded.keys.length ?? roster.users.length;
}

/** Each user's username (the kept spelling), in the roster's order, without parsing a known list. */
export function usernamesOf(roster: Roster): readonly string[] {
  const recorded = knownUsersOf.get(roster)?.recorded;
  if (recorded === undefined) return roster.users.map((u) => u.username);
  return recorded.names.map((name, i) => name ?? recorded.keys[i]!);
}

/** How many of a roster's users' usernames pass `test`, without a copy of them or parsing a known list. */
export function countUsernames(roster: Roster, test: (username: string) => boolean): number {
  let count = 0;
  const recorded = knownUsersOf.get(roster)?.recorded;
  if (recorded !== undefined) {
    for (let i = 0; i < recorded.keys.length; i++) if (test(recorded.names[i] ?? recorded.keys[i]!)) count++;
  } else {
    const users = roster.users;
    for (let i = 0; i < users.length; i++) if (test(users[i]!.username)) count++;
  }
  return count;
}

/** Each user's key (usernameKey), in the roster's order, without parsing a known list. */
export function userKeysOf(roster: Roster): readonly string[] {
  return knownUsersOf.get(roster)?.recorded.keys ?? roster.users.map((u) => usernameKey(u.username));
}

/**
 * Users already normalised (`normaliseUser`), keyed and sorted as `NormalisedUsers` says. A
 * patched user list follows the same rule without the users it does not parse (`patchedFacts` in
 * victorops/user-list-reader.ts): a change here is a change there, and
 * test/unit/victorops/user-list-patched.test.ts holds the two equal.
 */
export function keyUsers(users: readonly User[]): NormalisedUsers {
  const byKey = new Map<string, User>();
  const otherSpellings: string[] = [];
  // Index loops here and in membershipsInUserOrder: a for-of's iterator results, made until the loop is
  // optimised, were MiBs of a one-shot CLI poll's garbage (issue 21, thirty-fourth part).
  for (let u = 0; u < users.length; u++) {
    const user = users[u]!;
    if (user.username === '') continue;
    const key = usernameKey(user.username);
    const kept = byKey.get(key);
    if (kept === undefined) byKey.set(key, user);
    else if (kept.username !== user.username && !otherSpellings.includes(user.username))
      otherSpellings.push(user.username);
  }
  // The keys are unique, so the default sort (UTF-16 code units) orders them as compareText does.
  const sorted: User[] = [];
  for (const key of [...byKey.keys()].sort()) sorted.push(byKey.get(key) as User);
  return { users: sorted, byKey, otherSpellings };
}

export function normaliseUsers(raw: readonly RawUser[]): NormalisedUsers {
  return keyUsers(raw.map(normaliseUser));
}

/**
 * Normalises a roster. Duplicate users keep the first occurrence; memberships that name an
 * unknown user or team are dropped (they appear when the org changes between two API calls) and
 * membership usernames take the user list's spelling. The users may come normalised already
 * (the user list's reader does it while it checks the response: see victorops/user-list-reader.ts).
 */
export function normaliseRoster(input: {
  users: RawUser[] | NormalisedUsers;
  teams: Team[];
  memberships: Membership[];
}): Roster {
  const teamsBySlug = new Map<string, Team>();
  for (const team of input.teams) {
    const slug = wellFormed(team.slug.trim());
    if (slug !== '' && !teamsBySlug.has(slug))
      teamsBySlug.set(slug, { slug, name: wellFormed(team.name.trim()) });
  }
  const teams = [...teamsBySlug.values()].sort((a, b) => compareText(a.slug, b.slug));
  const listed = Array.isArray(input.users) ? normaliseUsers(input.users) : (input.users as NormalisedUsers);
  const facts = factsOfUserList(listed);
  const recorded = facts?.recorded;
  if (recorded) {
    // The list's bytes are the recorded ones: its users are parsed only if something reads them,
    // and the memberships take the recorded spelling, which is the list's.
    const memberships =
      membershipsInUserOrder(
        input.memberships,
        recorded.keys.length,
        () => recordedPlaces(recorded),
        teamsBySlug,
      ) ?? membershipsByKey(input.memberships, (key) => recordedSpelling(recorded, key), teamsBySlug);
    const lazy = rosterWithKnownUsers(listed, recorded, { teams, memberships });
    describeUserList(lazy, facts);
    return lazy;
  }
  const { users, byKey: usersByKey } = listed;
  const roster: Roster = {
    users,
    teams,
    memberships:
      membershipsInUserOrder(
        input.memberships,
        users.length,
        () => userPlaces(users, usersByKey),
        teamsBySlug,
      ) ?? membershipsByKey(input.memberships, (key) => usersByKey.get(key)?.username, teamsBySlug),
  };
  if (facts) describeUserList(roster, facts);
  return roster;
}

/** The memberships of known users and teams, spelled as the user list does, unique, in key order. */
function membershipsByKey(
  input: readonly Membership[],
  spellingOf: (key: string) => string | undefined,
  teamsBySlug: ReadonlyMap<string, Team>,
): Membership[] {
  const memberships = new Map<string, Membership>();
  for (const m of input) {
    const username = spellingOf(usernameKey(m.username.trim()));
    const slug = wellFormed(m.teamSlug.trim());
    if (username === undefined || !teamsBySlug.has(slug)) continue;
    const membership = { username, teamSlug: slug };
    memberships.set(membershipKey(membership), membership);
  }
  return [...memberships.entries()].sort((a, b) => compareText(a[0], b[0])).map(([, m]) => m);
}

/**
 * Users sorted by key as the membership placement reads them: the spelling of the one at a place,
 * and the place of a key (-1: no such user; undefined: the placement cannot be trusted).
 */
interface PlacedUsers {
  spelling(place: number): string;
  placeOf(key: string): number | undefined;
}

/** The parsed users (sorted by key) as places; null when a key holds the separator (see membershipsInUserOrder). */
function userPlaces(users: readonly User[], usersByKey: ReadonlyMap<string, User>): PlacedUsers | null {
  const at = new Map<User, number>();
  for (let i = 0; i < users.length; i++) {
    const user = users[i]!;
    if (user.username.includes('\u0000')) return null;
    at.set(user, i);
  }
  return {
    spelling: (place) => users[place]!.username,
    placeOf: (key) => {
      const user = usersByKey.get(key);
      return user === undefined ? -1 : at.get(user);
    },
  };
}

/**
 * The recorded users of a known user list (sorted by key, as keyUsers sorts) as places, found by
 * recordedPlace's binary search of the keys; null when a key holds the separator.
 */
function recordedPlaces(recorded: RecordedUsers): PlacedUsers | null {
  const { keys, names } = recorded;
  for (let i = 0; i < keys.length; i++) if (keys[i]!.includes('\u0000')) return null;
  return {
    spelling: (place) => names[place] ?? keys[place]!,
    placeOf: (key) => recordedPlace(recorded, key),
  };
}

/**
 * membershipsByKey's result, without a key string per membership or a sort of them all: each
 * membership goes to its user's place among the users sorted by key, and each user's few are
 * sorted by slug. That is the key order because a key ends where the separator (`\u0000`) comes,
 * lower than any character, unless a key holds that character itself: then (`placed` gives null),
 * if a place cannot be trusted, or if the memberships are few (fewer than a quarter of the `count`
 * users: placing costs a pass over the users), null, and the caller takes
 * membershipsByKey. The changed poll's 489 member lists (60,000 memberships) spent 0.3-0.5 s in
 * the key strings and their sort; so did a poll whose user list was the known one (its users
 * unparsed, their recorded keys and spellings placed instead) until it came here too.
 */
function membershipsInUserOrder(
  input: readonly Membership[],
  count: number,
  placed: () => PlacedUsers | null,
  teamsBySlug: ReadonlyMap<string, Team>,
): Membership[] | null {
  // For a few memberships (a hinted poll reads a team or two) the keys are cheaper.
  if (input.length * 4 < count) return null;
  const users = placed();
  if (users === null) return null;
  const ofUser: (Membership[] | undefined)[] = new Array(count);
  // Each username comes once per team it is in, and each team's slug once per member, spelled
  // alike: the place a spelling resolves to (-1: no known user) and the last slug's check are
  // remembered, so the trims, the lower-casing and the lookups run once per spelling and per
  // team instead of once per membership (issue 21, twentieth part).
  const placeOf = new Map<string, number>();
  let lastSlug: string | undefined;
  let slug = '';
  let slugKnown = false;
  for (let k = 0; k < input.length; k++) {
    const m = input[k]!;
    if (m.teamSlug !== lastSlug) {
      lastSlug = m.teamSlug;
      slug = wellFormed(m.teamSlug.trim());
      slugKnown = teamsBySlug.has(slug);
    }
    if (!slugKnown) continue;
    let i = placeOf.get(m.username);
    if (i === undefined) {
      const place = users.placeOf(usernameKey(m.username.trim()));
      if (place === undefined) return null;
      placeOf.set(m.username, place);
      i = place;
    }
    if (i < 0) continue;
    const membership = { username: users.spelling(i), teamSlug: slug };
    const of = ofUser[i];
    if (of === undefined) ofUser[i] = [membership];
    else of.push(membership);
  }
  const memberships: Membership[] = [];
  for (let u = 0; u < ofUser.length; u++) {
    const of = ofUser[u];
    if (of === undefined) continue;
    if (of.length > 1) sortBySlug(of);
    // A membership given twice is kept once (its copies are alike).
    for (let k = 0; k < of.length; k++)
      if (k === 0 || of[k]!.teamSlug !== of[k - 1]!.teamSlug) memberships.push(of[k]!);
  }
  return memberships;
}

/**
 * A user's few memberships sorted by slug, in place: an insertion sort, which on a list already
 * in order (member lists are read team by team, in slug order) only checks it. Array#sort set up
 * its work arrays for each of a changed poll's 20,000 users: 13 MiB of garbage (issue 21,
 * thirty-fourth part). Equal slugs are copies alike, so their order does not matter.
 */
function sortBySlug(of: Membership[]): void {
  for (let k = 1; k < of.length; k++) {
    const m = of[k]!;
    let at = k;
    while (at > 0 && of[at - 1]!.teamSlug > m.teamSlug) {
      of[at] = of[at - 1]!;
      at--;
    }
    of[at] = m;
  }
}

/**
 * The known user list (issue 21): the digest of the `GET /v1/user` bytes whose users the latest
 * roster run left recorded, exactly as the reader gave them. While a poll's bytes have that digest
 * the reader does not parse them (victorops/user-list-reader.ts): their users' keys, spellings and
 * fingerprints are the current users' in the history. Like `roster_fingerprints_run`, the digest
 * names the run that stored it and is trusted only while that is the latest roster run, so any
 * run that did not vouch for it (an older build's, `accept`'s) ends it.
 *
 * Raw SQL like roster-fingerprints.ts: the poll's path.
 */
import { randomBytes } from 'node:crypto';
import {
  type KnownUserList,
  type RecordedUsers,
  sameUsers,
  type UserEntries,
  type UserListFacts,
} from '../roster/normalise.js';
import type { PollDecision } from '../roster/poll-decision.js';
import type { FetchedRoster } from '../roster/types.js';
import type { Store } from './db.js';
import { deleteMeta, readMeta, writeMeta } from './meta.js';
import { latestRosterRunId } from './runs.js';

const KEY = 'user_list_digest';
/**
 * The digests of the recorded users' own bytes (`UserEntries`): `<list digest> <tag> <digest of
 * the users' keys> <digests, comma-separated, in key order>`, valid while the list digest it names
 * is the known one (so a failed run that keeps the digest keeps these too, and any run that ends
 * the digest ends them).
 */
const ENTRIES_KEY = 'user_list_entries';

interface StoredDigest {
  runId: number;
  digest: string;
}

function storedDigest(store: Store): StoredDigest | null {
  const value = readMeta(store, KEY);
  if (value === null) return null;
  const at = value.indexOf(' ');
  const runId = Number(value.slice(0, at));
  return at > 0 && Number.isInteger(runId) ? { runId, digest: value.slice(at + 1) } : null;
}

/** The stored digest, if it names the latest roster run. */
function validDigest(store: Store): StoredDigest | null {
  const stored = storedDigest(store);
  return stored !== null && stored.runId === latestRosterRunId(store) ? stored : null;
}

/**
 * The known user list for the next fetch, or null when there is none to trust. Its users are read
 * when the fetched bytes prove to be the known ones, in one read that checks the digest is still
 * valid (another process may have recorded a run meanwhile).
 */
export function loadKnownUserList(store: Store): KnownUserList | null {
  const known = validDigest(store);
  if (known === null) return null;
  return {
    digest: known.digest,
    entries: () => storedEntries(store, known.digest),
    load: () =>
      store.sqlite.transaction(() => {
        const now = validDigest(store);
        return now?.runId === known.runId && now.digest === known.digest
          ? recordedUsers(store, known.runId)
          : null;
      })(),
  };
}

/** The stored digests of the known list's users' bytes, if they are of the list with `digest`. */
function storedEntries(store: Store, digest: string): UserEntries | null {
  const value = readMeta(store, ENTRIES_KEY);
  if (value === null || !value.startsWith(`${digest} `)) return null;
  const [tag, keys, list] = value.slice(digest.length + 1).split(' ');
  if (tag === undefined || keys === undefined || list === undefined) return null;
  return { tag, keys, digests: list === '' ? [] : list.split(',') };
}

const ENTRY_KEY = 'user_list_entries_key';

/**
 * The database's random key for its users' bytes' digests (user-list-reader.ts `entryDigest`),
 * made the first time it is asked for: nobody outside the database can compute a digest with it,
 * so nobody can craft bytes whose digest is a recorded user's. Deleting it only makes the next
 * changed poll parse the whole list (a new key, a new tag).
 */
export function loadUserEntryKey(store: Store): Buffer {
  let key = readMeta(store, ENTRY_KEY);
  if (key === null) {
    // Two processes asking at once keep the first key written.
    store.sqlite
      .prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING')
      .run(ENTRY_KEY, randomBytes(16).toString('hex'));
    key = readMeta(store, ENTRY_KEY) ?? '';
  }
  return Buffer.from(key, 'hex');
}

// The roster run whose current users each read gave: they are the current users for as long as
// it is the latest roster run, since only a roster run writes `users`. Beside the read, not in it:
// RecordedUsers is the roster's type, and one not read here (a test's) is never taken as current.
// The store is kept too: another database's latest roster run may bear the same id.
const readAtRun = new WeakMap<RecordedUsers, { store: Store; runId: number }>();

/**
 * Whether `recorded` are still the current users, as the same `users` rows: read by
 * loadKnownUserList's `load` and no roster run recorded since. Called inside the transaction that
 * relies on it (the poll's record step), so the answer holds for the whole of it.
 */
export function stillCurrentUsers(store: Store, recorded: RecordedUsers): boolean {
  const read = readAtRun.get(recorded);
  return read !== undefined && read.store === store && read.runId === latestRosterRunId(store);
}

/** The expressions read of the current users: written into the SQL, so only these. */
export type CurrentUserColumn =
  | 'username_key'
  | 'NULLIF(username COLLATE BINARY, username_key)'
  | 'fingerprint'
  | 'verified';

/**
 * Columns of the current users (SQL expressions of `users`), each a flat array in username_key
 * order, read in one transaction. A column a statement, rather than a row array per user: 20,000
 * row arrays cost more than four scans of the index (an unchanged poll's read of the known users
 * took ~50 ms CPU as rows, ~28 ms as columns, with the CLI's V8 flags). The order comes from the
 * unique index of current users, not from a sort.
 */
export function currentUserColumns(store: Store, columns: readonly CurrentUserColumn[]): unknown[][] {
  const db = store.sqlite;
  return db.transaction(() =>
    columns.map((column) =>
      db
        .prepare(
          `SELECT ${column} FROM users INDEXED BY users_current_uq WHERE valid_to IS NULL ORDER BY username_key`,
        )
        .pluck()
        .all(),
    ),
  )();
}

/** The current users' keys (in keyUsers' order), spellings, fingerprints and `verified`; null if one has no fingerprint. */
function recordedUsers(store: Store, runId: number): RecordedUsers | null {
  const columns = currentUserColumns(store, [
    'username_key',
    'NULLIF(username COLLATE BINARY, username_key)',
    'fingerprint',
    'verified',
  ]) as [string[], (string | null)[], (string | null)[], (number | null)[]];
  let [keys, names, fingerprints, verifiedAt] = columns;
  // SQL orders TEXT by its UTF-8 bytes, keyUsers by UTF-16 code units: they differ only past the
  // BMP's surrogates, so the columns are sorted again only when they are not in keyUsers' order.
  let ordered = true;
  for (let i = 1; i < keys.length && ordered; i++) ordered = keys[i - 1]! < keys[i]!;
  if (!ordered) {
    const at = keys.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
    [keys, names, fingerprints, verifiedAt] = [
      at.map((i) => keys[i]!),
      at.map((i) => names[i] ?? null),
      at.map((i) => fingerprints[i] ?? null),
      at.map((i) => verifiedAt[i] ?? null),
    ];
  }
  const prints = new Map<string, string>();
  const verified: (boolean | null)[] = [];
  for (let i = 0; i < keys.length; i++) {
    const fingerprint = fingerprints[i];
    if (fingerprint === null || fingerprint === undefined) return null;
    prints.set(keys[i]!, fingerprint);
    const isVerified = verifiedAt[i];
    verified.push(isVerified === null || isVerified === undefined ? null : isVerified === 1);
  }
  const recorded = { keys, names, prints, verified };
  readAtRun.set(recorded, { store, runId });
  return recorded;
}

/**
 * What a roster run does to the known digest, in its transaction: `digest` when the users it
 * leaves recorded are exactly those the bytes with that digest gave; `keep` when it left the
 * history as it was (a failed run: the digest stays as valid as it was); `forget` otherwise.
 */
export type UserListDigestAction = { digest: string; entries?: UserEntries | undefined } | 'keep' | 'forget';

/** Ends the store's word on the known user list, outside any run (poll-cycle: bytes it vouched for proved unreadable). */
export function forgetUserListDigest(store: Store): void {
  deleteMeta(store, KEY);
  deleteMeta(store, ENTRIES_KEY);
}

/** The action for a run that records the users of the list `facts` describes (their digest and their bytes' digests). */
export function vouchFor(facts: UserListFacts): UserListDigestAction {
  return { digest: facts.digest, ...(facts.entries ? { entries: facts.entries } : {}) };
}

export function saveUserListDigest(store: Store, runId: number, action: UserListDigestAction): void {
  let digest: string;
  if (action === 'forget') {
    forgetUserListDigest(store);
    return;
  }
  if (action !== 'keep') {
    if (action.entries !== undefined) {
      const { tag, keys, digests } = action.entries;
      writeMeta(store, ENTRIES_KEY, `${action.digest} ${tag} ${keys} ${digests.join(',')}`);
    } else {
      // Bytes read as the known list's took no digests of their own: those stored stay while theirs.
      store.sqlite
        .prepare('DELETE FROM meta WHERE key = ? AND substr(value, 1, ?) <> ?')
        .run(ENTRIES_KEY, action.digest.length + 1, `${action.digest} `);
    }
  }
  if (action === 'keep') {
    const stored = storedDigest(store);
    // Valid before this run: it named the run before it.
    if (stored === null || stored.runId !== latestRosterRunId(store, runId)) return;
    digest = stored.digest;
  } else {
    digest = action.digest;
  }
  writeMeta(store, KEY, `${runId} ${digest}`);
}

/**
 * What the full path's run does to the known user list: it vouches for the fetched bytes only when
 * the users it leaves recorded are the very ones they gave; a failed run left the history as it
 * was; anything else (a hold, `accept`, other users recorded, bytes the reader did not hash) ends it.
 */
export function userListDigestAction(
  decision: PollDecision,
  fetched: FetchedRoster | null,
  facts: UserListFacts | undefined,
  accept: boolean,
): UserListDigestAction {
  if (decision.status === 'failed' && decision.apply === null) return 'keep';
  if (accept || decision.status === 'held' || !fetched || !facts || !decision.recorded) return 'forget';
  const same = sameUsers(decision.recorded, fetched.roster);
  return same ? vouchFor(facts) : 'forget';
}

/**
 * The patched user list (issue 21): when a poll's user list is not the known one as a whole, the
 * users whose own bytes are a recorded user's are not parsed; their facts come from the recorded
 * ones and only the others are parsed. Whatever the edit (users changed, added, removed, moved,
 * given twice, spelled in another case, emptied), the patched facts are exactly those the eager
 * read of the same bytes gives, the other spellings too, and the users read on demand are the
 * eager read's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { userFingerprintText } from '../../../src/roster/fingerprint.js';
import {
  factsOfUserList,
  type NormalisedUsers,
  type RecordedUsers,
  type UserEntries,
} from '../../../src/roster/normalise.js';
import { type User, usernameKey } from '../../../src/roster/types.js';
import type { BodyStream } from '../../../src/victorops/client.js';
import { streamUserList, userEntriesTag } from '../../../src/victorops/user-list-reader.js';
import { userListChunks } from '../../helpers/user-list-chunks.js';

const printUser = (u: User) => userFingerprintText(u);
/** The database's key for its users' bytes' digests (store/user-list-digest.ts): any 16 bytes. */
const KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const eagerRead = () => streamUserList(undefined, undefined, KEY);

/** Few usernames that collide by case, so duplicates, other spellings and respellings all occur. */
const user = fc.record(
  {
    username: fc.constantFrom('ann', 'Ann', ' ann ', 'bob', 'BOB', 'Søren', 'ß', 'x', 'y', 'z', '  '),
    email: fc.option(fc.constantFrom('a@x.io', ' b@x.io ', ''), { nil: null }),
    verified: fc.option(fc.boolean(), { nil: null }),
  },
  { requiredKeys: ['username'] },
);
const list = fc.array(fc.oneof(user, fc.array(user, { maxLength: 3 })), { maxLength: 10 });

function read(stream: BodyStream<NormalisedUsers>, chunks: readonly Buffer[]): NormalisedUsers {
  for (const chunk of chunks) stream.push(chunk);
  const users = stream.end();
  expect(users).not.toBeNull();
  return users as NormalisedUsers;
}

/** What the store records of an eager read: the kept users' facts, and their bytes' digests. */
function recordedOf(users: NormalisedUsers): { recorded: RecordedUsers; entries: UserEntries } {
  const keys = users.users.map((u) => usernameKey(u.username));
  const entries = factsOfUserList(users)?.entries;
  expect(entries?.digests).toHaveLength(keys.length);
  return {
    recorded: {
      keys,
      names: users.users.map((u, i) => (u.username === keys[i] ? null : u.username)),
      prints: new Map(users.users.map((u, i) => [keys[i]!, printUser(u)])),
      verified: users.users.map((u) => u.verified),
    },
    entries: entries as UserEntries,
  };
}

describe('the patched user list', () => {
  it('gives the eager read’s facts, other spellings and users for any edit of a recorded list (property)', () => {
    fc.assert(
      fc.property(list, list, fc.array(fc.nat(), { maxLength: 3 }), (before, after, cuts) => {
        const old = read(eagerRead(), userListChunks(before, []));
        const { recorded, entries } = recordedOf(old);
        // The new list: the old entries in another order, some kept as they were, plus new ones.
        const next = [...after.slice(0, 5), ...before.slice().reverse(), ...after.slice(5)];
        const chunks = userListChunks(next, cuts);
        const eager = read(eagerRead(), chunks);
        const patched = read(
          streamUserList(
            { digest: 'not these bytes', load: () => recorded, entries: () => entries, printUser },
            undefined,
            KEY,
          ),
          chunks,
        );
        const facts = factsOfUserList(patched)?.recorded;
        expect(facts?.base).toBe(recorded);
        const want = recordedOf(eager);
        expect(facts?.keys).toEqual(want.recorded.keys);
        expect(facts?.names).toEqual(want.recorded.names);
        expect([...(facts?.prints ?? [])]).toEqual([...want.recorded.prints]);
        expect(facts?.verified).toEqual(want.recorded.verified);
        // The digests stored for the next poll are the eager read's.
        expect(factsOfUserList(patched)?.entries).toEqual(want.entries);
        expect(patched.otherSpellings).toEqual(eager.otherSpellings);
        // A key whose fingerprint is not the recorded one was parsed, and is the eager read's user.
        for (const [key, print] of facts?.prints ?? []) {
          if (recorded.prints.get(key) !== print)
            expect(facts?.parsed?.get(key)).toEqual(eager.byKey.get(key));
        }
        expect(patched.users).toEqual(eager.users);
      }),
      { numRuns: 300 },
    );
  });

  it('parses only the users whose bytes are not a recorded user’s', () => {
    const users = Array.from({ length: 50 }, (_, i) => ({ username: `u${i}`, email: `u${i}@x.io` }));
    const old = read(eagerRead(), userListChunks(users, []));
    const { recorded, entries } = recordedOf(old);
    const next = users.map((u, i) => (i === 7 ? { ...u, email: 'new@x.io' } : u));
    const patched = read(
      streamUserList(
        { digest: 'other', load: () => recorded, entries: () => entries, printUser },
        undefined,
        KEY,
      ),
      userListChunks(next, [100, 900]),
    );
    const facts = factsOfUserList(patched)?.recorded;
    expect([...(facts?.parsed?.keys() ?? [])]).toEqual(['u7']);
    expect(facts?.prints.get('u7')).not.toBe(recorded.prints.get('u7'));
    expect(facts?.prints.get('u8')).toBe(recorded.prints.get('u8'));
  });

  it('parses every user when the stored digests are another reader’s or key’s, or not of these users', () => {
    const users = Array.from({ length: 5 }, (_, i) => ({ username: `u${i}` }));
    const old = read(eagerRead(), userListChunks(users, []));
    const { recorded, entries } = recordedOf(old);
    const otherKey = Buffer.alloc(16, 7);
    // The same users' bytes again, the store offering `stored` and the poll holding `key`.
    const readWith = (stored: UserEntries, key: Buffer) =>
      read(
        streamUserList(
          { digest: 'other', load: () => recorded, entries: () => stored, printUser },
          undefined,
          key,
        ),
        userListChunks(users, []),
      );
    for (const [stored, key] of [
      [{ ...entries, tag: `${entries.tag}x` }, KEY],
      [{ ...entries, digests: entries.digests.slice(1) }, KEY],
      [{ ...entries, keys: 'taken of other users' }, KEY],
      [{ ...entries, tag: userEntriesTag(KEY, 1) }, KEY],
      // Another database's key: its tag is another, and so would be every digest.
      [entries, otherKey],
    ] as const) {
      const read2 = readWith(stored, key);
      expect(factsOfUserList(read2)?.recorded).toBeNull();
      expect(read2.users.map((u) => u.username)).toEqual(users.map((u) => u.username));
    }
    // The same key and row: patched (the cases above fail for their own reason).
    const same = readWith(entries, KEY);
    expect(factsOfUserList(same)?.recorded?.base).toBe(recorded);
  });

  it('takes no digests without a key (a fetch outside a poll), and a key’s digests are its own', () => {
    const users = [{ username: 'ann' }, { username: 'bob' }];
    expect(factsOfUserList(read(streamUserList(), userListChunks(users, [])))?.entries).toBeUndefined();
    const mine = factsOfUserList(read(eagerRead(), userListChunks(users, [])))?.entries;
    const theirs = factsOfUserList(
      read(streamUserList(undefined, undefined, Buffer.alloc(16, 1)), userListChunks(users, [])),
    )?.entries;
    expect(mine?.digests).toHaveLength(2);
    expect(theirs?.digests.some((d, i) => d === mine?.digests[i])).toBe(false);
  });
});

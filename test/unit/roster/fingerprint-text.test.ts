/**
 * The user fingerprint's text is stored (users' fingerprints, the user list digest's salt): a
 * cheaper way of building it must give every user the very text it gave before, or the store's
 * recorded fingerprints and trusted user list stop matching what a poll computes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { userFingerprintText } from '../../../src/roster/fingerprint.js';
import { USER_FIELDS, type User } from '../../../src/roster/types.js';
import { userListSalt } from '../../../src/victorops/user-list-reader.js';

/** The text as it was first defined (up to issue 21's thirty-fourth part): the reference. */
const referenceText = (u: User): string =>
  JSON.stringify([u.username, ...USER_FIELDS.map((field) => u[field])]);

// Any UTF-16 text (lone surrogates, quotes, control characters: JSON.stringify escapes them).
const text = fc.string({ unit: 'binary', maxLength: 12 });
const nullableText = fc.option(text, { nil: null });
const user: fc.Arbitrary<User> = fc.record({
  username: text,
  firstName: nullableText,
  lastName: nullableText,
  displayName: nullableText,
  email: nullableText,
  createdAt: nullableText,
  passwordLastUpdated: nullableText,
  verified: fc.option(fc.boolean(), { nil: null }),
});

describe('userFingerprintText', () => {
  it('gives every user the reference text (property)', () => {
    fc.assert(
      fc.property(user, (u) => {
        expect(userFingerprintText(u)).toBe(referenceText(u));
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves the user list digest’s salt as recorded digests were salted', () => {
    // Pinned from the build before the thirty-fourth part but for the reader's version, bumped
    // since (lone surrogates made well-formed): the sample's text, fingerprint and key are as
    // earlier builds salted them, so only the version ends their digests.
    expect(userListSalt()).toBe(
      [
        'roster-watch user list, reader 2',
        'firstName,lastName,displayName,email,createdAt,passwordLastUpdated,verified',
        '["Sample.User","Ann",null,null,"Ann@Example.org","2020-01-02T03:04:05Z",null,false]',
        'sample.user',
      ].join('\n'),
    );
  });
});

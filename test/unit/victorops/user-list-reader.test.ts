import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprintRoster } from '../../../src/roster/fingerprint.js';
import { normaliseRoster, normaliseUsers } from '../../../src/roster/normalise.js';
import { describeSchemaIssue, userListSchema } from '../../../src/victorops/schemas.js';
import { readUserListFast, userListReader } from '../../../src/victorops/user-list-reader.js';
import { readFixture } from '../../helpers/victorops-fixtures.js';

/** The reference: what the fetch did before the fast path (zod, then the normaliser). */
function throughZod(body: unknown) {
  const parsed = userListSchema.safeParse(body);
  return parsed.success ? normaliseUsers(parsed.data) : null;
}

const TEXT_FIELDS = ['firstName', 'lastName', 'displayName', 'email', 'createdAt', 'passwordLastUpdated'];

/** Strings the API may send and the normaliser treats specially: blanks, padding, case, non-ASCII. */
const oddText = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\t\n',
    ' Jane ',
    'Søren Ødegård',
    'JANE.DOE',
    'jane.doe',
    'invited_x',
    '\u00a0x\u2028',
  ),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
);
/** A few distinct usernames in several spellings, so duplicates by case and by padding occur. */
const username = fc.oneof(
  fc.constantFrom(
    'jane.doe',
    'Jane.Doe',
    ' jane.doe ',
    'soren+oncall',
    'invited_kai.lee_8f3a',
    ' ',
    'İ',
    'ß',
  ),
  fc.string({ minLength: 1, maxLength: 5 }),
);
const wrongType = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant({}),
  fc.constant([]),
  fc.constant(['x']),
  fc.constant({ username: 'x' }),
);

const validUser = fc
  .record(
    {
      username,
      ...Object.fromEntries(TEXT_FIELDS.map((f) => [f, fc.option(oddText, { nil: null })])),
      verified: fc.option(fc.boolean(), { nil: null }),
      _selfUrl: fc.constant('/api-public/v1/user/x'),
    },
    { requiredKeys: ['username'] },
  )
  .map((u) => u as Record<string, unknown>);

/** A user with one thing wrong or odd: a field missing, of another type, null, or an extra field. */
const mutatedUser = fc
  .tuple(
    validUser,
    fc.constantFrom('username', ...TEXT_FIELDS, 'verified', 'extra'),
    fc.oneof(wrongType, fc.constant(null), fc.constant(undefined), fc.constant('true'), fc.constant('')),
  )
  .map(([user, field, value]) => {
    const copy: Record<string, unknown> = { ...user };
    if (value === undefined) delete copy[field];
    else copy[field] = value;
    return copy as unknown;
  });

/** `users` as the API sends it: a flat list, a list of lists (v1), or both mixed. */
const entries = (user: fc.Arbitrary<unknown>) =>
  fc.array(fc.oneof(user, fc.array(user, { maxLength: 4 })), { maxLength: 8 });

const validBody = fc
  .tuple(entries(validUser), fc.option(fc.constant('/api-public/v1/user'), { nil: undefined }))
  .map(([users, selfUrl]) => (selfUrl === undefined ? { users } : { _selfUrl: selfUrl, users }));

const anyUser = fc.oneof(
  mutatedUser,
  wrongType,
  fc.constant(null),
  fc.constant([[{ username: 'x' }]]),
  fc.constant([{ username: 'x' }, 7]),
);
/** A valid body with one entry replaced by a mutated user or a wrong value, flat or inside a nested list. */
const mutatedBody = fc
  .tuple(entries(validUser), anyUser, fc.nat(), fc.boolean())
  .map(([users, odd, at, nested]) => {
    const copy = [...users];
    copy.splice(at % (copy.length + 1), 0, nested ? [odd] : odd);
    return { users: copy };
  });
const anyBody = fc.oneof(
  validBody,
  mutatedBody,
  fc.oneof(wrongType, fc.constant(null), fc.constant('{"users":[]}')).map((users) => ({ users })),
  fc.constant({}),
  fc.constant(null),
  fc.constant([]),
  fc.constant('users'),
);

describe('the user list fast path', () => {
  it('accepts every valid body, with exactly what zod and the normaliser give', () => {
    fc.assert(
      fc.property(validBody, (body) => {
        const fast = readUserListFast(body);
        expect(fast).not.toBeNull();
        expect(fast).toStrictEqual(throughZod(body));
      }),
      { numRuns: 500 },
    );
  });

  it('whenever it accepts a body (valid, mutated or wrong), zod accepts it and the results are equal', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(anyBody, (body) => {
        const fast = readUserListFast(body);
        if (fast === null) {
          refused++;
          return;
        }
        accepted++;
        const reference = throughZod(body);
        expect(reference).not.toBeNull();
        expect(fast).toStrictEqual(reference);
        // Same users in the same order, field by field: so the same fingerprints (checked below too).
        expect(JSON.stringify(fast.users)).toBe(JSON.stringify(reference?.users));
      }),
      { numRuns: 1500 },
    );
    // The generator reaches both sides.
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });

  it('the fingerprints of a roster built from either path are byte-identical', () => {
    const hash = (text: string) => text;
    fc.assert(
      fc.property(validBody, (body) => {
        const fast = readUserListFast(body);
        const parsed = userListSchema.parse(body);
        const teams = [{ slug: 'team-a', name: 'A' }];
        const memberships = parsed.map((u) => ({ username: u.username, teamSlug: 'team-a' }));
        const before = normaliseRoster({ users: parsed, teams, memberships });
        const after = normaliseRoster({ users: fast ?? [], teams, memberships });
        expect(after).toStrictEqual(before);
        expect(fingerprintRoster(after, hash)).toStrictEqual(fingerprintRoster(before, hash));
      }),
      { numRuns: 300 },
    );
  });

  it('the real fixture (test/fixtures/victorops/v1-user.json, nested lists) gives the same users through both paths', () => {
    const body = readFixture('v1-user.json');
    const fast = readUserListFast(body);
    expect(fast?.users.map((u) => u.username)).toEqual(['invited_kai.lee_8f3a', 'jane.doe', 'soren+oncall']);
    expect(fast).toStrictEqual(throughZod(body));
  });

  it('leaves a body it does not recognise to zod, whose error is reported as before', () => {
    const body = { users: [[{ username: 'jane.doe' }], { username: 7 }] };
    expect(readUserListFast(body)).toBeNull();
    const parsed = userListReader.schema.safeParse(body);
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(describeSchemaIssue(parsed.error)).toMatch(/^users\[1\]/);
  });
});

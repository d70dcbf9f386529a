/**
 * The user list read as it arrives (user-list-scanner.ts through streamUserList) against the
 * reference, the whole body parsed as the client did before: JSON.parse, then readUserListFast,
 * else zod and the normaliser. Whatever the chunking, the streamed read either gives exactly the
 * reference's users or gives up (null), and it gives up on everything the reference rejects.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseUsers } from '../../../src/roster/normalise.js';
import { userListSchema } from '../../../src/victorops/schemas.js';
import { readUserListFast, streamUserList } from '../../../src/victorops/user-list-reader.js';
import { createUserListScanner } from '../../../src/victorops/user-list-scanner.js';

/** What the client gave for a whole body before the stream: the users, or null for any error. */
function reference(text: string) {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const fast = readUserListFast(json);
  if (fast !== null) return fast;
  const parsed = userListSchema.safeParse(json);
  return parsed.success ? normaliseUsers(parsed.data) : null;
}

/** The body's bytes cut at `cuts` (byte offsets, any order, out of range ones ignored), streamed. */
function streamed(bytes: Buffer, cuts: readonly number[] = []) {
  const at = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  const stream = streamUserList();
  let from = 0;
  for (const cut of [...at, bytes.length]) {
    stream.push(bytes.subarray(from, cut));
    from = cut;
  }
  return stream.end();
}

const fixture = readFileSync(
  resolve(import.meta.dirname, '..', '..', 'fixtures', 'victorops', 'v1-user.json'),
);

/** Text with what a scanner could trip on: quotes, backslashes, braces, brackets, commas, non-ASCII. */
const trickyText = fc.oneof(
  fc.constantFrom(
    '',
    'Søren Ødegård',
    '{"users":[',
    '}]},{',
    'a\\"b',
    '\\',
    '"',
    '\u0000\u001f',
    '😀 ✓ 中文',
    '\ud83d',
    'line\nbreak\ttab',
    '\u2028\u2029',
  ),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', '\\', ',', ':', 'é', '😀', ' '), maxLength: 8 }),
);

const user = fc.record(
  {
    username: fc.oneof(fc.constantFrom('jane.doe', 'Jane.Doe', 'soren+oncall', ' x '), trickyText),
    firstName: fc.option(trickyText, { nil: null }),
    lastName: trickyText,
    displayName: trickyText,
    email: fc.option(trickyText, { nil: null }),
    createdAt: fc.constant('2019-04-02T17:31:43Z'),
    verified: fc.option(fc.boolean(), { nil: null }),
    _selfUrl: trickyText,
    extra: fc.oneof(fc.constant({ a: ['}', { b: '[' }] }), fc.constant([1, [2, { c: null }]]), fc.double()),
  },
  { requiredKeys: ['username'] },
);

/** `users` flat, nested (as v1 sends it) or mixed, with other top-level keys before and after. */
const body = fc.record(
  {
    _selfUrl: fc.constant('/api-public/v1/user'),
    users: fc.array(fc.oneof(user, fc.array(user, { maxLength: 4 })), { maxLength: 8 }),
    after: fc.oneof(
      fc.constant(null),
      fc.constant(true),
      fc.integer(),
      fc.constant({ users: 'x' }),
      trickyText,
    ),
  },
  { requiredKeys: ['users'] },
);

/** Every character escaped as `\uXXXX`, as a server may send it. */
function escapeAll(text: string): string {
  return `"${[...text].map((ch) => [...ch].map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')).join('')}"`;
}

/** The body serialised compactly, indented, or with every string's characters escaped. */
function serialise(value: unknown, style: 'compact' | 'indented' | 'escaped'): string {
  if (style === 'compact') return JSON.stringify(value);
  if (style === 'indented') return JSON.stringify(value, null, '\t \r\n'.slice(0, 3));
  return JSON.stringify(value, (_key, inner) => inner).replace(/"(?:[^"\\]|\\.)*"/g, (quoted) =>
    escapeAll(JSON.parse(quoted) as string),
  );
}

const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe('the user list streamed', () => {
  it('reads the real fixture (nested users) into what the whole-body parse gives, cut at every byte', () => {
    const whole = reference(fixture.toString('utf8'));
    expect(whole?.users.map((u) => u.username)).toEqual(['invited_kai.lee_8f3a', 'jane.doe', 'soren+oncall']);
    for (let cut = 0; cut <= fixture.length; cut++) {
      expect(streamed(fixture, [cut])).toStrictEqual(whole);
    }
    // One byte at a time: every multi-byte character (ø, Ø) split across chunks.
    expect(
      streamed(
        fixture,
        Array.from({ length: fixture.length }, (_, i) => i),
      ),
    ).toStrictEqual(whole);
  });

  it('gives exactly the whole-body result for random lists, serialisations and chunkings', () => {
    fc.assert(
      fc.property(body, fc.constantFrom('compact', 'indented', 'escaped'), cuts, (value, style, at) => {
        const text = serialise(value, style as 'compact' | 'indented' | 'escaped');
        const bytes = Buffer.from(text, 'utf8');
        const whole = reference(text);
        const result = streamed(bytes, at);
        // A valid list with no refused user is streamed; one the fast path refuses is left to zod.
        expect(result).toStrictEqual(readUserListFast(JSON.parse(text)) === null ? null : whole);
      }),
      { numRuns: 600 },
    );
  });

  it('never accepts a body the whole-body parse rejects, and agrees whenever it accepts one', () => {
    const damage = fc.tuple(
      fc.constantFrom('cut', 'insert', 'replace', 'append'),
      fc.nat(),
      fc.constantFrom('{', '}', '[', ']', '"', '\\', ',', ':', 'x', ' ', '\u00a0', '\ufeff', '<', '0', 'é'),
    );
    let rejected = 0;
    let accepted = 0;
    fc.assert(
      fc.property(body, damage, cuts, (value, [how, where, what], at) => {
        const text = JSON.stringify(value);
        const i = where % (text.length + 1);
        const damaged =
          how === 'cut'
            ? text.slice(0, i)
            : how === 'insert'
              ? text.slice(0, i) + what + text.slice(i)
              : how === 'replace'
                ? text.slice(0, i) + what + text.slice(i + 1)
                : text + what;
        // The client decodes the bytes it received: a damaged surrogate pair arrives as U+FFFD.
        const bytes = Buffer.from(damaged, 'utf8');
        const whole = reference(bytes.toString('utf8'));
        if (whole === null) rejected++;
        const result = streamed(bytes, at);
        if (result === null) return;
        accepted++;
        expect(result).toStrictEqual(whole);
      }),
      { numRuns: 1500 },
    );
    // The damage reaches both sides: bodies broken, and bodies still valid (a space, a character in a string).
    expect(rejected).toBeGreaterThan(300);
    expect(accepted).toBeGreaterThan(100);
  });

  it.each([
    ['empty', ''],
    ['whitespace', ' \n'],
    ['an HTML page', '<html><body>502</body></html>'],
    ['a top-level array', '[{"username":"a"}]'],
    ['no users key', '{"_selfUrl":"/x"}'],
    ['users not an array', '{"users":{"username":"a"}}'],
    ['a user not an object', '{"users":[["a"]]}'],
    ['a list nested three deep', '{"users":[[[{"username":"a"}]]]}'],
    ['a user of the wrong shape', '{"users":[[{"username":7}]]}'],
    ['a second users key', '{"users":[{"username":"a"}],"users":[{"username":"b"}]}'],
    ['trailing bytes', '{"users":[{"username":"a"}]}x'],
    ['a missing comma', '{"users":[{"username":"a"}{"username":"b"}]}'],
    ['a trailing comma', '{"users":[{"username":"a"},]}'],
    ['an unterminated string', '{"users":[{"username":"a}]}'],
    ['a bad other value', '{"_selfUrl":tru,"users":[]}'],
    ['a byte-order mark', '\ufeff{"users":[]}'],
    ['no closing brace', '{"users":[{"username":"a"}]'],
  ])('gives up on %s (the whole-body parse reports it)', (_name, text) => {
    expect(streamed(Buffer.from(text, 'utf8'))).toBeNull();
  });

  it.each([
    // A chunk may end right after an odd run of backslashes: the quote the next chunk starts with is escaped.
    ['backslashes before quotes', '{"users":[{"username":"a\\\\"},{"username":"b\\"\\\\"}]}'],
    // Numbers in other top-level values, exponent in either case (JSON allows `E` as well as `e`).
    ['exponents in other values', '{"count":1E5,"users":[{"username":"a"}],"ratio":-2.5E-3,"small":4e+2}'],
  ])('streams %s, cut anywhere, to the whole-body result without giving up', (_name, text) => {
    const bytes = Buffer.from(text, 'utf8');
    const whole = reference(text);
    expect(whole).not.toBeNull();
    for (let cut = 0; cut <= bytes.length; cut++) {
      // Null would mean the stream gave up and the client parsed the whole body after all.
      expect(streamed(bytes, [cut]), `cut at byte ${cut}`).toStrictEqual(whole);
    }
  });

  it('reads a key spelt with escapes as the key it is, as JSON.parse does', () => {
    const text = '{"\\u0075sers":[{"username":"a"}],"us\\"ers":1}';
    expect(streamed(Buffer.from(text, 'utf8'))?.users.map((u) => u.username)).toEqual(['a']);
  });

  it('hands each user over as soon as its closing brace arrives, not at the end of the body', () => {
    const seen: unknown[] = [];
    const scanner = createUserListScanner((value) => {
      seen.push(value);
      return true;
    });
    scanner.push(Buffer.from('{"users":[[{"username":"a"},{"user'));
    expect(seen).toEqual([{ username: 'a' }]);
    scanner.push(Buffer.from('name":"b"}]]}'));
    expect(seen).toEqual([{ username: 'a' }, { username: 'b' }]);
    expect(scanner.end()).toBe(true);
  });
});

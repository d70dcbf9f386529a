/**
 * The user list read as it arrives (user-list-scanner.ts through streamUserList) against the
 * reference, the whole body parsed as the client did before: JSON.parse, then readUserListFast,
 * else zod and the normaliser. Whatever the chunking, the streamed read either gives exactly the
 * reference's users or gives up (null), and it gives up on everything the reference rejects.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
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

/**
 * What a scanner does with `bytes` cut at `at`: after each chunk, how many values it had handed
 * over and what they were; then what `end()` said. `refuse` is the index of the first value the
 * sink refuses (the scanner must then give up), if any.
 */
function scanTrace(bytes: Buffer, at: readonly number[], flatRuns: boolean, refuse?: number) {
  const cutsInOrder = [...new Set(at.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  const seen: unknown[] = [];
  const scanner = createUserListScanner(
    (value) => {
      seen.push(value);
      return seen.length - 1 !== refuse;
    },
    { flatRuns },
  );
  const afterEachChunk: number[] = [];
  let from = 0;
  for (const cut of [...cutsInOrder, bytes.length]) {
    scanner.push(bytes.subarray(from, cut));
    afterEachChunk.push(seen.length);
    from = cut;
  }
  return { seen, afterEachChunk, ended: scanner.end() };
}

/** A user as VictorOps sends it (flat), or now and then with an object or array inside. */
const flatOrNestedUser = fc.oneof(
  { weight: 4, arbitrary: user.map(({ extra: _extra, ...flat }) => flat) },
  { weight: 1, arbitrary: user },
  {
    weight: 1,
    arbitrary: fc
      .tuple(user, fc.constantFrom({ b: 'x' }, { b: { c: '}' } }, [], ['{']))
      .map(([flat, extra]) => ({ ...flat, extra })),
  },
);

/** JSON whitespace, as a server may put it between and inside users. */
const space = fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r'), maxLength: 3 });

/** A list written by hand: users flat or nested, whitespace anywhere the skeleton allows it. */
const handWritten = fc
  .tuple(
    fc.array(
      fc.oneof(
        fc.tuple(flatOrNestedUser, space, space).map((one) => ({ one })),
        fc.array(fc.tuple(flatOrNestedUser, space, space), { maxLength: 5 }).map((inner) => ({ inner })),
      ),
      { maxLength: 6 },
    ),
    space,
  )
  .map(([entries, pad]) => {
    const write = ([value, before, after]: [unknown, string, string]) =>
      `${before}${JSON.stringify(value)}${after}`;
    const list = entries.map((entry) =>
      'one' in entry ? write(entry.one) : `[${entry.inner.map(write).join(',')}]`,
    );
    return `{"_selfUrl":"/api-public/v1/user",${pad}"users":[${list.join(',')}]${pad}}`;
  });

describe('the user list scanner with runs of flat users found by FLAT_USERS', () => {
  it('hands over the same values, chunk by chunk, as the byte loop alone, and ends the same', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          handWritten,
          fc
            .tuple(body, fc.constantFrom('compact', 'indented', 'escaped'))
            .map(([value, style]) => serialise(value, style as 'compact' | 'indented' | 'escaped')),
        ),
        cuts,
        fc.option(fc.nat({ max: 12 }), { nil: undefined }),
        (text, at, refuse) => {
          const bytes = Buffer.from(text, 'utf8');
          expect(scanTrace(bytes, at, true, refuse)).toStrictEqual(scanTrace(bytes, at, false, refuse));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('agrees with the byte loop on damaged bodies, whatever it makes of them', () => {
    // At a random place: a character put in (drop 0) or in place of one (drop 1), or the rest cut off.
    const damage = fc.record({
      where: fc.nat(),
      what: fc.constantFrom('{', '}', '[', ']', '"', '\\', ',', ':', 'x', ' ', '\u00a0', 'é', '😀', '<cut>'),
      drop: fc.constantFrom(0, 1),
    });
    fc.assert(
      fc.property(handWritten, damage, cuts, (text, { where, what, drop }, at) => {
        const i = where % (text.length + 1);
        const damaged =
          what === '<cut>' ? text.slice(0, i) : `${text.slice(0, i)}${what}${text.slice(i + drop)}`;
        const bytes = Buffer.from(damaged, 'utf8');
        expect(scanTrace(bytes, at, true)).toStrictEqual(scanTrace(bytes, at, false));
      }),
      { numRuns: 1500 },
    );
  });

  it('reads the fixture by runs: FLAT_USERS is tried (it reads a chunk as Latin-1), the byte loop alone never does', () => {
    const decode = vi.spyOn(Buffer.prototype, 'toString');
    const latin1Copies = (flatRuns: boolean) => {
      decode.mockClear();
      expect(scanTrace(fixture, [], flatRuns).ended).toBe(true);
      return decode.mock.calls.filter(([encoding]) => encoding === 'latin1').length;
    };
    try {
      expect(latin1Copies(true)).toBe(1);
      expect(latin1Copies(false)).toBe(0);
    } finally {
      decode.mockRestore();
    }
  });

  it.each([
    // Only where a user may start: a flat object as another key's value is no user.
    ['a flat object under another key', '{"meta":{"username":"x"},"users":[{"username":"a"}]}', ['a']],
    // A user with something nested is read by the byte loop; the flat users after it join its run.
    [
      'a nested user, then flat ones',
      '{"users":[{"username":"a","x":{"y":[1]}},{"username":"b"} , {"username":"c"}]}',
      ['a', 'b', 'c'],
    ],
    ['a user with an object inside', '{"users":[{"username":"a","x":{"y":1}},{"username":"b"}]}', ['a', 'b']],
    [
      'flat users, then a nested one',
      '{"users":[[{"username":"a"},{"username":"b","x":[]}],[{"username":"c"}]]}',
      ['a', 'b', 'c'],
    ],
    // An escaped quote ends no string, and a brace inside a string ends no user.
    [
      'an escaped quote and a brace in a string',
      '{"users":[{"username":"a\\"}"},{"username":"{b}"}]}',
      ['a"}', '{b}'],
    ],
  ])('reads %s as JSON.parse does, cut anywhere', (_name, text, names) => {
    const bytes = Buffer.from(text, 'utf8');
    expect(reference(text)?.users.map((u) => u.username)).toEqual(names);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(
        streamed(bytes, [cut])?.users.map((u) => u.username),
        `cut at byte ${cut}`,
      ).toEqual(names);
      expect(scanTrace(bytes, [cut], true)).toStrictEqual(scanTrace(bytes, [cut], false));
    }
  });

  it.each([
    ['a missing comma', '{"users":[{"username":"a"}{"username":"b"}]}'],
    ['a missing comma in an inner array', '{"users":[[{"username":"a"} {"username":"b"}]]}'],
    ['a form feed between users (no JSON whitespace)', '{"users":[{"username":"a"}\f,{"username":"b"}]}'],
    [
      'a bracket that closes no array',
      '{"users":[{"username":"a"},{"username":"b","x":[},{"username":"c"}]}',
    ],
    ['a brace that closes no object', '{"users":[{"username":"a"},{"username":"b"}}]}'],
    ['a user left open', '{"users":[{"username":"a"},{"username":"b",'],
    ['a brace that opens no object', '{"users":[{"username":"a"},{{"b":1}},{"username":"c"}]}'],
  ])('hands over what the byte loop does from %s, cut anywhere, and gives up', (_name, text) => {
    const bytes = Buffer.from(text, 'utf8');
    for (let cut = 0; cut <= bytes.length; cut++) {
      const trace = scanTrace(bytes, [cut], true);
      expect(trace, `cut at byte ${cut}`).toStrictEqual(scanTrace(bytes, [cut], false));
      expect(trace.ended).toBe(false);
    }
  });

  it('reads chunks that each begin with a user from their own bytes', () => {
    const names = ['a', 'bbbbbbbb', 'cc', 'ddddddddddddddd', 'e'];
    const users = names.map((name) => JSON.stringify({ username: name }));
    const text = `{"users":[${users.join(',')}]}`;
    const bytes = Buffer.from(text, 'utf8');
    // A cut before each user: every chunk starts with `{` at offset 0.
    const at = users.map((u) => text.indexOf(u));
    expect(streamed(bytes, at)?.users.map((u) => u.username)).toEqual(names);
    expect(scanTrace(bytes, at, true)).toStrictEqual(scanTrace(bytes, at, false));
  });

  it('falls back to the byte loop for the rest of a chunk whose expression overflows, and tries again in the next', () => {
    // The overflow (a RangeError from FLAT_USERS, see below) stood in for on every call.
    const test = vi.spyOn(RegExp.prototype, 'test').mockImplementation(function (this: RegExp) {
      if (this.sticky) throw new RangeError('Maximum call stack size exceeded');
      return false;
    });
    const text =
      '{"users":[{"username":"a"},{"username":"b"},{"username":"c"},[{"username":"d"},{"username":"e"}]]}';
    const at = [text.indexOf('{"username":"b"}') + 3, text.indexOf('[{"username":"d"}')];
    let trace: ReturnType<typeof scanTrace>;
    let tries: number;
    try {
      trace = scanTrace(Buffer.from(text, 'utf8'), at, true);
      tries = test.mock.contexts.filter((re) => (re as RegExp).sticky).length;
    } finally {
      test.mockRestore();
    }
    expect(trace.ended).toBe(true);
    expect(trace.seen).toEqual(['a', 'b', 'c', 'd', 'e'].map((username) => ({ username })));
    // Once in each of the three chunks: a user starts in each.
    expect(tries).toBe(3);
  });

  it('falls back to the byte loop when a chunk holds more users than the expression can backtrack over', () => {
    // Two million users in one chunk overflow FLAT_USERS's backtracking stack (a RangeError):
    // the byte loop must read them instead of the scanner throwing.
    const count = 2_000_000;
    const bytes = Buffer.from(`{"users":[${'{},'.repeat(count - 1)}{}]}`, 'latin1');
    let seen = 0;
    const scanner = createUserListScanner(() => {
      seen++;
      return true;
    });
    scanner.push(bytes);
    expect(scanner.end()).toBe(true);
    expect(seen).toBe(count);
  });
});

/**
 * Splits the bytes of a `GET /v1/user` body at its users as they arrive (issue 21): each user
 * object is handed to `onUser` as soon as its closing brace is read, parsed alone, so the poll
 * never holds the body's string and the whole JSON tree of 20,000 users at once (they set the
 * CLI poll's memory peak). With a `UserBytesSink`, each user's bytes are shown to it first, and a
 * user it knows by them is not parsed at all (the patched user list, user-list-reader.ts).
 *
 * It understands one shape, the one VictorOps sends (docs in the reference, the fixture
 * test/fixtures/victorops/v1-user.json): a top-level object whose `users` is an array of user
 * objects or of arrays of user objects (v1 nests them). Every other top-level value is parsed too
 * (so the body is valid JSON as a whole) and dropped. On anything else (another shape, bytes that
 * are not JSON, a user `onUser` refuses, a second `users` key) it gives up, and the caller parses
 * the whole body as before, which reports exactly the error it always did.
 *
 * The scanner works on bytes: every byte it looks at outside a string (braces, brackets, commas,
 * colons, quotes, JSON whitespace) is ASCII, and no byte of a multi-byte UTF-8 character is, so a
 * character split across two chunks is never misread; a user's bytes are decoded only once whole.
 */

// The store trusts the users it recorded from a list by its bytes' digest: a change to which users
// this reads from the same bytes must bump USER_LIST_READER_VERSION (user-list-reader.ts).

/** Hands over one value read from `users`; false means "not a user I accept": the scanner gives up. */
export type UserSink = (value: unknown) => boolean;

/**
 * Sees each user's own bytes (its object, `{` to `}`) before it is parsed, in list order; true
 * means "known by its bytes": the user is not parsed and no value is handed to the UserSink for it.
 */
export type UserBytesSink = (bytes: Buffer) => boolean;

export interface UserListScanner {
  /** The next bytes of the body, in order. */
  push(chunk: Buffer): void;
  /** True when the whole body was the expected shape and every user was accepted. */
  end(): boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** JSON's four whitespace bytes (RFC 8259 §2); JSON.parse accepts no other. */
function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** The bytes a number, `true`, `false` or `null` may be made of (JSON.parse judges the rest). */
function isBareByte(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    byte === 0x2d ||
    byte === 0x2b ||
    byte === 0x2e ||
    byte === 0x45
  );
}

/** Where the scanner is in the body's skeleton (outside any value it is capturing). */
const At = {
  Start: 0, // before the top-level `{`
  FirstKey: 1, // after `{`: a key or `}`
  Key: 2, // after `,`: a key
  Colon: 3, // after a key
  Value: 4, // after `:`
  AfterValue: 5, // after a top-level value: `,` or `}`
  UsersFirst: 6, // after `users: [`: an entry or `]`
  UsersEntry: 7, // after `,` in users: an entry
  UsersNext: 8, // after an entry: `,` or `]`
  InnerFirst: 9, // after `[` inside users: a user or `]`
  InnerEntry: 10, // after `,` in an inner array: a user
  InnerNext: 11, // after a user in an inner array: `,` or `]`
  Done: 12, // after the top-level `}`: whitespace only
  Failed: 13,
} as const;

/** What a finished capture is: a key, a user (flat or inside an inner array), another key's value. */
const Capture = {
  None: 0,
  Key: 1,
  User: 2,
  InnerUser: 3,
  Other: 4,
} as const;

export function createUserListScanner(onUser: UserSink, onBytes?: UserBytesSink): UserListScanner {
  let at: number = At.Start;
  let capture: number = Capture.None;
  // Inside a capture: nesting depth (objects and arrays), inside a string, after a backslash.
  let depth = 0;
  let inString = false;
  let escaped = false;
  /** A bare value (number, true, false, null) ends at the first byte that cannot be part of it. */
  let bare = false;
  /** The capture's bytes from earlier chunks. */
  let pieces: Buffer[] = [];
  let sawUsers = false;
  let keyIsUsers = false;
  /**
   * Users read whole within the current chunk and separated only by commas and whitespace: their
   * bytes from `runStart` to `runEnd`, parsed together as one array when the run ends (one
   * JSON.parse per run instead of one per user: the calls' own cost was a third of the read's CPU).
   */
  let current: Buffer = Buffer.alloc(0);
  let runStart = -1;
  let runEnd = -1;

  const fail = () => {
    at = At.Failed;
    pieces = [];
    runStart = -1;
  };

  /** Hands the run's users to `onUser`, in order. */
  const flushRun = (): void => {
    if (runStart < 0) return;
    const text = current.toString('utf8', runStart, runEnd);
    runStart = -1;
    let users: unknown[];
    try {
      users = JSON.parse(`[${text}]`) as unknown[];
    } catch {
      fail();
      return;
    }
    for (const user of users) {
      if (!onUser(user)) {
        fail();
        return;
      }
    }
  };

  /** Parses the captured text; undefined (and the scanner failed) when it is not JSON. */
  const parse = (chunk: Buffer, start: number, end: number): { value: unknown } | undefined => {
    let text: string;
    if (pieces.length === 0) {
      text = chunk.toString('utf8', start, end);
    } else {
      pieces.push(chunk.subarray(start, end));
      text = Buffer.concat(pieces).toString('utf8');
      pieces = [];
    }
    try {
      return { value: JSON.parse(text) };
    } catch {
      fail();
      return undefined;
    }
  };

  /** The capture that ended at `end` (exclusive) is complete: judge it and move on. */
  const finish = (chunk: Buffer, start: number, end: number): void => {
    const kind = capture;
    capture = Capture.None;
    if ((kind === Capture.User || kind === Capture.InnerUser) && onBytes !== undefined) {
      const bytes =
        pieces.length === 0
          ? chunk.subarray(start, end)
          : Buffer.concat([...pieces, chunk.subarray(start, end)]);
      if (onBytes(bytes)) {
        // Known: the users before it are handed over, and a run never spans it.
        flushRun();
        if (at === At.Failed) return;
        pieces = [];
        at = kind === Capture.User ? At.UsersNext : At.InnerNext;
        return;
      }
    }
    if ((kind === Capture.User || kind === Capture.InnerUser) && pieces.length === 0) {
      if (runStart < 0) runStart = start;
      runEnd = end;
      at = kind === Capture.User ? At.UsersNext : At.InnerNext;
      return;
    }
    // Anything else is handed over in order: the users before it first.
    flushRun();
    if (at === At.Failed) return;
    const parsed = parse(chunk, start, end);
    if (parsed === undefined) return;
    if (kind === Capture.Key) {
      keyIsUsers = parsed.value === 'users';
      if (keyIsUsers) {
        // JSON.parse keeps the last of two equal keys; the streamed users would be the first's.
        if (sawUsers) {
          fail();
          return;
        }
        sawUsers = true;
      }
      at = At.Colon;
    } else if (kind === Capture.Other) {
      at = At.AfterValue;
    } else if (!onUser(parsed.value)) {
      fail();
    } else {
      at = kind === Capture.User ? At.UsersNext : At.InnerNext;
    }
  };

  /** One byte of the skeleton (nothing being captured); returns whether a capture starts at it. */
  const step = (byte: number): boolean => {
    if (isSpace(byte)) return false;
    if (runStart >= 0 && byte !== COMMA && byte !== OPEN_BRACE) {
      flushRun();
      if (at === At.Failed) return false;
    }
    switch (at) {
      case At.Start:
        if (byte === OPEN_BRACE) at = At.FirstKey;
        else fail();
        return false;
      case At.FirstKey:
        if (byte === CLOSE_BRACE) {
          at = At.Done;
          return false;
        }
        return startKey(byte);
      case At.Key:
        return startKey(byte);
      case At.Colon:
        if (byte === COLON) at = At.Value;
        else fail();
        return false;
      case At.Value:
        if (keyIsUsers) {
          if (byte === OPEN_BRACKET) at = At.UsersFirst;
          else fail();
          return false;
        }
        return startValue(byte, Capture.Other);
      case At.AfterValue:
        if (byte === COMMA) at = At.Key;
        else if (byte === CLOSE_BRACE) at = At.Done;
        else fail();
        return false;
      case At.UsersFirst:
      case At.UsersEntry:
        if (byte === CLOSE_BRACKET && at === At.UsersFirst) {
          at = At.AfterValue;
          return false;
        }
        if (byte === OPEN_BRACKET) {
          at = At.InnerFirst;
          return false;
        }
        return startUser(byte, Capture.User);
      case At.UsersNext:
        if (byte === COMMA) at = At.UsersEntry;
        else if (byte === CLOSE_BRACKET) at = At.AfterValue;
        else fail();
        return false;
      case At.InnerFirst:
      case At.InnerEntry:
        if (byte === CLOSE_BRACKET && at === At.InnerFirst) {
          at = At.UsersNext;
          return false;
        }
        return startUser(byte, Capture.InnerUser);
      case At.InnerNext:
        if (byte === COMMA) at = At.InnerEntry;
        else if (byte === CLOSE_BRACKET) at = At.UsersNext;
        else fail();
        return false;
      default:
        // Done: only whitespace may follow the top-level object.
        fail();
        return false;
    }
  };

  const startKey = (byte: number): boolean => {
    if (byte !== QUOTE) {
      fail();
      return false;
    }
    return begin(Capture.Key, 0, true, false);
  };

  const startUser = (byte: number, kind: number): boolean => {
    if (byte !== OPEN_BRACE) {
      fail();
      return false;
    }
    return begin(kind, 1, false, false);
  };

  const startValue = (byte: number, kind: number): boolean => {
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) return begin(kind, 1, false, false);
    if (byte === QUOTE) return begin(kind, 0, true, false);
    if (isBareByte(byte)) return begin(kind, 0, false, true);
    fail();
    return false;
  };

  const begin = (kind: number, startDepth: number, string: boolean, isBare: boolean): boolean => {
    capture = kind;
    depth = startDepth;
    inString = string;
    escaped = false;
    bare = isBare;
    return true;
  };

  return {
    push(chunk) {
      if (at === At.Failed) return;
      current = chunk;
      let start = 0;
      let i = 0;
      const length = chunk.length;
      while (i < length) {
        if (capture === Capture.None) {
          if (step(chunk[i] as number)) start = i;
          if (at === At.Failed) return;
          i++;
          continue;
        }
        if (inString) {
          if (escaped) {
            escaped = false;
            i++;
            continue;
          }
          // Most of a body is inside strings: jump to the next quote natively, then see whether
          // an odd run of backslashes escapes it.
          const quote = chunk.indexOf(QUOTE, i);
          const stop = quote < 0 ? length : quote;
          let backslashes = 0;
          while (stop - backslashes - 1 >= i && chunk[stop - backslashes - 1] === BACKSLASH) backslashes++;
          if (quote < 0) {
            escaped = backslashes % 2 === 1;
            i = length;
            continue;
          }
          i = quote + 1;
          if (backslashes % 2 === 1) continue;
          inString = false;
          if (depth === 0) {
            finish(chunk, start, i);
            if (at === At.Failed) return;
          }
          continue;
        }
        const byte = chunk[i] as number;
        if (bare) {
          if (!isBareByte(byte)) {
            finish(chunk, start, i);
            if (at === At.Failed) return;
            // This byte belongs to the skeleton again: look at it there.
            continue;
          }
        } else if (byte === QUOTE) {
          inString = true;
        } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
          depth++;
        } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
          depth--;
          if (depth === 0) {
            finish(chunk, start, i + 1);
            if (at === At.Failed) return;
          }
        }
        i++;
      }
      // A run never outlives its chunk (its bytes are read from it).
      flushRun();
      if (at !== At.Failed && capture !== Capture.None) pieces.push(chunk.subarray(start));
    },
    end() {
      const ok = at === At.Done && sawUsers;
      fail();
      return ok;
    },
  };
}

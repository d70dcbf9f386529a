/**
 * The unchanged poll's user list by its bytes (issue 21, twenty-sixth part): a poll whose
 * `GET /v1/user` bytes are those whose users the latest run recorded does not parse them. Held to
 * the full path: random orgs and random sequences of edits (none, field edits, respellings,
 * duplicate spellings, membership changes, failed team reads, mass removals the guard holds,
 * `accept`, another process's run recorded while a poll fetches), polled through the real fetch
 * and reader on a store that is offered the known digest and on one that never is, leave every
 * table equal and report the same; and the short cut is taken whenever the bytes are those the
 * previous run vouched for. Other bytes after a vouched run are read as a patched list (only the
 * users whose own bytes are not recorded ones parsed): it too records and reports what the full
 * path does.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/clock.js';
import {
  acceptHeldChange,
  type PollCycleDeps,
  type PollResult,
  runPollCycle,
} from '../../../src/cycles/poll-cycle.js';
import { VictorOpsError } from '../../../src/errors.js';
import { createSilentLogger } from '../../../src/logger.js';
import { factsOfUserList } from '../../../src/roster/normalise.js';
import type { Policy } from '../../../src/roster/policy-types.js';
import type { PollDecision } from '../../../src/roster/poll-decision.js';
import { openStore, type Store } from '../../../src/store/db.js';
import {
  loadKnownUserList,
  loadUserEntryKey,
  stillCurrentUsers,
  userListDigestAction,
} from '../../../src/store/user-list-digest.js';
import type { ResponseSchema, VictorOpsClient } from '../../../src/victorops/client.js';
import { fetchRoster, type MembershipSourceSetting } from '../../../src/victorops/fetch-roster.js';
import { streamUserList, userListHasher } from '../../../src/victorops/user-list-reader.js';
import { aFetch } from '../../helpers/builders.js';
import { recordPolicyBaseline } from '../../helpers/policy-baseline.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { dumpStore, UUID } from '../../helpers/store-dump.js';

const CLOCK: Clock = { now: () => Date.parse('2026-03-01T00:00:00.000Z'), sleep: async () => {} };

interface OrgUser {
  username: string;
  firstName: string | null;
  email: string | null;
  verified: boolean | null;
}
interface Org {
  users: OrgUser[];
  teams: { slug: string; name: string; version: number; members: string[] }[];
  /** Teams whose member read fails in the next poll. */
  failing: string[];
  /** The user list cannot be read in the next poll: it fails. */
  down?: boolean;
}

/** The bytes of `GET /v1/user` as v1 sends them: the users nested in one inner list. */
function userListBytes(org: Org): Buffer {
  const users = org.users.map((u) => ({ ...u, _selfUrl: `/api-public/v1/user/${u.username}` }));
  return Buffer.from(JSON.stringify({ _selfUrl: '/api-public/v1/user', users: [users] }));
}

/** How many times a poll read the users of known bytes, which parses them (a spy on the lazy parse). */
let lazyReads = 0;

/** `users` with its reads counted when they are known bytes' lazy users, the same object (the facts are keyed by it). */
function countingReads<T>(users: T): T {
  if (!factsOfUserList(users as object)?.recorded) return users;
  for (const field of ['users', 'byKey', 'otherSpellings']) {
    const read = Object.getOwnPropertyDescriptor(users, field)?.get;
    if (read === undefined) throw new Error(`the known bytes' ${field} are read on demand`);
    Object.defineProperty(users, field, {
      get: () => {
        lazyReads++;
        return read.call(users);
      },
    });
  }
  return users;
}

/**
 * Another process's poll, run once as the next team list is asked for: after the poll's user list
 * was read (its known users loaded), before its plan and its record step.
 */
interface Race {
  next: (() => Promise<unknown>) | null;
}

/**
 * A client answering from `org` (the user list as bytes through the reader's stream); no HTTP.
 * `bytesOf`: other user list bytes, when it gives some (bytes the reader cannot read).
 */
function clientOf(org: () => Org, bytesOf?: () => Buffer | undefined, race?: Race): VictorOpsClient {
  const stats = { requests: 0, retries: 0, rateLimited: 0 };
  const get = async <T>(path: string, schema: ResponseSchema<T>): Promise<T> => {
    stats.requests++;
    const now = org();
    if (path === '/v1/user') {
      if (now.down)
        throw new VictorOpsError('http', 'GET /v1/user: HTTP 500', { retryable: false, path, status: 500 });
      const bytes = bytesOf?.() ?? userListBytes(now);
      if (!('stream' in schema) || schema.stream === undefined) throw new Error('the user list is streamed');
      const stream = schema.stream();
      const half = Math.floor(bytes.length / 2);
      stream.push(bytes.subarray(0, half));
      stream.push(bytes.subarray(half));
      const value = stream.end();
      if (value !== null) return countingReads(value);
      // As the real client does with a body the stream gave up on: parsed whole, a shape error if unreadable.
      const json: unknown = JSON.parse(bytes.toString('utf8'));
      const fast = schema.fast(json);
      if (fast !== null) return fast;
      const parsed = schema.schema.safeParse(json);
      if (parsed.success) return parsed.data;
      throw new VictorOpsError('shape', 'user list: not the expected shape', { retryable: true, path });
    }
    if (path === '/v1/team') {
      const other = race?.next;
      if (race && other) {
        race.next = null;
        await other();
      }
      return now.teams.map((t) => ({
        slug: t.slug,
        name: t.name,
        version: t.version,
        memberCount: t.members.length,
      })) as T;
    }
    const teamsOf = /^\/v1\/user\/([^/]+)\/teams$/.exec(path)?.[1];
    if (teamsOf !== undefined) {
      // The by-user strategy (more teams than users): the teams listing this spelling's user.
      const key = decodeURIComponent(teamsOf).trim().toLowerCase();
      const teams = now.teams.filter((t) => t.members.some((m) => m.toLowerCase() === key));
      if (teams.some((t) => now.failing.includes(t.slug)))
        throw new VictorOpsError('http', `GET ${path}: HTTP 500`, { retryable: false, path, status: 500 });
      return teams.map((t) => ({ slug: t.slug, name: t.name })) as T;
    }
    const slug = decodeURIComponent(/^\/v1\/team\/([^/]+)\/members$/.exec(path)?.[1] ?? '');
    const team = now.teams.find((t) => t.slug === slug);
    if (team === undefined || now.failing.includes(slug)) {
      throw new VictorOpsError('http', `GET ${path}: HTTP 500`, { retryable: false, path, status: 500 });
    }
    return [...team.members] as T;
  };
  return {
    get,
    stats: () => ({ ...stats }),
    statsByJob: () => ({}),
    shapeErrors: () => ({}),
    budget: undefined as unknown as VictorOpsClient['budget'],
    close: async () => {},
  };
}

/**
 * The store's tables, but the digests of the known list's users' bytes (`user_list_entries`): a
 * cache whose presence depends on the path a run took (a run that read the list as the known one
 * took no digests of its users and cannot write them), checked on its own (`entriesHold`).
 */
function tablesOf(store: Store): Record<string, string[]> {
  const tables = dumpStore(store);
  return { ...tables, meta: (tables.meta ?? []).filter((row) => !/"user_list_entries(_key)?"/.test(row)) };
}

/** Where the store keeps its users' bytes' digests for the known list, they are those of the known bytes, key by key. */
function entriesHold(store: Store, vouched: Buffer | null): void {
  const known = loadKnownUserList(store);
  const entries = known?.entries?.() ?? null;
  if (entries === null) return;
  expect(vouched).not.toBeNull();
  const read = streamUserList(undefined, undefined, loadUserEntryKey(store));
  read.push(vouched as Buffer);
  const users = read.end();
  expect(entries).toEqual(users && factsOfUserList(users)?.entries);
}

const stores: Store[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function newStore(): Store {
  const store = openStore(join(scratchDir('rw-known-users-'), 'db.sqlite'));
  stores.push(store);
  return store;
}

/**
 * The poll's deps on `store`, fetching `org` through the real fetch; `offer`: the known digest is
 * handed on; `membershipSource`: the fetch's strategy; `bytesOf`: as clientOf's.
 */
function depsOf(
  store: Store,
  org: () => Org,
  offer: boolean,
  options: {
    membershipSource?: MembershipSourceSetting;
    bytesOf?: () => Buffer | undefined;
    race?: Race;
  } = {},
): PollCycleDeps {
  const client = clientOf(org, options.bytesOf, options.race);
  return {
    store,
    clock: CLOCK,
    logger: createSilentLogger(),
    source: 'urn:test',
    destinations: [{ name: 'hook', kind: 'webhook', events: [] }],
    guard: { maxFraction: 0.5, min: 2, confirmations: 2 },
    pollFailingAfter: 3,
    membershipHints: { setting: 'auto', verifyIntervalMs: 60_000 },
    fetchRoster: (signal, plan) =>
      fetchRoster({
        client,
        clock: CLOCK,
        source: options.membershipSource ?? 'auto',
        concurrency: 2,
        deadlineMs: 60_000,
        signal,
        onPlan: plan.onPlan,
        ...(plan.hints ? { hints: plan.hints } : {}),
        ...(offer && plan.knownUsers ? { knownUsers: plan.knownUsers } : {}),
        ...(offer && plan.userEntryKey ? { userEntryKey: plan.userEntryKey } : {}),
      }),
  };
}

function reported(result: PollResult | null) {
  if (result === null) return null;
  const { events, durationMs, fetched, ...rest } = result;
  return {
    ...rest,
    events: JSON.stringify(events).replace(UUID, 'id'),
    fetched: JSON.stringify(fetched),
  };
}

// Past the BMP ('𝒜B', spelled otherwise than its key) and above the surrogates ('ﬀa'): SQL orders
// their keys otherwise than keyUsers.
const NAMES = [
  'ann',
  'bob',
  'cyd',
  'dee',
  'eve',
  'fay',
  'gus',
  'hal',
  'ida',
  'Søren',
  '\u{1D49C}B',
  '\uFB00a',
  'zed',
  'invited_zoe',
];

/** A policy paging every name directly on team-0: its findings read the users' spellings and `verified`. */
const POLICY: Policy = {
  slug: 'pol-0',
  name: 'Team 0 primary',
  teamSlug: 'team-0',
  steps: [{ index: 1, timeout: 5, entries: NAMES.map((username) => ({ kind: 'user' as const, username })) }],
};

const arbitraryOrg: fc.Arbitrary<Org> = fc
  .record({
    users: fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 2, maxLength: NAMES.length }),
    emails: fc.array(fc.option(fc.constantFrom('a@x.io', ' b@x.io ', ''), { nil: null }), {
      minLength: NAMES.length,
      maxLength: NAMES.length,
    }),
    teams: fc.array(fc.array(fc.nat(NAMES.length - 1), { maxLength: 4 }), { minLength: 1, maxLength: 4 }),
  })
  .map(({ users, emails, teams }) => ({
    users: users.map((username, i) => ({
      username,
      firstName: i % 3 === 0 ? null : ` ${username} `,
      email: emails[i] ?? null,
      verified: i % 3 === 2 ? null : i % 2 === 0,
    })),
    teams: teams.map((members, i) => ({
      slug: `team-${i}`,
      name: `Team ${i}`,
      version: 1,
      members: [...new Set(members.map((m) => users[m % users.length]!))],
    })),
    failing: [],
  }));

type Edit =
  | { kind: 'none' }
  | { kind: 'email' | 'verify' | 'respell' | 'duplicate' | 'member'; at: number }
  | { kind: 'fail'; at: number }
  | { kind: 'remove-many' | 'down' }
  | { kind: 'accept' }
  // Another process records the org with `inner` made while this poll fetches; this poll reads the org as it was.
  | { kind: 'race'; inner: 'email' | 'member' | 'join'; at: number };

const arbitraryEdit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'none' as const }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constantFrom(
        'email' as const,
        'verify' as const,
        'respell' as const,
        'duplicate' as const,
        'member' as const,
      ),
      at: fc.nat(40),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fail' as const), at: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'down' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'remove-many' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'accept' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('race' as const),
      inner: fc.constantFrom('email' as const, 'member' as const, 'join' as const),
      at: fc.nat(40),
    }),
  },
);

/** The org another process records in a race: `edit.inner` made ('join': a new user on a team). */
function raced(org: Org, edit: Extract<Edit, { kind: 'race' }>): Org {
  if (edit.inner !== 'join') return edited(org, { kind: edit.inner, at: edit.at });
  const next = structuredClone(org);
  const name = NAMES.find((n) => !next.users.some((u) => u.username === n));
  if (name === undefined) return next;
  next.users.push({ username: name, firstName: null, email: null, verified: true });
  const team = next.teams[edit.at % next.teams.length]!;
  team.members.push(name);
  team.version++;
  return next;
}

/** The org after `edit` (a new object: the previous org's bytes stay as they were). */
function edited(org: Org, edit: Edit): Org {
  const next: Org = structuredClone({ ...org, failing: [], down: edit.kind === 'down' });
  const pick = next.users[('at' in edit ? edit.at : 0) % Math.max(1, next.users.length)];
  switch (edit.kind) {
    case 'email':
      if (pick) pick.email = pick.email === 'new@x.io' ? null : 'new@x.io';
      break;
    case 'verify':
      if (pick) pick.verified = pick.verified === true ? false : pick.verified === false ? null : true;
      break;
    case 'respell':
      if (pick)
        pick.username =
          pick.username === pick.username.toUpperCase()
            ? pick.username.toLowerCase()
            : pick.username.toUpperCase();
      break;
    case 'duplicate':
      if (pick) next.users.push({ ...pick, username: ` ${pick.username.toUpperCase()}`, email: 'dup@x.io' });
      break;
    case 'member': {
      const team = next.teams[edit.at % next.teams.length]!;
      const name = pick?.username.trim();
      if (name === undefined) break;
      team.members = team.members.includes(name)
        ? team.members.filter((m) => m !== name)
        : [...team.members, name];
      team.version++;
      break;
    }
    case 'fail': {
      // Its hints move, so the read is not carried: it is tried, and fails.
      const team = next.teams[edit.at % next.teams.length]!;
      team.version++;
      next.failing = [team.slug];
      break;
    }
    case 'remove-many':
      next.users = next.users.slice(0, 1);
      break;
    default:
      break;
  }
  return next;
}

describe('the user list known by its bytes', () => {
  it('records and reports what the full path does, and is taken whenever the bytes are the vouched ones (property)', async () => {
    let taken = 0;
    let races = 0;
    // Unchanged polls with a policy baseline that took the short cut, and those of them that never parsed the list.
    let withPolicies = 0;
    let unparsed = 0;
    // Changed polls under the vouched bytes (memberships only, then), and those that never parsed the list.
    let changedKnown = 0;
    let changedUnparsed = 0;
    // Polls whose user list was patched (user-list-patched.test.ts), and those that parsed only part of it.
    let patched = 0;
    let patchedUnparsed = 0;
    const statuses = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        arbitraryOrg,
        fc.array(arbitraryEdit, { minLength: 1, maxLength: 7 }),
        fc.boolean(),
        async (first, edits, policies) => {
          let org = first;
          const short = newStore();
          const full = newStore();
          // With a policy baseline every roster run records its coverage findings too.
          if (policies) for (const store of [short, full]) recordPolicyBaseline(store, [POLICY]);
          const hooks: [Race, Race] = [{ next: null }, { next: null }];
          const withShortCut = depsOf(short, () => org, true, { race: hooks[0] });
          const without = depsOf(full, () => org, false, { race: hooks[1] });
          let vouched: Buffer | null = null;
          for (const edit of [{ kind: 'none' } as Edit, ...edits]) {
            let a: PollResult | null;
            let b: PollResult | null;
            if (edit.kind === 'race') {
              // Each store's other process polls the raced org, offered the digest as its store is.
              org = edited(org, { kind: 'none' });
              const other = raced(org, edit);
              const results: PollResult[] = [];
              [short, full].forEach((store, i) => {
                const deps = depsOf(store, () => other, i === 0);
                hooks[i]!.next = async () =>
                  results.push(await runPollCycle(deps, new AbortController().signal));
              });
              a = await runPollCycle(withShortCut, new AbortController().signal);
              b = await runPollCycle(without, new AbortController().signal);
              expect(results).toHaveLength(2);
              expect(reported(results[0]!)).toEqual(reported(results[1]!));
              races++;
            } else if (edit.kind === 'accept') {
              a = acceptHeldChange(withShortCut);
              b = acceptHeldChange(without);
            } else {
              org = edited(org, edit);
              lazyReads = 0;
              a = await runPollCycle(withShortCut, new AbortController().signal);
              b = await runPollCycle(without, new AbortController().signal);
            }
            const reads = lazyReads;
            expect(reported(a)).toEqual(reported(b));
            expect(tablesOf(short)).toEqual(tablesOf(full));
            if (a === null || b === null) continue;
            const seen = edit.kind === 'accept' ? 'accept' : a.status;
            statuses.set(seen, (statuses.get(seen) ?? 0) + 1);
            expect(b.fetched && factsOfUserList(b.fetched.roster)?.recorded).toBeFalsy();
            const facts = a.fetched === null ? undefined : factsOfUserList(a.fetched.roster)?.recorded;
            // Bytes not the vouched ones as a whole, with some users' own bytes recorded: a patched list.
            const shortCut = facts != null && facts.base === undefined;
            if (facts?.base !== undefined) {
              patched++;
              // Only the users whose bytes are not recorded ones were parsed, and the list was not parsed whole.
              if (reads === 0 && (facts.parsed?.size ?? 0) < facts.keys.length) patchedUnparsed++;
            }
            // A poll that read the user list takes the short cut exactly when its bytes are the vouched ones.
            if (edit.kind !== 'accept' && a.fetched !== null) {
              const same = vouched !== null && userListBytes(org).equals(vouched);
              expect(shortCut).toBe(same);
              if (same) taken++;
              if (same && policies && a.status === 'ok' && a.changes === 0) {
                withPolicies++;
                if (reads === 0) unparsed++;
              }
              if (same && a.status === 'ok' && a.changes > 0) {
                changedKnown++;
                if (reads === 0) changedUnparsed++;
              }
            }
            // The bytes this run vouched for: the users it leaves recorded are exactly theirs.
            const sameUsers = a.status === 'ok' || a.status === 'partial' || a.status === 'baseline';
            if (edit.kind === 'accept') vouched = null;
            else if (a.status !== 'failed') vouched = sameUsers ? userListBytes(org) : null;
            entriesHold(short, vouched);
          }
        },
      ),
      {
        numRuns: 60,
        // Every kind of run met at least once, whatever the random ones meet.
        examples: [
          [
            {
              users: NAMES.slice(0, 4).map((username) => ({
                username,
                firstName: null,
                email: null,
                verified: true,
              })),
              teams: [{ slug: 'team-0', name: 'Team 0', version: 1, members: ['ann', 'bob'] }],
              failing: [],
            },
            [
              { kind: 'none' },
              { kind: 'fail', at: 0 },
              { kind: 'none' },
              { kind: 'down' },
              { kind: 'none' },
              { kind: 'duplicate', at: 1 },
              { kind: 'none' },
              { kind: 'remove-many' },
              { kind: 'accept' },
              { kind: 'none' },
            ],
            true,
          ],
          // Keys SQL orders otherwise than keyUsers, unverified and invited users paged by the policy.
          [
            {
              users: NAMES.slice(10).map((username, i) => ({
                username,
                firstName: null,
                email: null,
                verified: i === 0 ? null : i % 2 === 0,
              })),
              teams: [{ slug: 'team-0', name: 'Team 0', version: 1, members: ['\uFB00a', '\u{1D49C}B'] }],
              failing: [],
            },
            [
              { kind: 'none' },
              { kind: 'none' },
              { kind: 'member', at: 2 },
              { kind: 'none' },
              { kind: 'verify', at: 1 },
              { kind: 'none' },
            ],
            true,
          ],
        ],
      },
    );
    expect(taken).toBeGreaterThan(20);
    expect(races).toBeGreaterThan(5);
    // Coverage findings read the recorded users' fields, not the list's: most such polls parse nothing.
    expect(unparsed, `of ${withPolicies}`).toBeGreaterThan(5);
    // A membership change under the vouched bytes records from the recorded users: the list unparsed.
    expect(changedUnparsed, `of ${changedKnown}`).toBeGreaterThan(5);
    // A user list edited after a vouched run is patched: its other users' bytes are not parsed.
    expect(patchedUnparsed, `of ${patched}`).toBeGreaterThan(5);
    // Every kind of run the digest must follow was met.
    for (const status of ['baseline', 'ok', 'partial', 'failed', 'held', 'accept'])
      expect(statuses.get(status) ?? 0, status).toBeGreaterThan(0);
  }, 120_000);
});

/** A store offered the known digest and one never offered it, polled together. */
function twoStores(org: () => Org) {
  const short = newStore();
  const full = newStore();
  const deps = [depsOf(short, org, true), depsOf(full, org, false)];
  const pollBoth = () => Promise.all(deps.map((d) => runPollCycle(d, new AbortController().signal)));
  return { short, full, pollBoth };
}

describe('the known digest’s validity', () => {
  const ORG: Org = {
    users: [
      { username: 'ann', firstName: null, email: 'a@x.io', verified: true },
      { username: 'bob', firstName: 'Bob', email: null, verified: null },
    ],
    teams: [{ slug: 'team-0', name: 'Team 0', version: 1, members: ['ann'] }],
    failing: [],
  };

  // After the older build's run, a failed run keeps only a digest valid before it: not this one.
  for (const failedAfter of [false, true]) {
    it(`ends with a roster run that did not vouch for it (an older build’s), so the old bytes are parsed again${failedAfter ? ', a failed run between' : ''}`, async () => {
      let org = ORG;
      const { short, full, pollBoth } = twoStores(() => org);
      const digestRow = () =>
        short.sqlite.prepare("SELECT value FROM meta WHERE key = 'user_list_digest'").pluck().get();
      await pollBoth();
      const vouched = digestRow();
      expect(vouched).toEqual(expect.stringMatching(/^1 [0-9a-f]{64}$/));
      // An older build records bob's new email and leaves the meta row as it was.
      org = edited(ORG, { kind: 'email', at: 1 });
      await pollBoth();
      for (const store of [short, full])
        store.sqlite.prepare("UPDATE meta SET value = ? WHERE key = 'user_list_digest'").run(vouched);
      expect(loadKnownUserList(short)).toBeNull();
      if (failedAfter) {
        org = { ...ORG, down: true };
        const [failed] = await pollBoth();
        expect(failed?.status).toBe('failed');
        expect(digestRow()).toBe(vouched);
      }
      // The first bytes again: their digest names run 1, not the latest roster run, so they are parsed.
      org = ORG;
      const [a, b] = await pollBoth();
      expect(a?.fetched && factsOfUserList(a.fetched.roster)?.recorded).toBeNull();
      expect(a?.changes).toBe(1);
      expect(reported(a ?? null)).toEqual(reported(b ?? null));
      expect(tablesOf(short)).toEqual(tablesOf(full));
    });
  }

  it('holds across policy and contacts runs recorded between two roster polls', async () => {
    const { short, full, pollBoth } = twoStores(() => ORG);
    await pollBoth();
    for (const store of [short, full]) {
      recordPolicyBaseline(store, [POLICY]);
      store.sqlite
        .prepare(
          "INSERT INTO runs (kind, status, started_at, finished_at, requests, retries, rate_limited, change_count) VALUES ('contacts', 'ok', ?, ?, 0, 0, 0, 0)",
        )
        .run('2026-02-02T00:00:00.000Z', '2026-02-02T00:00:00.000Z');
    }
    // The digest names roster run 1, no longer the latest run of any kind, yet still the latest roster run.
    const [a, b] = await pollBoth();
    expect(a?.fetched && factsOfUserList(a.fetched.roster)?.recorded).toBeTruthy();
    expect(reported(a ?? null)).toEqual(reported(b ?? null));
    expect(tablesOf(short)).toEqual(tablesOf(full));
  });
});

describe('the known users read on demand', () => {
  it('are read only while the digest still names the latest run (another process may poll meanwhile)', async () => {
    let org: Org = {
      users: [
        { username: 'ann', firstName: null, email: null, verified: true },
        { username: 'Søren', firstName: null, email: null, verified: null },
      ],
      teams: [{ slug: 'team-0', name: 'Team 0', version: 1, members: ['ann'] }],
      failing: [],
    };
    const store = newStore();
    const deps = depsOf(store, () => org, true);
    await runPollCycle(deps, new AbortController().signal);
    const known = loadKnownUserList(store);
    expect(known?.load()).toEqual({
      keys: ['ann', 'søren'],
      // A spelling that is the key itself is not read: null.
      names: [null, 'Søren'],
      prints: expect.any(Map),
      verified: [true, null],
    });
    // Another run (another process's poll) recorded between the fetch's start and the bytes' end.
    org = edited(org, { kind: 'email', at: 0 });
    await runPollCycle(deps, new AbortController().signal);
    expect(known?.load()).toBeNull();
  });

  it('are read once in an unchanged poll: the hints’ leaver count and the record step take that read', async () => {
    const org: Org = {
      users: [
        { username: 'ann', firstName: null, email: null, verified: true },
        { username: 'Bob', firstName: null, email: null, verified: null },
      ],
      teams: [
        { slug: 'team-0', name: 'Team 0', version: 1, members: ['ann'] },
        { slug: 'team-1', name: 'Team 1', version: 1, members: ['Bob'] },
      ],
      failing: [],
    };
    const store = newStore();
    const deps = depsOf(store, () => org, true);
    await runPollCycle(deps, new AbortController().signal);
    await runPollCycle(deps, new AbortController().signal);
    // Every statement that reads the users table during the next, unchanged, poll.
    const reads: string[] = [];
    const prepare = store.sqlite.prepare.bind(store.sqlite);
    store.sqlite.prepare = ((sql: string) => {
      if (/\bFROM users\b/.test(sql)) reads.push(sql);
      return prepare(sql);
    }) as typeof store.sqlite.prepare;
    const result = await runPollCycle(deps, new AbortController().signal);
    store.sqlite.prepare = prepare;
    expect(result?.changes).toBe(0);
    expect(result?.fetched && factsOfUserList(result.fetched.roster)?.recorded).toBeTruthy();
    // The known users' one read: its four columns, and nothing read of the users after it.
    expect(reads).toHaveLength(4);
    expect(reads.every((sql) => sql.includes('INDEXED BY users_current_uq'))).toBe(true);
  });

  it('are current only in the store they were read from, though another store’s latest run has the same id', async () => {
    const org: Org = {
      users: [{ username: 'ann', firstName: null, email: null, verified: true }],
      teams: [{ slug: 'team-0', name: 'Team 0', version: 1, members: ['ann'] }],
      failing: [],
    };
    const [a, b] = [newStore(), newStore()];
    for (const store of [a, b])
      await runPollCycle(
        depsOf(store, () => org, true),
        new AbortController().signal,
      );
    const read = loadKnownUserList(a)?.load();
    expect(read).toBeTruthy();
    if (!read) return;
    expect(stillCurrentUsers(a, read)).toBe(true);
    expect(stillCurrentUsers(b, read)).toBe(false);
  });
});

describe('what a run does to the known digest', () => {
  const roster = { users: [], teams: [], memberships: [] };
  const fetched = aFetch(roster);
  const facts = { digest: 'd', recorded: null };
  const decision = (status: PollDecision['status'], recorded: PollDecision['recorded']): PollDecision => ({
    status,
    apply: null,
    recorded,
    events: [],
    hold: { kind: 'none' },
    error: null,
  });

  it('vouches for the fetched bytes only when it records exactly their users', () => {
    expect(userListDigestAction(decision('ok', fetched.roster), fetched, facts, false)).toEqual({
      digest: 'd',
    });
    expect(userListDigestAction(decision('ok', { ...roster }), fetched, facts, false)).toEqual({
      digest: 'd',
    });
    // Other users recorded (another array, however alike), a hold, `accept`, bytes not hashed.
    expect(userListDigestAction(decision('ok', { ...roster, users: [] }), fetched, facts, false)).toBe(
      'forget',
    );
    expect(userListDigestAction(decision('held', fetched.roster), fetched, facts, false)).toBe('forget');
    expect(userListDigestAction(decision('ok', fetched.roster), fetched, facts, true)).toBe('forget');
    expect(userListDigestAction(decision('ok', fetched.roster), fetched, undefined, false)).toBe('forget');
    expect(userListDigestAction(decision('failed', null), null, undefined, false)).toBe('keep');
  });
});

describe('known bytes the reader cannot read again (a reader changed without its version)', () => {
  const ORG: Org = {
    users: [{ username: 'ann', firstName: null, email: null, verified: true }],
    teams: [{ slug: 'team-0', name: 'Team 0', version: 1, members: ['ann'] }],
    failing: [],
  };
  // A user list the reader refuses (a username that is not text).
  const UNREADABLE = Buffer.from(JSON.stringify({ users: [[{ username: 5 }]] }));
  const digestOf = (bytes: Buffer) => userListHasher().update(bytes).digest('hex');
  const count = (store: Store, sql: string) => store.sqlite.prepare(sql).pluck().get();
  // As a store whose digest a changed reader no longer reads would be: it vouches for these bytes.
  const vouchFor = (store: Store, bytes: Buffer) =>
    store.sqlite
      .prepare("UPDATE meta SET value = ? WHERE key = 'user_list_digest'")
      .run(`1 ${digestOf(bytes)}`);

  // ORG with its one membership gone.
  const MEMBER_GONE: Org = { ...ORG, teams: [{ ...ORG.teams[0]!, version: 2, members: [] }] };
  // Two of three teams gone: the guard holds the run and stores the fetch, users and all.
  const THREE: Org = {
    ...ORG,
    teams: ['team-0', 'team-1', 'team-2'].map((slug) => ({ slug, name: slug, version: 1, members: ['ann'] })),
  };
  // The by-user strategy reads the users in the fetch; the by-team one reads them only where a run
  // needs their fields (a change of the list's bytes, a hold storing the fetch): a membership change
  // under vouched bytes takes the recorded users, as an unchanged poll does (below).
  const finders = [
    {
      how: 'a membership change, by users (the fetch reads the users)',
      membershipSource: 'user' as const,
      first: ORG,
      next: MEMBER_GONE,
    },
    {
      how: 'a hold storing the fetch, by teams',
      membershipSource: 'team' as const,
      first: THREE,
      next: { ...THREE, teams: THREE.teams.slice(0, 1) },
    },
  ];
  for (const { how, membershipSource, first, next } of finders) {
    it(`end as a recorded failed run and are no longer vouched for: ${how}`, async () => {
      let org = first;
      const store = newStore();
      let bytes: Buffer | undefined;
      const deps = depsOf(store, () => org, true, { membershipSource, bytesOf: () => bytes });
      const poll = () => runPollCycle(deps, new AbortController().signal);
      await poll();
      const before = dumpStore(store);
      bytes = UNREADABLE;
      vouchFor(store, UNREADABLE);
      org = next;
      const failed = await poll();
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/shape/);
      expect(count(store, "SELECT COUNT(*) FROM meta WHERE key = 'user_list_digest'")).toBe(0);
      // Only the failed run was added: no user, team, membership, event or hold invented or lost.
      const after = dumpStore(store);
      expect(after.runs).toHaveLength(before.runs!.length + 1);
      for (const table of ['users', 'teams', 'memberships', 'events', 'guard_holds'])
        expect(after[table], table).toEqual(before[table]);
      // And the next polls go on failing as recorded runs (the alert's streak), not as throws.
      expect((await poll()).status).toBe('failed');
      expect(count(store, "SELECT COUNT(*) FROM runs WHERE status = 'failed'")).toBe(2);
    });
  }

  it('are not read for a membership change by teams: the recorded users are taken, as vouched', async () => {
    let org = ORG;
    const store = newStore();
    let bytes: Buffer | undefined;
    const deps = depsOf(store, () => org, true, { membershipSource: 'team', bytesOf: () => bytes });
    await runPollCycle(deps, new AbortController().signal);
    bytes = UNREADABLE;
    vouchFor(store, UNREADABLE);
    org = MEMBER_GONE;
    lazyReads = 0;
    const result = await runPollCycle(deps, new AbortController().signal);
    expect(result.status).toBe('ok');
    expect(result.changes).toBe(1);
    expect(lazyReads).toBe(0);
    expect(count(store, 'SELECT COUNT(*) FROM memberships WHERE valid_to IS NULL')).toBe(0);
    expect(count(store, 'SELECT COUNT(*) FROM users WHERE valid_to IS NULL')).toBe(1);
    // The run recorded the vouched users as they were: it vouches for the same bytes again.
    expect(count(store, "SELECT value FROM meta WHERE key = 'user_list_digest'")).toBe(
      `2 ${digestOf(UNREADABLE)}`,
    );
  });

  it('are read again once forgotten: bytes readable again record the change as the full path does', async () => {
    let org = ORG;
    const store = newStore();
    const full = newStore();
    // Unreadable for one fetch only (the poll's first); the one after reads the org's bytes.
    let bytes: Buffer | undefined;
    // By users: the fetch reads the users, so the unreadable bytes are found there.
    const deps = depsOf(store, () => org, true, {
      membershipSource: 'user',
      bytesOf: () => {
        const once = bytes;
        bytes = undefined;
        return once;
      },
    });
    const without = depsOf(full, () => org, false, { membershipSource: 'user' });
    await runPollCycle(deps, new AbortController().signal);
    await runPollCycle(without, new AbortController().signal);
    bytes = UNREADABLE;
    vouchFor(store, UNREADABLE);
    org = MEMBER_GONE;
    const a = await runPollCycle(deps, new AbortController().signal);
    const b = await runPollCycle(without, new AbortController().signal);
    expect(a.status).toBe('ok');
    expect(reported(a)).toEqual(reported(b));
    expect(tablesOf(store)).toEqual(tablesOf(full));
  });
});

describe('an unchanged poll with a policy baseline', () => {
  it('takes the short cut without parsing the list, its findings those of the full path', async () => {
    const org: Org = {
      users: [
        { username: 'ann', firstName: null, email: null, verified: false },
        { username: 'invited_zoe', firstName: null, email: null, verified: null },
        { username: 'bob', firstName: null, email: null, verified: true },
      ],
      teams: [{ slug: 'team-0', name: 'Team 0', version: 1, members: ['ann', 'bob'] }],
      failing: [],
    };
    const short = newStore();
    const full = newStore();
    for (const store of [short, full]) recordPolicyBaseline(store, [POLICY]);
    const withShortCut = depsOf(short, () => org, true);
    const without = depsOf(full, () => org, false);
    for (let i = 0; i < 2; i++) {
      lazyReads = 0;
      const a = await runPollCycle(withShortCut, new AbortController().signal);
      const reads = lazyReads;
      const b = await runPollCycle(without, new AbortController().signal);
      expect(reported(a)).toEqual(reported(b));
      expect(tablesOf(short)).toEqual(tablesOf(full));
      if (i === 0) continue;
      expect(a.fetched && factsOfUserList(a.fetched.roster)?.recorded).toBeTruthy();
      expect(reads).toBe(0);
    }
    // The findings that read `verified` and the invitee's name are there.
    const findings = tablesOf(short).findings ?? [];
    expect(findings.join('\n')).toMatch(/unverified_on_call:ann/);
    expect(findings.join('\n')).toMatch(/unverified_on_call:invited_zoe/);
  });
});

describe('a lone surrogate in the roster’s text', () => {
  // JSON may escape half a surrogate pair (`"\ud800"`); SQLite stores such text with U+FFFD in its
  // place. The key used to be recorded one way and fetched the other: the next poll failed on
  // users_current_uq, and every poll after it.
  for (const offer of [false, true]) {
    it(`is recorded with U+FFFD, so the next polls find nothing changed${offer ? ' (known bytes offered)' : ''}`, async () => {
      const org: Org = {
        users: [
          { username: 'ann', firstName: null, email: null, verified: true },
          { username: 'B\ud800ob', firstName: 'x\udc00y', email: null, verified: null },
        ],
        teams: [{ slug: 'team-0', name: 'Team 0', version: 1, members: ['ann', 'b\ud800OB'] }],
        failing: [],
      };
      const store = newStore();
      const deps = depsOf(store, () => org, offer);
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await runPollCycle(deps, new AbortController().signal));
      expect(results.map((r) => [r?.status, r?.changes])).toEqual([
        ['baseline', 0],
        ['ok', 0],
        ['ok', 0],
      ]);
      expect(
        store.sqlite
          .prepare(
            'SELECT username_key, username, first_name FROM users WHERE valid_to IS NULL ORDER BY username_key',
          )
          .raw()
          .all(),
      ).toEqual([
        ['ann', 'ann', null],
        ['b\ufffdob', 'B\ufffdob', 'x\ufffdy'],
      ]);
      // The member list's spelling (another case, the same lone surrogate) is the user's.
      expect(
        store.sqlite
          .prepare('SELECT username FROM memberships WHERE valid_to IS NULL ORDER BY username_key')
          .pluck()
          .all(),
      ).toEqual(['ann', 'B\ufffdob']);
    });
  }
});

describe('roster text an earlier version stored with a lone surrogate', () => {
  // better-sqlite3 wrote the code unit as the bytes ED A0 80 (not UTF-8), which read back as three
  // U+FFFD while a fetch now gives one: the user read as removed and added again on every poll,
  // the old row never closed. The store rewrites such text once, as it is opened.
  it('is rewritten as the fetch spells it, so the next poll finds nothing changed', async () => {
    const org: Org = {
      users: [
        { username: 'ann', firstName: null, email: null, verified: true },
        { username: 'B\ud800ob', firstName: 'x\udc00y', email: null, verified: null },
        { username: '한글', firstName: '한', email: null, verified: null },
      ],
      teams: [{ slug: 'team-0', name: 'Team 0', version: 1, members: ['ann', 'b\ud800OB', '한글'] }],
      failing: [],
    };
    const first = newStore();
    await runPollCycle(
      depsOf(first, () => org, false),
      new AbortController().signal,
    );
    // As an earlier version recorded them: the lone surrogates themselves, bound as they were fetched.
    first.sqlite
      .prepare(
        "UPDATE users SET username_key = 'b\ud800ob', username = 'B\ud800ob', first_name = 'x\udc00y' WHERE username_key = 'b\ufffdob'",
      )
      .run();
    first.sqlite
      .prepare(
        "UPDATE memberships SET username_key = 'b\ud800ob', username = 'B\ud800ob' WHERE username_key = 'b\ufffdob'",
      )
      .run();
    first.sqlite.prepare("DELETE FROM meta WHERE key LIKE '%text_well_formed'").run();
    const hex = (store: Store) =>
      store.sqlite.prepare('SELECT hex(username_key) FROM users ORDER BY row_id').pluck().all();
    expect(hex(first)).toContain('62EDA0806F62');
    first.close();

    const store = openStore(first.path);
    stores.push(store);
    expect(hex(store)).toContain('62EFBFBD6F62');
    // Hangul also begins with the byte ED: left as it was.
    expect(
      store.sqlite.prepare("SELECT first_name FROM users WHERE username_key = '한글'").pluck().get(),
    ).toBe('한');
    const result = await runPollCycle(
      depsOf(store, () => org, false),
      new AbortController().signal,
    );
    expect([result?.status, result?.changes]).toEqual(['ok', 0]);
    expect(
      store.sqlite
        .prepare('SELECT username, first_name FROM users WHERE valid_to IS NULL ORDER BY username_key')
        .raw()
        .all(),
    ).toEqual([
      ['ann', null],
      ['B\ufffdob', 'x\ufffdy'],
      ['한글', '한'],
    ]);
  });
});

describe('the roster text repair', () => {
  it("closes a row whose repair would take another current row's key, so one stays current, and opens", () => {
    const first = newStore();
    first.sqlite
      .prepare(
        "INSERT INTO runs (kind, status, started_at, finished_at, requests, retries, rate_limited, change_count) VALUES ('roster', 'ok', ?, ?, 0, 0, 0, 0)",
      )
      .run('2026-02-02T00:00:00.000Z', '2026-02-02T00:00:00.000Z');
    // Two current users whose keys differ only in which lone surrogate they hold: one key now.
    const insert = first.sqlite.prepare(
      "INSERT INTO users (username_key, username, valid_from, from_run_id) VALUES (?, ?, '2026-02-02T00:00:00.000Z', 1)",
    );
    insert.run('a\ud800', 'a\ud800');
    insert.run('a\ud801', 'a\ud801');
    first.sqlite.prepare("DELETE FROM meta WHERE key LIKE '%text_well_formed'").run();
    first.close();
    const store = openStore(first.path);
    stores.push(store);
    expect(
      store.sqlite
        .prepare('SELECT hex(username_key), valid_to, to_run_id FROM users ORDER BY row_id')
        .raw()
        .all(),
    ).toEqual([
      // Both began together: the one repaired first is closed where both began, by the run that
      // opened them (one of the two has no time of its own either way).
      ['61EFBFBD', '2026-02-02T00:00:00.000Z', 1],
      ['61EFBFBD', null, null],
    ]);
    expect(
      store.sqlite.prepare("SELECT value FROM meta WHERE key = 'roster_text_well_formed'").pluck().get(),
    ).toBe('1');
  });
});

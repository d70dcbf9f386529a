/**
 * The paged roster-as-of diff (counts from aggregates, entries a page at a time) against the
 * implementation it replaced, kept as the oracle (test/helpers/roster-diff-oracle.ts): random
 * histories recorded through the real write path (applyHistory), random instants (before the first
 * run, on a run's instant, between runs, after the last), every count, member delta and entry, in
 * order, paged with random page sizes, with each of the two plans a page can be read with.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Roster, User } from '../../../src/roster/types.js';
import { openStore, type Store } from '../../../src/store/db.js';
import {
  type ChangeCursor,
  loadRosterChangeSummary,
  loadRosterChanges,
  type RosterChange,
} from '../../../src/store/ui-roster.js';
import { aRoster, aTeam, aUser } from '../../helpers/builders.js';
import { loadRosterChangesOracle } from '../../helpers/roster-diff-oracle.js';
import { recordRosterRun } from '../../helpers/ui-history.js';

/** A deterministic pseudo-random sequence, so a failure names a seed that reproduces it. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'];
const TEAMS = ['ops', 'payments', 'search', 'web'];
const START_MS = Date.parse('2026-01-01T00:00:00.000Z');
const HOUR_MS = 3_600_000;

/**
 * A random roster: each user present with some chance, with one of a few versions of their fields
 * (so a later roster may change them, or change them back), spelled in one of two ways (a
 * spelling alone is not a field change); teams present or not, with one of two names; random
 * memberships among those present.
 */
function randomRoster(random: () => number): Roster {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const users: User[] = USERS.filter(() => random() < 0.7).map((name) =>
    aUser(random() < 0.15 ? name.toUpperCase() : name, {
      email: pick([`${name}@example.com`, `${name}@new.example.com`]),
      lastName: pick([name, `${name}-Smith`]),
      displayName: pick([null, `${name} display`]),
      verified: pick([true, false, null]),
    }),
  );
  const teams = TEAMS.filter(() => random() < 0.8).map((slug) =>
    aTeam(slug, pick([`Team ${slug}`, `The ${slug}`])),
  );
  const memberships: [string, string][] = [];
  for (const u of users) for (const t of teams) if (random() < 0.35) memberships.push([u.username, t.slug]);
  return aRoster({ users, teams, memberships });
}

interface History {
  seed: number;
  store: Store;
  /** The instants of its runs. */
  runs: string[];
}

let dir: string;
const histories: History[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-ui-roster-diff-'));
  for (let seed = 1; seed <= 16; seed++) {
    const random = seeded(seed);
    const store = openStore(join(dir, `h${seed}.db`));
    const runs: string[] = [];
    let before = aRoster();
    let at = START_MS;
    const count = 3 + Math.floor(random() * 10);
    for (let r = 0; r < count; r++) {
      // Now and then a roster unchanged from the one before (a run that records nothing).
      const next = r > 0 && random() < 0.15 ? before : randomRoster(random);
      const iso = new Date(at).toISOString();
      recordRosterRun(store, before, next, iso, r === 0 ? 'baseline' : 'ok');
      runs.push(iso);
      before = next;
      at += HOUR_MS * (1 + Math.floor(random() * 5));
    }
    histories.push({ seed, store, runs });
  }
});

afterAll(() => {
  for (const h of histories) h.store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Instants around a history: before it, on and just around each run, between runs, after it. */
function instants(h: History, random: () => number): string[] {
  const first = Date.parse(h.runs[0] as string);
  const last = Date.parse(h.runs[h.runs.length - 1] as string);
  const list = [new Date(first - HOUR_MS).toISOString(), new Date(last + HOUR_MS).toISOString()];
  for (const run of h.runs) {
    const ms = Date.parse(run);
    list.push(run, new Date(ms - 1).toISOString(), new Date(ms + 1).toISOString());
  }
  for (let i = 0; i < 6; i++) list.push(new Date(first + random() * (last - first)).toISOString());
  return list;
}

/** The oracle's diff as one ordered list of entries, in the page's shape. */
function oracleEntries(store: Store, at: string) {
  const o = loadRosterChangesOracle(store, at, Number.MAX_SAFE_INTEGER);
  return {
    counts: o.counts,
    memberDelta: new Map([...o.memberDelta].filter(([, n]) => n !== 0)),
    entries: [
      ...o.usersAdded.map((user) => ({ kind: 'user-added', user })),
      ...o.usersRemoved.map((user) => ({ kind: 'user-removed', user })),
      ...o.usersChanged.map((c) => ({ kind: 'user-changed', ...c })),
      ...o.teamsAdded.map((t) => ({ kind: 'team-added', ...t })),
      ...o.teamsRemoved.map((t) => ({ kind: 'team-removed', ...t })),
      ...o.teamsRenamed.map((t) => ({ kind: 'team-renamed', ...t })),
      ...o.membershipsAdded.map((m) => ({ kind: 'membership-added', ...m })),
      ...o.membershipsRemoved.map((m) => ({ kind: 'membership-removed', ...m })),
    ],
  };
}

/** An entry without its cursor key, to compare with the oracle's. */
const withoutKey = ({ key: _key, ...rest }: RosterChange) => rest;

describe('the paged roster diff equals the full diff it replaced', () => {
  it('on 16 random histories, at every kind of instant: counts, member deltas, entries in order', () => {
    let compared = 0;
    let nonEmpty = 0;
    for (const h of histories) {
      const random = seeded(1000 + h.seed);
      for (const at of instants(h, random)) {
        const expected = oracleEntries(h.store, at);
        const summary = loadRosterChangeSummary(h.store, at);
        const context = `seed ${h.seed} at ${at}`;
        expect(summary.counts, context).toEqual(expected.counts);
        expect(summary.memberDelta, context).toEqual(expected.memberDelta);
        const whole = loadRosterChanges(h.store, at, summary, { limit: 1_000 });
        expect(whole.next, context).toBeUndefined();
        expect(whole.entries.map(withoutKey), context).toEqual(expected.entries);
        // Page by page with a random page size following each page's cursor, with each plan.
        for (const plan of ['range', 'walk'] as const) {
          const limit = 1 + Math.floor(random() * 4);
          const paged: RosterChange[] = [];
          let from: ChangeCursor | undefined;
          for (let pages = 0; pages <= expected.entries.length; pages++) {
            const page = loadRosterChanges(h.store, at, summary, { from, limit, plan });
            expect(page.entries.length, context).toBeLessThanOrEqual(limit);
            paged.push(...page.entries);
            from = page.next;
            if (from === undefined) break;
          }
          expect(from, `${context}: paging ends (${plan})`).toBeUndefined();
          expect(paged, `${context} (${plan})`).toEqual(whole.entries);
        }
        compared++;
        if (expected.entries.length > 0) nonEmpty++;
      }
    }
    // The histories exercise the diff, not only empty ones.
    expect(nonEmpty).toBeGreaterThan(compared / 2);
  });

  it('a cursor at a kind starts there and skips the kinds before it', () => {
    const h = histories.find((x) => {
      const at = x.runs[0] as string;
      const s = loadRosterChangeSummary(x.store, at);
      return s.counts.usersAdded > 0 && s.counts.membershipsAdded > 0;
    }) as History;
    const at = h.runs[0] as string;
    const summary = loadRosterChangeSummary(h.store, at);
    const whole = loadRosterChanges(h.store, at, summary, { limit: 1_000 }).entries;
    const fromMemberships = loadRosterChanges(h.store, at, summary, {
      from: { kind: 'membership-added' },
      limit: 1_000,
    }).entries;
    expect(fromMemberships).toEqual(whole.filter((e) => e.kind.startsWith('membership-')));
  });
});

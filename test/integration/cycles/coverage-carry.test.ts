/**
 * Issue 21: an unchanged roster poll carries the open coverage findings over instead of
 * recomputing them while the memo (coverage-plan.ts) vouches that nothing they were computed from
 * has changed. A carried poll must leave the database as a recomputing one does, and every input
 * the memo keys on must end it.
 *
 * Whether a poll carried or recomputed is seen through a finding row edited behind the cycles' back
 * (a field added to its data): a recomputing poll rewrites it to what it computes, a carried one
 * leaves it as it is.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/clock.js';
import { runPollCycle } from '../../../src/cycles/poll-cycle.js';
import { VictorOpsError } from '../../../src/errors.js';
import type { Exemption } from '../../../src/roster/identity-types.js';
import type { Policy, TeamSchedule } from '../../../src/roster/policy-types.js';
import type { Roster } from '../../../src/roster/types.js';
import { openStore, type Store } from '../../../src/store/db.js';
import { aFetch, aRoster, aTeam, aUser } from '../../helpers/builders.js';
import { createCapturingLogger } from '../../helpers/capture-logger.js';
import { recordPolicyBaseline } from '../../helpers/policy-baseline.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { dumpStore, UUID } from '../../helpers/store-dump.js';

/**
 * Every row, event ids aside (each run draws its own), and the search index's aside (VACUUM INTO
 * does not copy its rows, and no poll here writes it).
 */
const rows = (store: Store) => {
  const { search_text: _, ...rest } = dumpStore(store);
  return JSON.stringify(rest).replace(UUID, 'id');
};

const HOUR_MS = 3_600_000;
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (hours: number) => new Date(T0 + hours * HOUR_MS).toISOString();

const ROSTER: Roster = aRoster({
  users: [aUser('ann'), aUser('Bob', { verified: false }), aUser('cy')],
  teams: [aTeam('team-a'), aTeam('team-b'), aTeam('team-c')],
  memberships: [
    ['ann', 'team-a'],
    ['Bob', 'team-a'],
    ['cy', 'team-b'],
  ],
});

const GONE = { kind: 'user' as const, username: 'gone' };
const PRIMARY = {
  kind: 'rotation' as const,
  rotationLabel: 'Primary',
  rotationSlug: 'primary',
  executionType: 'rotation_group' as const,
};
/** Pages a user who is gone (a dangling reference) and the team's rotation. */
const POLICY: Policy = {
  slug: 'pol-a',
  name: 'Team A primary',
  teamSlug: 'team-a',
  steps: [{ index: 1, timeout: 5, entries: [GONE, PRIMARY] }],
};

/**
 * Bob (unverified) on call from hour 0 to 10, then ann from 12 to 26: nobody on call from 10 to 12
 * and after 26. Read at hour -1, a 2-day window runs to hour 46 (an hour short of the two days).
 */
const SCHEDULE: TeamSchedule = {
  team: { slug: 'team-a', name: 'team-a' },
  fetchedAt: at(-1),
  shifts: [
    { username: 'Bob', start: at(0), end: at(10) },
    { username: 'ann', start: at(12), end: at(26) },
  ].map((s) => ({
    policySlug: 'pol-a',
    policyName: 'Team A primary',
    rotationName: 'Primary',
    shiftName: 'Day',
    ...s,
  })),
};

/** The policy baseline, read at hour -1. */
const recordPolicies = (store: Store) =>
  recordPolicyBaseline(store, [POLICY], { at: at(-1), schedules: [SCHEDULE] });

interface Settings {
  /** The fetch fails (a failed run). */
  down?: boolean;
  daysForward?: number;
  reachExemptions?: Exemption[];
}

async function poll(store: Store, hours: number, settings: Settings = {}) {
  const clock: Clock = { now: () => T0 + hours * HOUR_MS, sleep: async () => {} };
  const { logger } = createCapturingLogger();
  return runPollCycle(
    {
      fetchRoster: async () => {
        if (settings.down)
          throw new VictorOpsError('http', 'GET /api-public/v1/user: HTTP 500', {
            retryable: false,
            path: '/api-public/v1/user',
            status: 500,
          });
        return aFetch(ROSTER);
      },
      oncallDaysForward: settings.daysForward ?? 2,
      ...(settings.reachExemptions ? { reachExemptions: settings.reachExemptions } : {}),
      membershipHints: { setting: 'auto', verifyIntervalMs: 60_000 },
      guard: { maxFraction: 1, min: 1_000_000, confirmations: 1 },
      pollFailingAfter: 3,
      destinations: [],
      source: 'urn:test',
      store,
      clock,
      logger,
    },
    new AbortController().signal,
  );
}

/** A roster with a policy baseline whose first unchanged poll (at hour 1) computed the findings. */
async function baseline(): Promise<Store> {
  const store = await rosterAndPolicies();
  await poll(store, 1);
  return store;
}

/** The roster's baseline at hour -2 and the policies' at hour -1. */
async function rosterAndPolicies(): Promise<Store> {
  const store = openStore(join(scratchDir('rw-carry-'), 'db.sqlite'));
  await poll(store, -2);
  recordPolicies(store);
  return store;
}

/** Marks every open finding's row; what a recomputing poll then rewrites. */
function mark(store: Store): void {
  store.sqlite.exec(`UPDATE findings SET data = json_set(data, '$.marked', 1) WHERE resolved_at IS NULL`);
}
const marked = (store: Store) =>
  (
    store.sqlite
      .prepare(
        `SELECT COUNT(*) AS n FROM findings WHERE resolved_at IS NULL AND json_extract(data, '$.marked') = 1`,
      )
      .get() as { n: number }
  ).n;
const openCount = (store: Store) =>
  (
    store.sqlite.prepare('SELECT COUNT(*) AS n FROM findings WHERE resolved_at IS NULL').get() as {
      n: number;
    }
  ).n;

const MEMO = 'findings.coverage.memo';
/** Rewrites the stored memo as `edit` says, behind the cycles' back. */
function editMemo(store: Store, edit: (memo: Record<string, unknown>) => Record<string, unknown>): void {
  const value = store.sqlite.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(MEMO) as string;
  store.sqlite
    .prepare('UPDATE meta SET value = ? WHERE key = ?')
    .run(JSON.stringify(edit(JSON.parse(value))), MEMO);
}

function copyOf(store: Store): Store {
  const path = join(scratchDir('rw-carry-'), 'db.sqlite');
  store.sqlite.exec(`VACUUM INTO '${path}'`);
  return openStore(path);
}

describe('coverage findings carried over by an unchanged poll', () => {
  it('carries them over while nothing changed and time has not reached the horizon', async () => {
    const store = await baseline();
    try {
      // Findings: the dangling reference, team-c without members, team-b without a policy, Bob
      // unverified on call, and nobody on call (10 to 12).
      expect(openCount(store)).toBe(5);
      mark(store);
      // Before Bob's shift ends (hour 10), the first boundary ahead.
      for (const hours of [1.5, 5, 9.99]) {
        const result = await poll(store, hours);
        expect(result.status).toBe('ok');
        expect(result.events).toEqual([]);
        expect(marked(store)).toBe(5);
      }
      // Hour 10: Bob's shift ends; the window's start has reached a boundary.
      await poll(store, 10);
      expect(marked(store)).toBe(0);
    } finally {
      store.close();
    }
  });

  it('leaves the database as a recomputing poll does (findings, seen runs, memo and all)', async () => {
    // 10.5 and 30: nobody on call from now (a finding holding the window's start).
    for (const hours of [1.25, 5, 9.99, 10, 10.5, 30]) {
      const store = await baseline();
      // The same database; its memo deleted before each poll, so each recomputes.
      const full = copyOf(store);
      const forget = () => full.sqlite.exec("DELETE FROM meta WHERE key = 'findings.coverage.memo'");
      try {
        const carried = await poll(store, hours);
        forget();
        const recomputed = await poll(full, hours);
        expect(JSON.stringify(carried.events).replace(UUID, 'id')).toBe(
          JSON.stringify(recomputed.events).replace(UUID, 'id'),
        );
        expect(carried.status).toBe(recomputed.status);
        expect(rows(store)).toBe(rows(full));
        // The next poll of each sees the same.
        await poll(store, hours + 0.001);
        forget();
        await poll(full, hours + 0.001);
        expect(rows(store)).toBe(rows(full));
      } finally {
        store.close();
        full.close();
      }
    }
  });

  it('the end of the read window is a boundary too', async () => {
    // A one-day window read at hour -1 ends at hour 22 (an hour short of the day): from then on no
    // rotation is judged for nobody on call. No shift starts or ends between hours 12 and 26.
    const store = await rosterAndPolicies();
    try {
      await poll(store, 20, { daysForward: 1 });
      mark(store);
      await poll(store, 21.5, { daysForward: 1 });
      expect(marked(store)).toBe(openCount(store));
      await poll(store, 22, { daysForward: 1 });
      expect(marked(store)).toBe(0);
    } finally {
      store.close();
    }
  });

  it('ends with any later run, another ONCALL_DAYS_FORWARD or REACH_EXEMPT, another build, or a memo it cannot trust', async () => {
    const cases: [string, (store: Store) => Promise<unknown> | unknown, Settings][] = [
      ['another run (a failed poll)', (store) => poll(store, 1.2, { down: true }), {}],
      ['ONCALL_DAYS_FORWARD', () => {}, { daysForward: 3 }],
      ['REACH_EXEMPT', () => {}, { reachExemptions: [{ pattern: 'k-*', reason: 'test' }] }],
      [
        'a memo another build wrote',
        (store) => editMemo(store, (memo) => ({ ...memo, code: 'file:///other.js' })),
        {},
      ],
      [
        'a memo that is not JSON',
        (store) => store.sqlite.exec(`UPDATE meta SET value = '{' WHERE key = '${MEMO}'`),
        {},
      ],
      [
        'a memo whose time is after the poll',
        (store) => editMemo(store, (memo) => ({ ...memo, at: at(2) })),
        {},
      ],
    ];
    for (const [name, between, settings] of cases) {
      const store = await baseline();
      try {
        mark(store);
        await between(store);
        await poll(store, 1.5, settings);
        expect({ name, marked: marked(store) }).toEqual({ name, marked: 0 });
      } finally {
        store.close();
      }
    }
  });
});

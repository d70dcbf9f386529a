/**
 * Issue 21: a policy poll's findings read the roster through loadCurrentCoverageRoster (users,
 * teams, member counts) instead of the whole recorded roster. Differential: the same policy polls
 * on copies of one database, one as it runs and one with the whole roster put back in its place,
 * must leave every row the same.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../../src/clock.js';
import { runPolicyPollCycle } from '../../../src/cycles/policy-cycle.js';
import { createSilentLogger } from '../../../src/logger.js';
import type { Policy, TeamSchedule } from '../../../src/roster/policy-types.js';
import type { Roster } from '../../../src/roster/types.js';
import { openStore, type Store } from '../../../src/store/db.js';
import { aFetch, arbitraryRoster, USERNAMES } from '../../helpers/builders.js';
import { pollOnce } from '../../helpers/record-rosters.js';
import { dumpStore, UUID } from '../../helpers/store-dump.js';

const path = vi.hoisted(() => ({ whole: false }));
vi.mock('../../../src/store/history.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../src/store/history.js')>();
  return {
    ...original,
    loadCurrentCoverageRoster: (store: Store) =>
      path.whole ? original.loadCurrentRoster(store) : original.loadCurrentCoverageRoster(store),
  };
});

const HOUR_MS = 3_600_000;
// After the roster's baseline, which pollOnce records at the system clock's time: run times only
// move forward, and the shifts must be in the findings' window.
const T0 = Date.now();
const at = (hours: number) => new Date(T0 + hours * HOUR_MS).toISOString();
const TEAMS = ['team-a', 'team-b', 'team-c', 'team-d'];
/** The rosters' usernames (so the policies page and schedule people the roster has), and one never in it. */
const PEOPLE = [...USERNAMES, 'gone'];

type PolicySpec = { team: string; paged: number[]; onCall: [number, number][] };

/** Per team: whom its policy pages by name (indexes into PEOPLE) and who is on call when. */
const arbitraryPolicies = fc.uniqueArray(
  fc.record({
    team: fc.constantFrom(...TEAMS),
    paged: fc.uniqueArray(fc.nat(PEOPLE.length - 1), { maxLength: 3 }),
    onCall: fc.array(fc.tuple(fc.nat(PEOPLE.length - 1), fc.integer({ min: -4, max: 60 })), { maxLength: 6 }),
  }),
  { maxLength: 4, selector: (p) => p.team },
);

function fetchedFor(spec: PolicySpec[], hours: number) {
  const policies: Policy[] = spec.map((p) => ({
    slug: `pol-${p.team}`,
    name: `${p.team} primary`,
    teamSlug: p.team,
    steps: [
      {
        index: 1,
        timeout: 5,
        entries: [
          ...p.paged.map((i) => ({ kind: 'user' as const, username: PEOPLE[i]! })),
          {
            kind: 'rotation' as const,
            rotationLabel: 'Primary',
            rotationSlug: 'primary',
            executionType: 'rotation_group' as const,
          },
        ],
      },
    ],
  }));
  const schedules: TeamSchedule[] = spec.map((p) => ({
    team: { slug: p.team, name: p.team },
    fetchedAt: at(hours),
    shifts: p.onCall.map(([i, fromH]) => ({
      policySlug: `pol-${p.team}`,
      policyName: `${p.team} primary`,
      rotationName: 'Primary',
      shiftName: 'Day',
      username: PEOPLE[i]!,
      start: at(hours + fromH),
      end: at(hours + fromH + 12),
    })),
  }));
  const stats = { requests: 1, retries: 0, rateLimited: 0 };
  return { policies, schedules, failedScopes: [], stats, startedAt: at(hours), finishedAt: at(hours) };
}

async function policyPoll(store: Store, spec: PolicySpec[], hours: number): Promise<void> {
  const clock: Clock = { now: () => T0 + hours * HOUR_MS, sleep: async () => {} };
  await runPolicyPollCycle(
    {
      store,
      clock,
      logger: createSilentLogger(),
      source: 'urn:test',
      policyListMinIntervalMs: 0,
      pollFailingAfter: 3,
      oncallDaysForward: 2,
      whenListTooSoon: 'refuse',
      fetchPolicies: async () => fetchedFor(spec, hours),
      destinations: [],
    },
    new AbortController().signal,
  );
}

/** Every row, event ids aside (each run draws its own). */
const rows = (store: Store) => JSON.stringify(dumpStore(store)).replace(UUID, 'id');

describe('a policy poll’s findings on the roster’s users, teams and member counts', () => {
  it('leave every row as the whole roster does (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbitraryRoster,
        // Each user's verified flag drawn again: unverified and unknown (null) are judged apart.
        fc.array(fc.constantFrom(true, false, null), { minLength: 8, maxLength: 8 }),
        arbitraryPolicies,
        arbitraryPolicies,
        async (drawn: Roster, verified, first, second) => {
          const roster = {
            ...drawn,
            users: drawn.users.map((u, i) => ({ ...u, verified: verified[i] ?? null })),
          };
          const lean = openStore(join(mkdtempSync(join(tmpdir(), 'rw-policy-roster-')), 'db.sqlite'));
          await pollOnce(lean, () => aFetch(roster));
          // A page-for-page copy (SQLite's backup), so both polls start from the very same rows.
          const copy = join(mkdtempSync(join(tmpdir(), 'rw-policy-roster-')), 'db.sqlite');
          await lean.sqlite.backup(copy);
          const whole = openStore(copy);
          try {
            for (const [store, isWhole] of [
              [lean, false],
              [whole, true],
            ] as const) {
              path.whole = isWhole;
              await policyPoll(store, first, 1);
              await policyPoll(store, second, 2);
            }
            expect(rows(lean)).toEqual(rows(whole));
          } finally {
            path.whole = false;
            lean.close();
            whole.close();
            for (const file of [lean.path, copy]) rmSync(dirname(file), { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

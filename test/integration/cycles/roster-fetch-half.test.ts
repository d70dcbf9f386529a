/**
 * The roster cycle's fetch half loads the recorded membership hints and logs the request plan
 * itself, so the App only wires the fetch (issue 24 item 2).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type PollCycleDeps, type RosterFetchPlan, runPollCycle } from '../../../src/cycles/poll-cycle.js';
import { openStore, type Store } from '../../../src/store/db.js';
import { loadHintsUnreliable, markHintsUnreliable } from '../../../src/store/team-hints.js';
import { aFetch, aRoster } from '../../helpers/builders.js';
import { createCapturingLogger } from '../../helpers/capture-logger.js';
import { createFakeClock, FAKE_CLOCK_START_MS } from '../../helpers/fake-clock.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

const stores: Store[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function setUp(membershipHints: PollCycleDeps['membershipHints']) {
  const store = openStore(join(scratchDir('rw-fetch-half-'), 'db.sqlite'));
  stores.push(store);
  const { logger, lines } = createCapturingLogger();
  const plans: RosterFetchPlan[] = [];
  const deps: PollCycleDeps = {
    store,
    clock: createFakeClock(),
    logger,
    source: 'urn:test',
    destinations: [],
    guard: { maxFraction: 1, min: 1_000_000, confirmations: 1 },
    pollFailingAfter: 3,
    fetchRoster: async (_signal, plan) => {
      plans.push(plan);
      plan.onPlan({ mode: 'full', scopes: 4, strategy: 'team', reason: 'no previous poll' });
      // A team read in full and consistent with its listing: the hints were checked.
      const hints = {
        listed: [{ slug: 'team-a', version: 1, memberCount: 0 }],
        read: ['team-a'],
        carried: [],
        verified: [],
      };
      return aFetch(aRoster(), { hints });
    },
    ...(membershipHints ? { membershipHints } : {}),
  };
  return { deps, plans, lines };
}

describe("the roster cycle's fetch half", () => {
  it('hands the fetch the hints recorded in the store, read with the configured settings', async () => {
    const { deps, plans } = setUp({ setting: 'auto', verifyIntervalMs: 3_600_000 });
    await runPollCycle(deps, new AbortController().signal);
    await runPollCycle(deps, new AbortController().signal);
    expect(plans).toHaveLength(2);
    expect(plans[0]?.hints).toMatchObject({
      setting: 'auto',
      verifyIntervalMs: 3_600_000,
      lastPollAtMs: null,
    });
    expect(plans[0]?.hints?.nowMs).toBe(FAKE_CLOCK_START_MS);
    // The second poll's hints see the first one, recorded in between.
    expect(plans[1]?.hints?.lastPollAtMs).toBe(FAKE_CLOCK_START_MS);
  });

  it('hands no hints without the settings, so every team is read', async () => {
    const { deps, plans } = setUp(undefined);
    await runPollCycle(deps, new AbortController().signal);
    expect(plans).toHaveLength(1);
    expect(plans[0]?.hints).toBeUndefined();
  });

  it('logs the request plan with the requests it costs: the two lists and the memberships', async () => {
    const { deps, lines } = setUp({ setting: 'off', verifyIntervalMs: 3_600_000 });
    await runPollCycle(deps, new AbortController().signal);
    const planLine = lines()
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.requestsPlanned !== undefined);
    expect(planLine).toMatchObject({
      requestsPlanned: 6,
      plan: 'full',
      msg: 'requests planned: 2 lists + 4 teams (no previous poll)',
    });
  });

  it.each([
    ['auto', null],
    ['off', 'team-a'],
  ] as const)(
    'with MEMBERSHIP_HINTS=%s, a mark whose last contradiction is older than the verify interval is cleared (null) or left (%s)',
    async (setting, left) => {
      const { deps } = setUp({ setting, verifyIntervalMs: 3_600_000 });
      await runPollCycle(deps, new AbortController().signal); // the baseline reads every team
      markHintsUnreliable(deps.store, {
        teamSlug: 'team-a',
        runId: 1,
        since: '2020-01-01T00:00:00.000Z',
        lastContradictionAt: '2020-01-01T00:00:00.000Z',
      });
      await runPollCycle(deps, new AbortController().signal);
      expect(loadHintsUnreliable(deps.store)?.teamSlug ?? null).toBe(left);
    },
  );
});

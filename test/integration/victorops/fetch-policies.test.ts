import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../../src/clock.js';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';
import { fetchPolicies } from '../../../src/victorops/fetch-policies.js';
import { policyListSchema } from '../../../src/victorops/schemas.js';
import { clientFor } from '../../helpers/client.js';
import { createFakeClock } from '../../helpers/fake-clock.js';

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ users: 30, teams: 5, seed: 5 });
});
afterEach(async () => {
  await sim.close();
});

const listCalls = () => sim.stats.entries().filter((e) => e.path.split('?')[0]?.endsWith('/v1/policies'));

function fetchAll(client: ReturnType<typeof clientFor>, signal?: AbortSignal, clock: Clock = systemClock) {
  return fetchPolicies({
    client,
    clock,
    teams: sim.org.listTeams().map((t) => ({ slug: t.slug, name: t.name })),
    daysForward: 14,
    concurrency: 4,
    ...(signal ? { signal } : {}),
  });
}

describe('fetchPolicies against the simulator', () => {
  it('reads every policy with its steps and every team schedule', async () => {
    const client = clientFor(sim);
    try {
      const fetched = await fetchAll(client);
      expect(fetched.failedScopes).toEqual([]);
      expect(fetched.policies.map((p) => p.slug)).toEqual(
        sim.org
          .listPolicies()
          .map((p) => p.slug)
          .sort(),
      );
      const sample = sim.org.listPolicies()[0]!;
      const mine = fetched.policies.find((p) => p.slug === sample.slug)!;
      expect(mine.teamSlug).toBe(sample.teamSlug);
      expect(mine.steps.map((s) => s.entries.length)).toEqual(sample.steps.map((s) => s.entries.length));
      expect(fetched.schedules).toHaveLength(sim.org.listTeams().length);
      const shifts = fetched.schedules.flatMap((s) => s.shifts);
      expect(shifts.length).toBe(sim.org.listShifts().length);
      expect(listCalls()).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('a policy whose detail cannot be read is a failed scope, not a missing policy', async () => {
    const victim = sim.org.listPolicies()[0]!;
    sim.faults.inject({ match: `/v1/policies/${victim.slug}`, kind: 'http500', times: 100 });
    const client = clientFor(sim, { maxRetries: 1 });
    try {
      const fetched = await fetchAll(client);
      expect(fetched.failedScopes).toEqual([expect.objectContaining({ kind: 'policy', slug: victim.slug })]);
      expect(fetched.policies.some((p) => p.slug === victim.slug)).toBe(false);
    } finally {
      await client.close();
    }
  });

  it('a schedule in the wrong shape is retried once, then fails its scope naming the endpoint class and field', async () => {
    const team = sim.org.listTeams()[0]!;
    const path = `/v2/team/${team.slug}/oncall/schedule`;
    sim.faults.inject({ match: path, kind: 'wrongShape200', times: 100 });
    const client = clientFor(sim, { maxRetries: 5 });
    try {
      const fetched = await fetchAll(client);
      expect(fetched.failedScopes).toEqual([
        {
          kind: 'team-schedule',
          teamSlug: team.slug,
          reason: 'v2/team/{team}/oncall/schedule: schedules[0].schedule[0].rolls[0].start: expected string',
        },
      ]);
      expect(sim.stats.entries().filter((e) => e.path.split('?')[0]?.endsWith(path))).toHaveLength(2);
      expect(client.shapeErrors()).toEqual({ 'v2/team/{team}/oncall/schedule': 2 });
    } finally {
      await client.close();
    }
  });

  it('a schedule in the wrong shape once is read on the retry', async () => {
    const team = sim.org.listTeams()[0]!;
    sim.faults.inject({ match: `/v2/team/${team.slug}/oncall/schedule`, kind: 'wrongShape200', times: 1 });
    const client = clientFor(sim);
    try {
      expect((await fetchAll(client)).failedScopes).toEqual([]);
    } finally {
      await client.close();
    }
  });

  // The interval is held on the client's clock: a fake one shows what the gate decided to wait
  // for, where a server-side gap measured in real time flaked on a loaded machine.
  it('two polls in one process never call the policy list twice within its interval', async () => {
    sim.setPolicyListLimit(0);
    const clock = createFakeClock();
    const client = clientFor(sim, { clock, endpointMinIntervalMs: { 'v1/policies': 60_000 } });
    try {
      const both = Promise.all([fetchAll(client, undefined, clock), fetchAll(client, undefined, clock)]);
      // The first list request is let through before the gate decides; wait until it lands and
      // the second one sleeps at the gate.
      await sim.stats.arrived({ path: '/v1/policies' });
      await clock.nextSleepDue();
      expect(clock.sleeping()).toEqual([60_000]);
      await clock.advance(59_999);
      expect(clock.sleeping()).toEqual([1]);
      expect(listCalls()).toHaveLength(1);
      await clock.advance(1);
      const [first, second] = await both;
      expect([first.failedScopes, second.failedScopes]).toEqual([[], []]);
      expect(listCalls()).toHaveLength(2);
      expect(sim.stats.count({ path: '/v1/policies', status: 429 })).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('retries a refused policy list call after its backoff, not after another whole interval', async () => {
    const clock = createFakeClock();
    const client = clientFor(sim, { clock, endpointMinIntervalMs: { 'v1/policies': 60_000 } });
    try {
      sim.faults.inject({ match: '/v1/policies', kind: 'http429', times: 1 });
      const startedMs = clock.now();
      const list = await clock.runUntilSettled(client.get('/v1/policies', policyListSchema));
      expect(list.length).toBeGreaterThan(0);
      expect(listCalls().map((e) => e.status)).toEqual([429, 200]);
      // The refused call did not use the list's allowance: only the budget's one-second pause after
      // a rate-limited answer was waited, not the list's minute.
      expect(clock.now() - startedMs).toBe(1_000);
    } finally {
      await client.close();
    }
  });

  it('with the default one-minute interval the second poll waits instead of calling', async () => {
    const clock = createFakeClock();
    const client = clientFor(sim, { clock, endpointMinIntervalMs: { 'v1/policies': 60_000 } });
    try {
      await fetchAll(client, undefined, clock);
      const controller = new AbortController();
      const second = fetchAll(client, controller.signal, clock);
      await clock.nextSleepDue();
      expect(clock.sleeping()).toEqual([60_000]);
      expect(listCalls()).toHaveLength(1);
      controller.abort();
      await expect(second).rejects.toThrow();
      expect(listCalls()).toHaveLength(1);
      expect(sim.stats.count({ status: 429 })).toBe(0);
    } finally {
      await client.close();
    }
  });
});

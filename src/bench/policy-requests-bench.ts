/**
 * What reading routing keys adds to a policy poll: the requests of one policy fetch against a
 * simulated org with routing keys, by endpoint. The keys are one request whatever the org's size
 * (`GET /v1/org/routing-keys` lists them all); the rest is 1 list + 1 detail per policy + 1
 * schedule per team, as before.
 */
import { systemClock } from '../clock.js';
import { startSimulator } from '../simulator/simulator.js';
import { fetchPolicies } from '../victorops/fetch-policies.js';
import { createBenchClient } from './fetch-bench.js';

export interface PolicyRequestsRow {
  users: number;
  teams: number;
  policies: number;
  routingKeys: number;
  requests: number;
  list: number;
  details: number;
  schedules: number;
  routingKeyRequests: number;
  seconds: number;
}

export async function benchPolicyRequests(options: {
  users: number;
  teams: number;
  rps: number;
}): Promise<PolicyRequestsRow> {
  const sim = await startSimulator({
    users: options.users,
    teams: options.teams,
    seed: 7,
    routingKeys: true,
  });
  const client = createBenchClient(sim.url, options.rps);
  try {
    const started = performance.now();
    const fetched = await fetchPolicies({
      client,
      clock: systemClock,
      teams: sim.org.listTeams().map((t) => ({ slug: t.slug, name: t.name })),
      daysForward: 14,
      concurrency: 4,
    });
    const seconds = (performance.now() - started) / 1000;
    const count = (path: string) => sim.stats.count({ path });
    return {
      users: options.users,
      teams: options.teams,
      policies: fetched.policies.length,
      routingKeys: fetched.routingKeys?.length ?? 0,
      requests: fetched.stats.requests,
      list: sim.stats.entries().filter((e) => e.path.replace(/\?.*$/, '').endsWith('/v1/policies')).length,
      details: count('/v1/policies/'),
      schedules: count('/oncall/schedule'),
      routingKeyRequests: count('/v1/org/routing-keys'),
      seconds,
    };
  } finally {
    await client.close();
    await sim.close();
  }
}

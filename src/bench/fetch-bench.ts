/**
 * Fetch pacing: how close each membership strategy comes to the ideal `requests / VO_MAX_RPS`
 * when the server enforces exactly that rate.
 */
import { systemClock } from '../clock.js';
import { startSimulator } from '../simulator/index.js';
import { createVictorOpsClient } from '../victorops/client.js';
import { fetchRoster, type MembershipSourceSetting } from '../victorops/fetch-roster.js';

export interface FetchBenchRow {
  strategy: MembershipSourceSetting;
  chosen: string;
  requests: number;
  seconds: number;
  idealSeconds: number;
  ratio: number;
  rateLimited: number;
  retries: number;
  users: number;
  teams: number;
  memberships: number;
}

export async function benchFetch(options: {
  users: number;
  teams: number;
  rps: number;
  strategies: MembershipSourceSetting[];
}): Promise<FetchBenchRow[]> {
  const sim = await startSimulator({
    users: options.users,
    teams: options.teams,
    seed: 7,
    rateLimit: { rps: options.rps, status: 403, retryAfter: false },
  });
  const rows: FetchBenchRow[] = [];
  try {
    for (const strategy of options.strategies) {
      const client = createVictorOpsClient({
        baseUrl: sim.url,
        apiId: 'sim-api-id',
        apiKey: 'sim-api-key',
        maxRps: options.rps,
        concurrency: 4,
        timeoutMs: 30_000,
        maxRetries: 5,
        clock: systemClock,
      });
      // Let the server's sliding window empty between strategies.
      await new Promise((r) => setTimeout(r, 1_100));
      const started = performance.now();
      const fetched = await fetchRoster({ client, clock: systemClock, source: strategy, concurrency: 4, deadlineMs: 3_600_000 });
      const seconds = (performance.now() - started) / 1000;
      await client.close();
      const idealSeconds = fetched.stats.requests / options.rps;
      rows.push({
        strategy,
        chosen: fetched.strategy,
        requests: fetched.stats.requests,
        seconds,
        idealSeconds,
        ratio: seconds / idealSeconds,
        rateLimited: fetched.stats.rateLimited,
        retries: fetched.stats.retries,
        users: fetched.roster.users.length,
        teams: fetched.roster.teams.length,
        memberships: fetched.roster.memberships.length,
      });
    }
  } finally {
    await sim.close();
  }
  return rows;
}

/**
 * Fetch pacing: how close each membership strategy comes to the ideal `requests / VO_MAX_RPS`
 * when the server enforces exactly that rate.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../clock.js';
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

/** A client of the simulator as the benchmarks use it: 4 at a time, paced at `rps`. */
export function createBenchClient(baseUrl: string, rps: number) {
  return createVictorOpsClient({
    baseUrl,
    apiId: 'sim-api-id',
    apiKey: 'sim-api-key',
    maxRps: rps,
    concurrency: 4,
    timeoutMs: 30_000,
    maxRetries: 5,
    clock: systemClock,
  });
}

export async function benchFetch(options: {
  users: number;
  teams: number;
  rps: number;
  strategies: MembershipSourceSetting[];
}): Promise<FetchBenchRow[]> {
  // The simulator runs in a process of its own, as VictorOps would: in this process, the
  // client's JSON parsing would stall the server's clock and distort its rate-limit window.
  const sim = await startSimulatorProcess([
    '--users',
    String(options.users),
    '--teams',
    String(options.teams),
    '--seed',
    '7',
    '--rate-limit',
    String(options.rps),
    '--rate-limit-status',
    '403',
  ]);
  const rows: FetchBenchRow[] = [];
  try {
    for (const strategy of options.strategies) {
      const client = createBenchClient(sim.url, options.rps);
      // Warm the simulator's cached user list (a simulator artefact, not the client's cost), then
      // let the server's sliding window empty.
      await fetch(`${sim.url}/v1/user`, {
        headers: { 'x-vo-api-id': 'sim-api-id', 'x-vo-api-key': 'sim-api-key' },
      });
      await new Promise((r) => setTimeout(r, 1_100));
      const started = performance.now();
      const fetched = await fetchRoster({
        client,
        clock: systemClock,
        source: strategy,
        concurrency: 4,
        deadlineMs: 3_600_000,
      });
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
    sim.child.kill('SIGTERM');
    await once(sim.child, 'exit');
  }
  return rows;
}

export async function startSimulatorProcess(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
  const child = spawn(process.execPath, [cli, 'simulate', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Read with a listener that stays: leaving a for-await loop would destroy the pipe, and the
  // simulator's next line (a drift change) would then kill it with EPIPE.
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += String(chunk);
      const match = /listening on (\S+)/.exec(output);
      if (match?.[1]) resolve({ url: match[1], child });
    });
    child.once('exit', () => reject(new Error(`the simulator did not start: ${output}`)));
  });
}

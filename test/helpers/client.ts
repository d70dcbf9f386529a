import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../src/clock.js';
import type { FetchedRoster } from '../../src/roster/types.js';
import type { Simulator } from '../../src/simulator/simulator.js';
import {
  createVictorOpsClient,
  type VictorOpsClient,
  type VictorOpsClientOptions,
} from '../../src/victorops/client.js';
import { fetchRoster, type MembershipSourceSetting } from '../../src/victorops/fetch-roster.js';

export const SIM_KEY = 'sim-api-key';

export function clientFor(sim: Simulator, overrides: Partial<VictorOpsClientOptions> = {}): VictorOpsClient {
  return createVictorOpsClient({
    baseUrl: sim.url,
    apiId: 'sim-api-id',
    apiKey: SIM_KEY,
    maxRps: 200,
    concurrency: 4,
    timeoutMs: 2_000,
    maxRetries: 5,
    clock: systemClock,
    backoffBaseMs: 20,
    backoffCapMs: 200,
    ...overrides,
  });
}

export async function fetchFrom(
  client: VictorOpsClient,
  source: MembershipSourceSetting,
  deadlineMs = 30_000,
): Promise<FetchedRoster> {
  return fetchRoster({ client, clock: systemClock, source, concurrency: 4, deadlineMs });
}

/**
 * Runs `use` with the real client pointed at a real HTTP server on 127.0.0.1 that answers with
 * `handler`: no retries, so each call is one request the handler sees. Both are closed after.
 */
export async function withServedClient<T>(
  handler: RequestListener,
  use: (client: VictorOpsClient) => Promise<T>,
  overrides: Partial<VictorOpsClientOptions> = {},
): Promise<T> {
  const server = createServer(handler);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const client = createVictorOpsClient({
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api-public`,
    apiId: 'id',
    apiKey: 'key',
    maxRps: 100,
    concurrency: 1,
    timeoutMs: 5_000,
    maxRetries: 0,
    clock: systemClock,
    ...overrides,
  });
  try {
    return await use(client);
  } finally {
    await client.close();
    await new Promise((done) => server.close(done));
  }
}

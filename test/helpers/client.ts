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

/**
 * The App wired as `roster-watch poll` wires it, against a simulator: for tests whose subject is
 * what the application records, so nothing hands the poll a fetcher of its own.
 */

import type { App } from '../../src/app/types.js';
import { createApp } from '../../src/app.js';
import type { Clock } from '../../src/clock.js';
import { type Config, loadConfig } from '../../src/config/load-config.js';
import type { PollResult } from '../../src/cycles/poll-cycle.js';
import { createSilentLogger, type Logger } from '../../src/logger.js';
import type { Simulator } from '../../src/simulator/simulator.js';

/** A configuration pointing at the simulator and the database file; `env` adds or overrides. */
export function simConfig(sim: Simulator, databasePath: string, env: Record<string, string> = {}): Config {
  return loadConfig(
    {
      VO_API_ID: 'sim-api-id',
      VO_API_KEY: 'sim-api-key',
      VO_BASE_URL: sim.url,
      VO_MAX_RPS: '500',
      DATABASE_PATH: databasePath,
      ...env,
    },
    { requireVictorOps: true },
  );
}

/** Runs `use` with an App of its own and closes it, like one CLI command. */
export async function withApp<T>(
  config: Config,
  use: (app: App) => T | Promise<T>,
  options: { clock?: Clock; logger?: Logger } = {},
): Promise<T> {
  const app = createApp({ config, logger: options.logger ?? createSilentLogger(), ...options });
  try {
    return await use(app);
  } finally {
    await app.close();
  }
}

/** One roster poll by an App of its own (one `roster-watch poll --no-deliver`). */
export function pollOnce(
  config: Config,
  options: { clock?: Clock; logger?: Logger } = {},
): Promise<PollResult> {
  return withApp(config, (app) => app.pollRoster(new AbortController().signal), options);
}

/** Gives every simulated user the same contacts: e.g. an unverified phone and no app (unreachable). */
export function setEveryonesContacts(
  sim: Simulator,
  profile: Parameters<Simulator['contacts']['set']>[2],
): void {
  for (const u of sim.org.listUsers()) sim.contacts.set(u.username, u.email, profile);
}

/** The profile of issue 18's example: texts an unverified phone, then pushes to an app nobody installed. */
export const UNREACHABLE_PROFILE: Parameters<Simulator['contacts']['set']>[2] = {
  phoneVerified: false,
  emailVerified: true,
  devices: [],
  policy: [['sms', 'push']],
};

import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';

/**
 * The problems `loadConfig` names for this environment, in its order; [] when the configuration
 * loads. Any error other than a ConfigError is thrown on, so a crash never passes as "no problems".
 */
export function configProblems(env: Record<string, string>, requireVictorOps = true): string[] {
  try {
    loadConfig(env, { requireVictorOps });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

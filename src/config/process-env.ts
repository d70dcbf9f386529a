/**
 * The one reader of process.env (biome's noProcessEnv allows it here and nowhere else in src/):
 * entry points hand this record to loadConfig, so every other module gets its values from Config.
 */
import type { Env } from './reader.js';

export function readProcessEnv(): Env {
  return process.env;
}

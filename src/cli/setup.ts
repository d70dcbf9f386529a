/** What most commands do first: read the configuration and make a logger from it. */

import type { App } from '../app/types.js';
import { createApp } from '../app.js';
import { type Config, loadConfig } from '../config/load-config.js';
import { findPlainHttpWarnings } from '../config/transport-warnings.js';
import { ConfigError, InvalidOptionError } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import type { CliContext } from './context.js';
import { createProgressReporter } from './progress.js';

export function loadCliConfig(ctx: CliContext, requireVictorOps: boolean): Config {
  return loadConfig(ctx.env, { requireVictorOps });
}

/**
 * For commands that write events without talking to VictorOps (`accept`, `deliver`): their events
 * must carry the same CloudEvents `source` as the poll's, which comes from VO_API_ID.
 */
export function loadEventWritingConfig(ctx: CliContext): Config {
  const config = loadConfig(ctx.env, { requireVictorOps: false });
  if (ctx.env.EVENT_SOURCE === undefined && (ctx.env.VO_API_ID ?? '').trim() === '') {
    throw new ConfigError([
      'VO_API_ID is required (or EVENT_SOURCE): this command writes events, which must carry the same source as the poll’s',
    ]);
  }
  return config;
}

/** The logger of commands that talk to VictorOps or deliver; it warns about plain-http URLs first. */
export function createCliLogger(config: Config): Logger {
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  for (const warning of findPlainHttpWarnings(config)) logger.warn(warning);
  return logger;
}

/**
 * The App of a command that reads the roster from VictorOps (`fetch`, `poll`): VictorOps settings
 * required, transport warnings logged, and the fetch's progress and retries on stderr through
 * `progress`, which the command finishes once the roster is read.
 */
export function createRosterReadingApp(ctx: CliContext): {
  app: App;
  progress: ReturnType<typeof createProgressReporter>;
} {
  const config = loadCliConfig(ctx, true);
  const progress = createProgressReporter(ctx);
  const app = createApp({
    config,
    logger: createCliLogger(config),
    onFetchProgress: progress.onProgress,
    onRetry: progress.onRetry,
  });
  return { app, progress };
}

/**
 * The App of a command that only reads the recorded history: its logger prints no transport
 * warnings (nothing is sent), and nothing but the database is opened, lazily.
 */
export function createReadApp(config: Config): App {
  return createApp({ config, logger: createLogger({ level: config.logLevel, format: config.logFormat }) });
}

export function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1)
    throw new InvalidOptionError(`${flag} must be a whole number of 1 or more, got "${value}"`);
  return n;
}

/** What most commands do first: read the configuration and make a logger from it. */
import { type Config, loadConfig } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import type { CliContext } from './context.js';

export function loadCliConfig(ctx: CliContext, requireVictorOps: boolean): Config {
  return loadConfig(ctx.env, { requireVictorOps });
}

export function createCliLogger(config: Config): Logger {
  return createLogger({ level: config.logLevel, format: config.logFormat });
}

/** Parses `--since 7d` / `--since 12h` / an ISO instant into an ISO instant. */
export function parseSince(value: string, nowMs: number, flag = '--since'): string {
  const relative = /^(\d+)(m|h|d)$/.exec(value.trim());
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm' | 'h' | 'd'];
    return new Date(nowMs - Number(relative[1]) * unit).toISOString();
  }
  return parseInstant(value, flag);
}

/** Parses an ISO-8601 date or instant; a bare date means midnight UTC. */
export function parseInstant(value: string, flag: string): string {
  const ms = Date.parse(value.trim());
  if (!/^\d{4}-\d{2}-\d{2}/.test(value.trim()) || Number.isNaN(ms)) {
    throw new InvalidOptionError(
      `${flag} must be an ISO-8601 date or time such as 2026-03-03 or 2026-03-03T14:00:00Z, got "${value}"`,
    );
  }
  return new Date(ms).toISOString();
}

export function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1)
    throw new InvalidOptionError(`${flag} must be a whole number of 1 or more, got "${value}"`);
  return n;
}

/** A bad option value: exit code 2 with this one line. */
export class InvalidOptionError extends Error {
  readonly code = 'usage';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOptionError';
  }
}

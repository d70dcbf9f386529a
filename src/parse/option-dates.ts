/**
 * The dates a command line takes (`--at`, `--until`, `--since`, `--from`, `<time>`): an ISO date or
 * instant (src/parse/instant.ts), or for `--since` a duration back from now; a usage error names the flag.
 */
import { InvalidOptionError } from '../errors.js';
import { parseIsoInstant } from './instant.js';

/** What every `--since` accepts, as its --help says it (history, redeliver). */
export const SINCE_HELP =
  'an ISO time such as 2026-03-03T14:00:00Z, or a duration back from now such as 7d, 12h, 30m';

/** Parses `--since 7d` / `--since 12h` / an ISO instant into an ISO instant. */
export function parseSince(value: string, nowMs: number, flag = '--since'): string {
  const relative = /^(\d+)(m|h|d)$/.exec(value.trim());
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm' | 'h' | 'd'];
    return new Date(nowMs - Number(relative[1]) * unit).toISOString();
  }
  try {
    return parseInstant(value, flag);
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error;
    throw new InvalidOptionError(`${flag} must be ${SINCE_HELP}, got "${value}"`);
  }
}

/** An ISO-8601 date or instant (src/parse/instant.ts), or a usage error naming the flag. */
export function parseInstant(value: string, flag: string): string {
  const parsed = parseIsoInstant(value);
  if (parsed === null)
    throw new InvalidOptionError(
      `${flag} must be an ISO-8601 date or time such as 2026-03-03 or 2026-03-03T14:00:00Z, got "${value}"`,
    );
  return parsed;
}

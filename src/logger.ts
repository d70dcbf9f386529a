/**
 * pino with redaction of every path a secret could travel through. Logs go to stderr so that
 * stdout stays clean for `--json` output.
 */
import { type Logger, pino } from 'pino';

export type { Logger };

/** Every place a secret could appear in a logged object. */
export const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
  'headers["x-vo-api-key"]',
  '*.headers["x-vo-api-key"]',
  'headers["X-VO-Api-Key"]',
  '*.headers["X-VO-Api-Key"]',
  'config.victorOps.apiKey',
  'config.delivery.webhooks[*].secret',
  'config.delivery.slack.url',
  'slackUrl',
  '*.slackUrl',
  'authorization',
  '*.authorization',
];

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty' | 'auto';
  /** Where to write; defaults to stderr (fd 2). */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.format === 'pretty' || (options.format === 'auto' && process.stderr.isTTY === true);
  const base = {
    level: options.level,
    base: { name: 'roster-watch' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.destination) return pino(base, options.destination);
  if (pretty) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { destination: 2, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,name' },
      },
    });
  }
  return pino(base, pino.destination({ dest: 2, sync: true }));
}

/** A logger that drops everything, for tests and library use. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}

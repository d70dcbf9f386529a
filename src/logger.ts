/**
 * pino with redaction of every path a secret could travel through. Logs go to stderr so that
 * stdout stays clean for `--json` output.
 */
import { type Logger, pino } from 'pino';
import { scrubForLog, scrubText } from './redact.js';

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
  // Identity sources (issue 13): Okta's SSWS token, Entra's client secret, the LDAP bind password.
  'apiToken',
  '*.apiToken',
  'clientSecret',
  '*.clientSecret',
  'bindPassword',
  '*.bindPassword',
  'config.identity.okta.apiToken',
  'config.identity.entra.clientSecret',
  'config.identity.ldap.bindPassword',
  // Google Workspace (issue 24): the service account's private key, the signed JWT it sends.
  'privateKey',
  '*.privateKey',
  'assertion',
  '*.assertion',
  'config.identity.google.privateKey',
];

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty' | 'auto';
  /** Where to write; defaults to stderr (fd 2). */
  destination?: NodeJS.WritableStream;
}

/**
 * A backstop for what no path list can name: any string in a log line (the message, a field, an
 * error's message or stack) has URL paths and queries and Slack `/services/…` tokens cut out,
 * and is cut to this length, so an upstream body never fills a log line.
 */
const MAX_LOGGED_STRING_CHARS = 2_000;

function scrubLogged(value: unknown): unknown {
  return typeof value === 'string' ? scrubForLog(value, MAX_LOGGED_STRING_CHARS) : value;
}

/** A copy of the error (own fields kept, for pino's serializer) with its message and stack scrubbed. */
function scrubError(error: Error): Error {
  const copy = Object.assign(new Error(String(scrubLogged(error.message))), error);
  copy.name = error.name;
  // A stack keeps its lines (scrubText does not fold whitespace); it is ours, not an upstream body.
  if (error.stack !== undefined) copy.stack = scrubText(error.stack);
  if (error.cause instanceof Error) copy.cause = scrubError(error.cause);
  return copy;
}

function scrubLogObject(object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    out[key] = value instanceof Error ? scrubError(value) : scrubLogged(value);
  }
  return out;
}

export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.format === 'pretty' || (options.format === 'auto' && process.stderr.isTTY === true);
  const base = {
    level: options.level,
    base: { name: 'roster-watch' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { log: scrubLogObject },
    hooks: {
      logMethod(this: Logger, args: Parameters<Logger['info']>, method: Logger['info']) {
        method.apply(this, args.map(scrubLogged) as Parameters<Logger['info']>);
      },
    },
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

/**
 * The one place that reads configuration. Everything is parsed from an env-like record (plus the
 * optional JSON file named by ROSTER_WATCH_CONFIG and *_FILE secrets) into a frozen Config.
 * Every problem is collected and reported at once, one line each, naming the variable and the
 * expected form, and never echoing a secret's value.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import { type IdentityConfig, readIdentityConfig } from './config-identity.js';
import { parseDurationList } from './delivery/retry-policy.js';
import { ConfigError } from './errors.js';
import { redactUrl } from './redact.js';
import { type CronSchedule, parseCronSchedule } from './service/cron-schedule.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from './victorops/limits.js';
import { parseBasicAuthFile, refuseExposure, type UiAuth } from './web/auth.js';

export type MembershipSourceSetting = 'auto' | 'user' | 'team';
export type LogFormat = 'json' | 'pretty' | 'auto';

export interface WebhookDestinationConfig {
  /** Stable id used in the outbox; derived from the URL when not named. */
  name: string;
  url: string;
  /** `whsec_` + base64. */
  secret: string;
  /** Event-type patterns such as `victorops.user.*`; empty means every event. */
  events: string[];
}

export interface Config {
  victorOps: {
    apiId: string;
    apiKey: string;
    baseUrl: string;
    maxRps: number;
    concurrency: number;
    timeoutMs: number;
    fetchDeadlineMs: number;
    maxRetries: number;
    /** Larger VictorOps bodies are refused (a failed poll), never read into memory. */
    maxResponseBytes: number;
    membershipSource: MembershipSourceSetting;
    /** auto: skip teams whose `version`/`memberCount` did not move, until proven unreliable. */
    membershipHints: 'auto' | 'off';
    /** Every team's members are re-read at least this often even when its hints did not move. */
    membershipVerifyIntervalMs: number;
  };
  logLevel: string;
  logFormat: LogFormat;
  databasePath: string;
  eventSource: string;
  guard: { maxFraction: number; min: number; confirmations: number };
  pollFailingAfter: number;
  delivery: {
    retryScheduleMs: number[];
    concurrencyPerDestination: number;
    webhookTimeoutMs: number;
    webhooks: WebhookDestinationConfig[];
    slack: { url: string; timeoutMs: number; minIntervalMs: number } | null;
  };
  service: {
    schedule: CronSchedule;
    jitterMs: number;
    pollOnStart: boolean;
    httpHost: string;
    httpPort: number;
    shutdownTimeoutMs: number;
  };
  coverage: {
    /** null when POLICY_SCHEDULE=off: no scheduled policy polls (the CLI still has `policy-poll`). */
    schedule: CronSchedule | null;
    daysForward: number;
    /** VictorOps allows about one `GET /v1/policies` a minute; never call it more often than this. */
    policyListMinIntervalMs: number;
  };
  /** The read-only web view under /ui on the HTTP server. */
  ui: { enabled: boolean; auth: UiAuth };
  identity: IdentityConfig;
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadConfigOptions {
  /** Commands that talk to VictorOps need credentials; audit commands over the database do not. */
  requireVictorOps: boolean;
}

export const DEFAULT_RETRY_SCHEDULE = '0s,5s,5m,30m,2h,5h,10h,14h,20h,24h';

const webhookFileSchema = z.object({
  webhooks: z
    .array(
      z
        .object({
          name: z
            .string()
            .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" or "-"')
            .optional(),
          url: z.string(),
          secret: z.string().optional(),
          secretFile: z.string().optional(),
          events: z.array(z.string()).optional(),
        })
        .strict(),
    )
    .default([]),
  slack: z.object({ url: z.string().optional(), urlFile: z.string().optional() }).strict().optional(),
});

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  /** A secret from NAME or from the file named by NAME_FILE; never echoed back. */
  secret(name: string, required: boolean): string | undefined {
    const direct = this.raw(name);
    const file = this.raw(`${name}_FILE`);
    if (direct !== undefined && file !== undefined) {
      this.problems.push(`${name} and ${name}_FILE are both set: set only one`);
      return undefined;
    }
    if (file !== undefined) return this.readSecretFile(`${name}_FILE`, file);
    if (direct === undefined && required) {
      this.problems.push(`${name} is required (or ${name}_FILE, a file holding it)`);
    }
    return direct;
  }

  readSecretFile(label: string, path: string): string | undefined {
    try {
      const value = readFileSync(path, 'utf8').trim();
      if (value === '') this.problems.push(`${label}: the file ${path} is empty`);
      return value === '' ? undefined : value;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      this.problems.push(`${label}: cannot read ${path} (${code})`);
      return undefined;
    }
  }

  number(name: string, fallback: number, opts: { min: number; max: number; integer: boolean }): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    const kind = opts.integer ? 'a whole number' : 'a number';
    if (
      !Number.isFinite(parsed) ||
      (opts.integer && !Number.isInteger(parsed)) ||
      parsed < opts.min ||
      parsed > opts.max
    ) {
      this.problems.push(`${name} must be ${kind} from ${opts.min} to ${opts.max}, got "${value}"`);
      return fallback;
    }
    return parsed;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
      return fallback;
    }
    return value as T;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${name} must be true or false, got "${value}"`);
    return fallback;
  }

  /**
   * Validates an http(s) URL. Paths and queries may carry tokens (Slack's always do), so a problem
   * shows at most the scheme and host of what was given, and a `secretish` URL nothing at all.
   */
  url(label: string, value: string, secretish: boolean): string | undefined {
    try {
      const url = new URL(value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
      return value;
    } catch {
      this.problems.push(
        `${label} must be an http:// or https:// URL${secretish ? '' : `, got "${redactUrl(value)}"`}`,
      );
      return undefined;
    }
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * A secret is valid when the signer that will use it accepts it: Node's base64 decoder forgives
 * stray characters and missing padding that standardwebhooks' decoder refuses, so checking with
 * Buffer alone let secrets through that failed only at the first delivery.
 */
function isWebhookSecret(secret: string): boolean {
  if (!secret.startsWith('whsec_')) return false;
  try {
    new Webhook(secret);
  } catch {
    return false;
  }
  const bytes = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return bytes.length >= 16 && bytes.length <= 128;
}

/**
 * The default CloudEvents source names the org without publishing its API id (events leave for
 * Slack and third-party receivers): a short SHA-256 of the id, stable across restarts.
 */
export function defaultEventSource(apiId: string): string {
  if (apiId === '') return 'urn:roster-watch:victorops:unknown';
  return `urn:roster-watch:victorops:${createHash('sha256').update(apiId).digest('hex').slice(0, 16)}`;
}

/** Names a webhook destination after its URL without revealing path tokens. */
export function defaultWebhookName(url: string, index: number): string {
  try {
    return `webhook-${index + 1}-${new URL(url).hostname}`.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  } catch {
    return `webhook-${index + 1}`;
  }
}

function readDestinations(r: Reader): { webhooks: WebhookDestinationConfig[]; slackUrlFromFile?: string } {
  const webhooks: WebhookDestinationConfig[] = [];
  const urls = r.raw('WEBHOOK_URLS');
  const sharedSecret = r.secret('WEBHOOK_SECRET', urls !== undefined);
  if (sharedSecret !== undefined && !isWebhookSecret(sharedSecret)) {
    r.problems.push(
      'WEBHOOK_SECRET must be "whsec_" followed by standard base64 (with padding) of 16 to 128 bytes',
    );
  }
  if (urls !== undefined) {
    urls
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u !== '')
      .forEach((u, i) => {
        const url = r.url(`WEBHOOK_URLS (entry ${i + 1})`, u, false);
        if (url !== undefined && sharedSecret !== undefined) {
          webhooks.push({ name: defaultWebhookName(url, i), url, secret: sharedSecret, events: [] });
        }
      });
  }
  const file = r.raw('ROSTER_WATCH_CONFIG');
  if (file === undefined) return { webhooks };
  let parsed: z.infer<typeof webhookFileSchema>;
  try {
    const result = webhookFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!result.success) {
      for (const issue of result.error.issues) {
        r.problems.push(`ROSTER_WATCH_CONFIG (${file}): ${issue.path.join('.') || 'root'}: ${issue.message}`);
      }
      return { webhooks };
    }
    parsed = result.data;
  } catch (error) {
    const reason =
      error instanceof SyntaxError
        ? 'not valid JSON'
        : ((error as NodeJS.ErrnoException).code ?? 'unreadable');
    r.problems.push(`ROSTER_WATCH_CONFIG: cannot read ${file} (${reason})`);
    return { webhooks };
  }
  parsed.webhooks.forEach((w, i) => {
    const label = `ROSTER_WATCH_CONFIG webhooks[${i}]`;
    const url = r.url(`${label}.url`, w.url, false);
    let secret = w.secret;
    if (w.secretFile !== undefined) secret = r.readSecretFile(`${label}.secretFile`, w.secretFile);
    if (secret === undefined || !isWebhookSecret(secret)) {
      r.problems.push(
        `${label}: secret (or secretFile) must hold "whsec_" followed by standard base64 (with padding) of 16 to 128 bytes`,
      );
      return;
    }
    if (url === undefined) return;
    const name = w.name ?? defaultWebhookName(url, webhooks.length);
    if (webhooks.some((existing) => existing.name === name)) {
      r.problems.push(`${label}.name "${name}" is used twice: names must be unique`);
      return;
    }
    // The Slack destination is called "slack" in the outbox; a webhook of that name would share its rows.
    if (name === 'slack') {
      r.problems.push(`${label}.name "slack" is reserved for SLACK_WEBHOOK_URL: choose another name`);
      return;
    }
    webhooks.push({ name, url, secret, events: w.events ?? [] });
  });
  const slack = parsed.slack;
  if (slack?.urlFile !== undefined) {
    const fromFile = r.readSecretFile('ROSTER_WATCH_CONFIG slack.urlFile', slack.urlFile);
    return fromFile === undefined ? { webhooks } : { webhooks, slackUrlFromFile: fromFile };
  }
  return slack?.url === undefined ? { webhooks } : { webhooks, slackUrlFromFile: slack.url };
}

export function loadConfig(env: Env, options: LoadConfigOptions): Config {
  const r = new Reader(env);
  const apiId = options.requireVictorOps ? r.raw('VO_API_ID') : (r.raw('VO_API_ID') ?? '');
  if (apiId === undefined) r.problems.push('VO_API_ID is required (your VictorOps API id)');
  const apiKey = r.secret('VO_API_KEY', options.requireVictorOps) ?? '';
  const baseUrlRaw = r.string('VO_BASE_URL', 'https://api.victorops.com/api-public').replace(/\/+$/, '');
  const baseUrl = r.url('VO_BASE_URL', baseUrlRaw, false) ?? baseUrlRaw;

  const { webhooks, slackUrlFromFile } = readDestinations(r);
  // The variable wins over the JSON file, so an operator can override the file in an emergency.
  const slackRaw = r.secret('SLACK_WEBHOOK_URL', false) ?? slackUrlFromFile;
  const slackUrl = slackRaw === undefined ? undefined : r.url('SLACK_WEBHOOK_URL', slackRaw, true);

  const scheduleText = r.string('POLL_SCHEDULE', '*/5 * * * *');
  const schedule = parseCronSchedule(scheduleText);
  if (typeof schedule === 'string') r.problems.push(`POLL_SCHEDULE ${schedule}`);

  const policyScheduleText = r.string('POLICY_SCHEDULE', '0 * * * *');
  const policySchedule = policyScheduleText === 'off' ? null : parseCronSchedule(policyScheduleText);
  if (typeof policySchedule === 'string') r.problems.push(`POLICY_SCHEDULE ${policySchedule} (or "off")`);

  const verifyIntervalMs = readVerifyInterval(r);

  const retryText = r.string('DELIVERY_RETRY_SCHEDULE', DEFAULT_RETRY_SCHEDULE);
  const retryScheduleMs = parseDurationList(retryText);
  if (typeof retryScheduleMs === 'string') r.problems.push(`DELIVERY_RETRY_SCHEDULE ${retryScheduleMs}`);

  const config: Config = {
    victorOps: {
      apiId: apiId ?? '',
      apiKey,
      baseUrl,
      maxRps: r.number('VO_MAX_RPS', 2, { min: 0.01, max: 1000, integer: false }),
      concurrency: r.number('VO_CONCURRENCY', 4, { min: 1, max: 64, integer: true }),
      timeoutMs: r.number('VO_TIMEOUT_MS', 30_000, { min: 100, max: 600_000, integer: true }),
      fetchDeadlineMs: r.number('VO_FETCH_DEADLINE_MS', 1_800_000, {
        min: 1_000,
        max: 86_400_000,
        integer: true,
      }),
      maxRetries: r.number('VO_MAX_RETRIES', 5, { min: 0, max: 20, integer: true }),
      // 32 MiB: five times the 20,000-user org's largest answer; the sizing is in the client.
      maxResponseBytes: r.number('VO_MAX_RESPONSE_BYTES', DEFAULT_MAX_RESPONSE_BYTES, {
        min: 64 * 1024,
        max: 1024 * 1024 * 1024,
        integer: true,
      }),
      membershipSource: r.oneOf('MEMBERSHIP_SOURCE', ['auto', 'user', 'team'] as const, 'auto'),
      membershipHints: r.oneOf('MEMBERSHIP_HINTS', ['auto', 'off'] as const, 'auto'),
      membershipVerifyIntervalMs: verifyIntervalMs,
    },
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: r.oneOf('LOG_FORMAT', ['json', 'pretty', 'auto'] as const, 'auto'),
    databasePath: r.string('DATABASE_PATH', './data/roster-watch.db'),
    eventSource: r.string('EVENT_SOURCE', defaultEventSource(apiId ?? '')),
    guard: {
      maxFraction: r.number('REMOVAL_GUARD_MAX_FRACTION', 0.2, { min: 0, max: 1, integer: false }),
      min: r.number('REMOVAL_GUARD_MIN', 5, { min: 0, max: 1_000_000, integer: true }),
      confirmations: r.number('REMOVAL_GUARD_CONFIRMATIONS', 3, { min: 1, max: 100, integer: true }),
    },
    pollFailingAfter: r.number('POLL_FAILING_AFTER', 3, { min: 1, max: 1000, integer: true }),
    delivery: {
      retryScheduleMs: typeof retryScheduleMs === 'string' ? [] : retryScheduleMs,
      concurrencyPerDestination: r.number('DELIVERY_CONCURRENCY', 4, { min: 1, max: 64, integer: true }),
      webhookTimeoutMs: r.number('WEBHOOK_TIMEOUT_MS', 15_000, { min: 100, max: 120_000, integer: true }),
      webhooks,
      slack:
        slackUrl === undefined
          ? null
          : {
              url: slackUrl,
              timeoutMs: r.number('SLACK_TIMEOUT_MS', 10_000, { min: 100, max: 120_000, integer: true }),
              minIntervalMs: r.number('SLACK_MIN_INTERVAL_MS', 1_000, {
                min: 0,
                max: 600_000,
                integer: true,
              }),
            },
    },
    service: {
      schedule: typeof schedule === 'string' ? (parseCronSchedule('*/5 * * * *') as CronSchedule) : schedule,
      jitterMs: r.number('POLL_JITTER_MS', 0, { min: 0, max: 3_600_000, integer: true }),
      pollOnStart: r.boolean('POLL_ON_START', true),
      httpHost: r.string('HTTP_HOST', '127.0.0.1'),
      httpPort: r.number('HTTP_PORT', 8080, { min: 0, max: 65_535, integer: true }),
      // 8 s: inside `docker stop`'s and Kubernetes' default grace periods (10 s and 30 s), so a
      // hanging webhook cannot turn a graceful stop into a SIGKILL.
      shutdownTimeoutMs: r.number('SHUTDOWN_TIMEOUT_MS', 8_000, { min: 100, max: 600_000, integer: true }),
    },
    coverage: {
      schedule: typeof policySchedule === 'string' ? null : policySchedule,
      daysForward: r.number('ONCALL_DAYS_FORWARD', 14, { min: 1, max: 30, integer: true }),
      policyListMinIntervalMs: r.number('POLICY_LIST_MIN_INTERVAL_MS', 60_000, {
        min: 0,
        max: 86_400_000,
        integer: true,
      }),
    },
    ui: { enabled: r.boolean('UI_ENABLED', false), auth: readUiAuth(r) },
    identity: readIdentityConfig(r),
  };
  if (config.ui.enabled) {
    const refusal = refuseExposure(config.service.httpHost, config.ui.auth);
    if (refusal !== null)
      r.problems.push(`UI_ENABLED=true with HTTP_HOST=${config.service.httpHost}: ${refusal}`);
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return deepFreeze(config);
}

const VERIFY_INTERVAL_DEFAULT_MS = 3_600_000;
const VERIFY_INTERVAL_RANGE_MS = { min: 60_000, max: 7 * 86_400_000 };

/** One duration such as `1h` or `15m`, from 1 minute to 7 days. */
function readVerifyInterval(r: Reader): number {
  const text = r.raw('MEMBERSHIP_VERIFY_INTERVAL');
  if (text === undefined) return VERIFY_INTERVAL_DEFAULT_MS;
  const parsed = text.includes(',') ? 'list' : parseDurationList(text);
  const ms = typeof parsed === 'string' ? undefined : parsed[0];
  if (ms === undefined || ms < VERIFY_INTERVAL_RANGE_MS.min || ms > VERIFY_INTERVAL_RANGE_MS.max) {
    r.problems.push(
      `MEMBERSHIP_VERIFY_INTERVAL must be one duration from 1m to 7d such as "1h" or "15m" (units ms, s, m, h, d), got "${text}"`,
    );
    return VERIFY_INTERVAL_DEFAULT_MS;
  }
  return ms;
}

/** UI_BASIC_AUTH_FILE (htpasswd-style bcrypt lines) or UI_TRUST_HEADER; both at once is ambiguous. */
function readUiAuth(r: Pick<Reader, 'raw' | 'problems'>): UiAuth {
  const file = r.raw('UI_BASIC_AUTH_FILE');
  const header = r.raw('UI_TRUST_HEADER');
  if (file !== undefined && header !== undefined) {
    r.problems.push('UI_BASIC_AUTH_FILE and UI_TRUST_HEADER are both set: set only one');
    return { kind: 'none' };
  }
  if (header !== undefined) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(header)) {
      r.problems.push(
        `UI_TRUST_HEADER must be an HTTP header name such as X-Forwarded-User, got "${header}"`,
      );
      return { kind: 'none' };
    }
    return { kind: 'header', header };
  }
  if (file === undefined) return { kind: 'none' };
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    r.problems.push(
      `UI_BASIC_AUTH_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
    return { kind: 'none' };
  }
  const parsed = parseBasicAuthFile(content);
  for (const problem of parsed.problems) r.problems.push(`UI_BASIC_AUTH_FILE (${file}): ${problem}`);
  return parsed.problems.length > 0 ? { kind: 'none' } : { kind: 'basic', entries: parsed.entries };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

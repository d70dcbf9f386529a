/**
 * The outbox's destinations and retry policy: signed webhooks (WEBHOOK_URLS + WEBHOOK_SECRET, or
 * the JSON file named by ROSTER_WATCH_CONFIG), Slack (SLACK_WEBHOOK_URL or the file) and a JSON
 * Lines file (EVENTS_FILE, read in events-file.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as z from 'zod';
import { parseDurationList } from '../parse/duration.js';
import { EVENTS_FILE_DESTINATION, type EventsFileConfig, readEventsFileConfig } from './events-file.js';
import type { ConfigReader } from './reader.js';

export interface WebhookDestinationConfig {
  /** Stable id used in the outbox; derived from the URL when not named. */
  name: string;
  url: string;
  /** `whsec_` + base64. */
  secret: string;
  /** Event-type patterns such as `victorops.user.*`; empty means every event. */
  events: string[];
}

export interface DeliveryConfig {
  retryScheduleMs: number[];
  concurrencyPerDestination: number;
  webhookTimeoutMs: number;
  webhooks: WebhookDestinationConfig[];
  slack: { url: string; timeoutMs: number; minIntervalMs: number } | null;
  /** EVENTS_FILE: each event appended as one CloudEvents JSON line. */
  eventsFile: EventsFileConfig | null;
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

/**
 * standardwebhooks is required when there is a secret to check, not imported: every command reads
 * this part of the configuration, and without a webhook it is ~5 ms of loading for nothing (issue 21).
 */
const requireLazily = createRequire(import.meta.url);
const standardWebhooks = (): typeof import('standardwebhooks') => requireLazily('standardwebhooks');

/**
 * A secret is valid when the signer that will use it accepts it: Node's base64 decoder forgives
 * stray characters and missing padding that standardwebhooks' decoder refuses, so checking with
 * Buffer alone let secrets through that failed only at the first delivery.
 */
function isWebhookSecret(secret: string): boolean {
  if (!secret.startsWith('whsec_')) return false;
  // Loaded outside the try: a missing standardwebhooks is an install problem, not a bad secret.
  const { Webhook } = standardWebhooks();
  try {
    new Webhook(secret);
  } catch {
    return false;
  }
  const bytes = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return bytes.length >= 16 && bytes.length <= 128;
}

/** Names a webhook destination after its URL without revealing path tokens. */
export function defaultWebhookName(url: string, index: number): string {
  try {
    return `webhook-${index + 1}-${new URL(url).hostname}`.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  } catch {
    return `webhook-${index + 1}`;
  }
}

export interface Destinations {
  webhooks: WebhookDestinationConfig[];
  slackUrl: string | undefined;
}

/** Webhooks from the variables and the JSON file, then the Slack URL (the variable wins over the file). */
export function readDestinations(r: ConfigReader): Destinations {
  const { webhooks, slackUrlFromFile } = readWebhooks(r);
  // The variable wins over the JSON file, so an operator can override the file in an emergency.
  const slackRaw = r.secret('SLACK_WEBHOOK_URL', false) ?? slackUrlFromFile;
  const slackUrl = slackRaw === undefined ? undefined : r.url('SLACK_WEBHOOK_URL', slackRaw, true);
  return { webhooks, slackUrl };
}

function readWebhooks(r: ConfigReader): { webhooks: WebhookDestinationConfig[]; slackUrlFromFile?: string } {
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
    if (name === EVENTS_FILE_DESTINATION) {
      r.problems.push(`${label}.name "${name}" is reserved for EVENTS_FILE: choose another name`);
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

/** DELIVERY_RETRY_SCHEDULE as milliseconds; empty (with a problem recorded) when malformed. */
export function readRetrySchedule(r: ConfigReader): number[] {
  const retryText = r.string('DELIVERY_RETRY_SCHEDULE', DEFAULT_RETRY_SCHEDULE);
  const retryScheduleMs = parseDurationList(retryText);
  if (typeof retryScheduleMs === 'string') r.problems.push(`DELIVERY_RETRY_SCHEDULE ${retryScheduleMs}`);
  return typeof retryScheduleMs === 'string' ? [] : retryScheduleMs;
}

export function readDeliveryConfig(
  r: ConfigReader,
  destinations: Destinations,
  retryScheduleMs: number[],
): DeliveryConfig {
  const slackUrl = destinations.slackUrl;
  return {
    retryScheduleMs,
    concurrencyPerDestination: r.number('DELIVERY_CONCURRENCY', 4, { min: 1, max: 64, integer: true }),
    webhookTimeoutMs: r.number('WEBHOOK_TIMEOUT_MS', 15_000, { min: 100, max: 120_000, integer: true }),
    webhooks: destinations.webhooks,
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
    eventsFile: readEventsFileConfig(r),
  };
}

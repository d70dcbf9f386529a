/**
 * The one place that reads configuration. Everything is parsed from an env-like record (plus the
 * optional JSON file named by ROSTER_WATCH_CONFIG and *_FILE secrets) into a frozen Config.
 * Every problem is collected and reported at once (config/reader.ts), one line each, naming the
 * variable and the expected form, and never echoing a secret's value. Each concern has its own
 * file in config/; the readers run in a fixed order so the problems read top to bottom as before.
 */

import { ConfigError } from '../errors.js';
import { registerSecrets } from '../redact.js';
import { type ContactsConfig, readContactsConfig } from './contacts.js';
import { type CoverageConfig, readCoverageConfig, readPolicySchedule } from './coverage.js';
import { type DeliveryConfig, readDeliveryConfig, readDestinations, readRetrySchedule } from './delivery.js';
import { type IdentityConfig, readIdentityConfig } from './identity.js';
import { type OncallConfig, readOncallConfig } from './oncall.js';
import { type ReachConfig, readReachConfig } from './reach.js';
import { ConfigReader, type Env } from './reader.js';
import { readPollSchedule, readServiceConfig, type ServiceConfig } from './service.js';
import { readUiConfig, refuseExposure, type UiConfig } from './ui.js';
import {
  defaultEventSource,
  readVerifyInterval,
  readVictorOpsConfig,
  readVictorOpsCredentials,
  type VictorOpsConfig,
} from './victorops.js';

export type LogFormat = 'json' | 'pretty' | 'auto';

export interface Config {
  victorOps: VictorOpsConfig;
  logLevel: string;
  logFormat: LogFormat;
  databasePath: string;
  eventSource: string;
  guard: { maxFraction: number; min: number; confirmations: number };
  pollFailingAfter: number;
  delivery: DeliveryConfig;
  service: ServiceConfig;
  coverage: CoverageConfig;
  /** How on-call hours are split (oncall-report, the On-call page). */
  oncall: OncallConfig;
  /** The read-only web view under /ui on the HTTP server. */
  ui: UiConfig;
  identity: IdentityConfig;
  /** contacts-poll: CONTACTS_SCHEDULE, CONTACTS_VERIFY_INTERVAL, REACH_EXEMPT. */
  contacts: ContactsConfig;
  /** REACH_EXEMPT: routing keys (and usernames) that reachability findings leave alone. */
  reach: ReachConfig;
}

export interface LoadConfigOptions {
  /** Commands that talk to VictorOps need credentials; audit commands over the database do not. */
  requireVictorOps: boolean;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env, options: LoadConfigOptions): Config {
  const r = new ConfigReader(env);
  const credentials = readVictorOpsCredentials(r, options.requireVictorOps);
  const destinations = readDestinations(r);
  const pollSchedule = readPollSchedule(r);
  const policySchedule = readPolicySchedule(r);
  const verifyIntervalMs = readVerifyInterval(r);
  const retryScheduleMs = readRetrySchedule(r);

  const config: Config = {
    victorOps: readVictorOpsConfig(r, credentials, verifyIntervalMs),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: r.oneOf('LOG_FORMAT', ['json', 'pretty', 'auto'] as const, 'auto'),
    databasePath: r.string('DATABASE_PATH', './data/roster-watch.db'),
    eventSource: r.string('EVENT_SOURCE', defaultEventSource(credentials.apiId ?? '')),
    guard: {
      maxFraction: r.number('REMOVAL_GUARD_MAX_FRACTION', 0.2, { min: 0, max: 1, integer: false }),
      min: r.number('REMOVAL_GUARD_MIN', 5, { min: 0, max: 1_000_000, integer: true }),
      confirmations: r.number('REMOVAL_GUARD_CONFIRMATIONS', 3, { min: 1, max: 100, integer: true }),
    },
    pollFailingAfter: r.number('POLL_FAILING_AFTER', 3, { min: 1, max: 1000, integer: true }),
    delivery: readDeliveryConfig(r, destinations, retryScheduleMs),
    service: readServiceConfig(r, pollSchedule),
    coverage: readCoverageConfig(r, policySchedule),
    oncall: readOncallConfig(r),
    ui: readUiConfig(r),
    identity: readIdentityConfig(r),
    contacts: readContactsConfig(r),
    reach: readReachConfig(r),
  };
  registerSecrets(configuredSecrets(config));
  if (config.ui.enabled) {
    const refusal = refuseExposure(config.service.httpHost, config.ui.auth);
    if (refusal !== null)
      r.problems.push(`UI_ENABLED=true with HTTP_HOST=${config.service.httpHost}: ${refusal}`);
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return deepFreeze(config);
}

/** Every secret the configuration holds, for scrubbing from every text (src/redact.ts). */
export function configuredSecrets(config: Config): (string | { url: string } | null)[] {
  const { okta, entra, ldap, google } = config.identity;
  return [
    config.victorOps.apiKey,
    okta?.apiToken ?? null,
    entra?.clientSecret ?? null,
    ldap?.bindPassword ?? null,
    google?.privateKey ?? null,
    ...config.delivery.webhooks.flatMap((w) => [w.secret, w.secret.replace(/^whsec_/, ''), { url: w.url }]),
    config.delivery.slack === null ? null : { url: config.delivery.slack.url },
  ];
}

/**
 * Freezes the settings and everything they hold. A getter is not called: a schedule's interval is
 * worked out on first read (src/parse/cron-schedule.ts), and what it returns is a number.
 */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const property of Object.values(Object.getOwnPropertyDescriptors(value)))
      if ('value' in property) deepFreeze(property.value);
  }
  return value;
}

/** The VictorOps client's part of the configuration: credentials, pacing, limits, membership reads. */
import { createHash } from 'node:crypto';
import type { ConfigReader } from './reader.js';

export type MembershipSourceSetting = 'auto' | 'user' | 'team';

export interface VictorOpsConfig {
  apiId: string;
  apiKey: string;
  baseUrl: string;
  maxRps: number;
  /** The fraction of maxRps the key's shared budget spends (VO_RATE_PACE). */
  ratePace: number;
  /** The least share of turns policy polls and bulk work get while roster polls also wait. */
  backgroundShare: number;
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
}

/**
 * The largest VictorOps body read into memory. The largest answer is `GET /v1/user` (every user
 * at once): about 240 bytes per user in the simulator and ~320 in the reference fixture's shape,
 * so the 20,000-user org we size for (docs/benchmarks.md) answers with about 5-6.5 MB. 32 MiB is
 * five times that (~100,000 users), and a 32 MiB body of fixture-shaped users parses with the
 * client's schema in about 105 MB of heap, inside the image's 256 MB cap with room for the rest
 * of a poll; 64 MiB needed 200 MB. Anything larger is an upstream fault, not a roster.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export interface VictorOpsCredentials {
  apiId: string | undefined;
  apiKey: string;
  baseUrl: string;
}

/** Commands that talk to VictorOps need credentials; audit commands over the database do not. */
export function readVictorOpsCredentials(r: ConfigReader, requireVictorOps: boolean): VictorOpsCredentials {
  const apiId = requireVictorOps ? r.raw('VO_API_ID') : (r.raw('VO_API_ID') ?? '');
  if (apiId === undefined) r.problems.push('VO_API_ID is required (your VictorOps API id)');
  const apiKey = r.secret('VO_API_KEY', requireVictorOps) ?? '';
  const baseUrlRaw = r.string('VO_BASE_URL', 'https://api.victorops.com/api-public').replace(/\/+$/, '');
  const baseUrl = r.url('VO_BASE_URL', baseUrlRaw, false) ?? baseUrlRaw;
  return { apiId, apiKey, baseUrl };
}

export function readVictorOpsConfig(
  r: ConfigReader,
  credentials: VictorOpsCredentials,
  membershipVerifyIntervalMs: number,
): VictorOpsConfig {
  return {
    apiId: credentials.apiId ?? '',
    apiKey: credentials.apiKey,
    baseUrl: credentials.baseUrl,
    maxRps: r.number('VO_MAX_RPS', 2, { min: 0.01, max: 1000, integer: false }),
    ratePace: r.number('VO_RATE_PACE', 0.8, { min: 0.1, max: 1, integer: false }),
    backgroundShare: r.number('VO_BACKGROUND_SHARE', 0.25, { min: 0, max: 0.5, integer: false }),
    concurrency: r.number('VO_CONCURRENCY', 4, { min: 1, max: 64, integer: true }),
    timeoutMs: r.number('VO_TIMEOUT_MS', 30_000, { min: 100, max: 600_000, integer: true }),
    fetchDeadlineMs: r.number('VO_FETCH_DEADLINE_MS', 1_800_000, {
      min: 1_000,
      max: 86_400_000,
      integer: true,
    }),
    maxRetries: r.number('VO_MAX_RETRIES', 5, { min: 0, max: 20, integer: true }),
    // 32 MiB: five times the 20,000-user org's largest answer; the sizing is above.
    maxResponseBytes: r.number('VO_MAX_RESPONSE_BYTES', DEFAULT_MAX_RESPONSE_BYTES, {
      min: 64 * 1024,
      max: 1024 * 1024 * 1024,
      integer: true,
    }),
    membershipSource: r.oneOf('MEMBERSHIP_SOURCE', ['auto', 'user', 'team'] as const, 'auto'),
    membershipHints: r.oneOf('MEMBERSHIP_HINTS', ['auto', 'off'] as const, 'auto'),
    membershipVerifyIntervalMs,
  };
}

const VERIFY_INTERVAL_DEFAULT_MS = 3_600_000;
const VERIFY_INTERVAL_RANGE_MS = { min: 60_000, max: 7 * 86_400_000 };

/** One duration such as `1h` or `15m`, from 1 minute to 7 days. */
export function readVerifyInterval(r: ConfigReader): number {
  return r.duration('MEMBERSHIP_VERIFY_INTERVAL', VERIFY_INTERVAL_DEFAULT_MS, {
    minMs: VERIFY_INTERVAL_RANGE_MS.min,
    maxMs: VERIFY_INTERVAL_RANGE_MS.max,
    range: '1m to 7d',
    examples: '"1h" or "15m"',
  });
}

/**
 * The default CloudEvents source names the org without publishing its API id (events leave for
 * Slack and third-party receivers): a short SHA-256 of the id, stable across restarts.
 */
export function defaultEventSource(apiId: string): string {
  if (apiId === '') return 'urn:roster-watch:victorops:unknown';
  return `urn:roster-watch:victorops:${createHash('sha256').update(apiId).digest('hex').slice(0, 16)}`;
}

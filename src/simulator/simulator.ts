/** Starts the simulated VictorOps org on a real HTTP port and hands back its controls. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createContactBook, type SimContactBook } from './contacts.js';
import { createDriftEngine } from './drift.js';
import { createFaultInjector, type FaultInjector } from './faults.js';
import { generateOrg } from './generate.js';
import { createSimOrg, type SimOrg, type SimOrgInput } from './org.js';
import { createPerMinuteLimiter, createRateLimiter, type RateLimitConfig } from './rate-limit.js';
import { createRequestLog, type RequestLog } from './request-log.js';
import { createRequestHandler } from './server.js';

export interface SimulatorOptions {
  host?: string;
  port?: number;
  apiId?: string;
  apiKey?: string;
  /** Size and seed of the generated org (defaults: 20 users, 5 teams, seed 1). */
  users?: number;
  teams?: number;
  seed?: number;
  /** Pending invitations in the generated org (default 0). */
  invitees?: number;
  /** The demo's routing keys in the generated org (default false: none). */
  routingKeys?: boolean;
  /** An explicit org instead of a generated one. */
  org?: SimOrgInput;
  /** Per-key limit over a sliding 1 s window; null (the default) is unlimited. */
  rateLimit?: RateLimitConfig | null;
  /** GET /v1/policies calls per key in any sliding 60 s window (default 1); 0 or Infinity is unlimited. */
  policyListPerMinute?: number;
  /** Wall clock for the generated schedule, schedule windows and new users' timestamps. */
  now?: () => Date;
  /** Added to every API response. */
  latencyMs?: number;
  /** Waits out that latency (default: a timer close() cancels); tests pass one that records it. */
  delay?: (ms: number) => Promise<void>;
  /**
   * Monotonic time for request arrival and the rate limits (default: performance.now()); a test
   * passes its client's fake clock so that what it counts per window is what the client decided.
   */
  monotonicMs?: () => number;
  /** Random realistic changes every intervalMs; seed defaults to the org seed. */
  drift?: { intervalMs: number; seed?: number } | null;
  /** Called with a description of every drift change (timer or POST /_sim/drift). */
  onDriftChange?: (description: string) => void;
}

export interface Simulator {
  /** Base URL including `/api-public`. */
  url: string;
  org: SimOrg;
  /** People's contact methods and own paging policies (derived per user, changeable). */
  contacts: SimContactBook;
  faults: FaultInjector;
  stats: RequestLog;
  setLatency(ms: number): void;
  setRateLimit(rateLimit: RateLimitConfig | null): void;
  /** 0 or Infinity removes the limit; any change starts a fresh window. */
  setPolicyListLimit(perMinute: number): void;
  /** Applies `count` drift changes now and returns their descriptions. */
  applyDrift(count: number): string[];
  /** Also destroys open (including hanging) connections, so it never blocks. */
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const seed = options.seed ?? 1;
  const now = options.now ?? (() => new Date());
  const initial =
    options.org ??
    generateOrg({
      users: options.users ?? 20,
      teams: options.teams ?? 5,
      seed,
      now,
      ...(options.invitees === undefined ? {} : { invitees: options.invitees }),
      ...(options.routingKeys === undefined ? {} : { routingKeys: options.routingKeys }),
    });
  const org = createSimOrg(initial, { seed, now });
  const contacts = createContactBook(seed);
  const faults = createFaultInjector();
  const stats = createRequestLog();
  const rateLimiter = createRateLimiter(options.rateLimit ?? null);
  const policyListLimiter = createPerMinuteLimiter(options.policyListPerMinute ?? 1);
  const drift = createDriftEngine({
    org,
    now,
    seed: options.drift?.seed ?? seed,
    ...(options.onDriftChange ? { onChange: options.onDriftChange } : {}),
  });
  let latencyMs = options.latencyMs ?? 0;
  const timers = new Set<NodeJS.Timeout>();

  const setLatency = (ms: number): void => {
    latencyMs = ms;
  };
  const setRateLimit = (config: RateLimitConfig | null): void => rateLimiter.configure(config);
  const setPolicyListLimit = (perMinute: number): void => policyListLimiter.configure(perMinute);
  const applyDrift = (count: number): string[] => drift.apply(count);

  const server = createServer(
    createRequestHandler({
      control: { org, contacts, faults, stats, setLatency, setRateLimit, setPolicyListLimit, applyDrift },
      faults,
      stats,
      rateLimiter,
      policyListLimiter,
      now,
      credentials: { apiId: options.apiId ?? 'sim-api-id', apiKey: options.apiKey ?? 'sim-api-key' },
      latencyMs: () => latencyMs,
      nowMs: options.monotonicMs ?? (() => performance.now()),
      delay:
        options.delay ??
        ((ms) =>
          new Promise((resolve) => {
            const timer = setTimeout(() => {
              timers.delete(timer);
              resolve();
            }, ms);
            timers.add(timer);
          })),
    }),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  if (options.drift) drift.start(options.drift.intervalMs);

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}/api-public`,
    org,
    contacts,
    faults,
    stats,
    setLatency,
    setRateLimit,
    setPolicyListLimit,
    applyDrift,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        drift.stop();
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

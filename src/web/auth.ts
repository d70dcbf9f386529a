/**
 * Who may read the view. The pages carry personal data, so a view reachable from other hosts must
 * authenticate: HTTP Basic against bcrypt hashes from UI_BASIC_AUTH_FILE, or a header that a
 * trusted reverse proxy sets after its own login (UI_TRUST_HEADER, from UI_TRUSTED_PROXIES only).
 *
 * bcrypt is slow on purpose, so it runs on a worker thread (the server and its health probes keep
 * answering), an unknown user costs what a known one costs (a dummy hash of the same cost), good
 * credentials are remembered briefly, and a client address that keeps failing gets 429.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { BlockList, isIP } from 'node:net';
import { Worker } from 'node:worker_threads';
import {
  type BasicAuthEntry,
  bcryptCost,
  MIN_BCRYPT_COST,
  parseAddressOrCidr,
  type UiAuth,
} from '../config/ui.js';

export type AuthResult =
  | { ok: true; user: string | null }
  | { ok: false; challenge: boolean }
  | { ok: false; challenge: false; retryAfterSeconds: number };

export interface AuthRequest {
  headers: Record<string, string | string[] | undefined>;
  /** The socket's peer address (never a forwarded header). */
  remoteAddress: string | undefined;
}

const VERIFIED_TTL_MS = 5 * 60_000;
/** Failed Basic attempts one client address may make per window before it gets 429. */
export const MAX_FAILURES_PER_WINDOW = 10;
export const FAILURE_WINDOW_MS = 60_000;
/** Client addresses remembered at most (the oldest window is forgotten first). */
const MAX_TRACKED_CLIENTS = 10_000;

/** bcrypt on a worker thread: one at a time, in order, off the event loop. */
interface PasswordWorker {
  compare(password: string, hash: string): Promise<boolean>;
  hash(password: string, cost: number): Promise<string>;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptjs);
parentPort.on('message', (m) => {
  try {
    const result = m.op === 'hash' ? bcrypt.hashSync(m.password, m.cost) : bcrypt.compareSync(m.password, m.hash);
    parentPort.postMessage({ id: m.id, result });
  } catch (error) {
    parentPort.postMessage({ id: m.id, error: String((error && error.message) || error) });
  }
});
`;

function startPasswordWorker(): PasswordWorker {
  let worker: Worker | null = null;
  let nextId = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const call = (message: Record<string, unknown>): Promise<unknown> => {
    if (worker === null) {
      // The CommonJS build of bcryptjs, by absolute path: an eval'd worker resolves nothing itself.
      const bcryptjs = createRequire(import.meta.url).resolve('bcryptjs');
      const started = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptjs } });
      started.unref();
      started.on('message', (m: { id: number; result?: unknown; error?: string }) => {
        const pending = waiting.get(m.id);
        waiting.delete(m.id);
        if (m.error !== undefined) pending?.reject(new Error(m.error));
        else pending?.resolve(m.result);
      });
      started.on('error', (error) => {
        for (const pending of waiting.values()) pending.reject(error);
        waiting.clear();
        worker = null;
      });
      worker = started;
    }
    const id = nextId++;
    const active = worker;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      active.postMessage({ id, ...message });
    });
  };
  return {
    compare: async (password, hash) => (await call({ op: 'compare', password, hash })) === true,
    hash: async (password, cost) => String(await call({ op: 'hash', password, cost })),
  };
}

/** Failed attempts per client address in fixed windows. */
function createFailureLimiter(nowMs: () => number) {
  const clients = new Map<string, { startMs: number; failures: number }>();
  const current = (client: string) => {
    const entry = clients.get(client);
    return entry !== undefined && nowMs() - entry.startMs < FAILURE_WINDOW_MS ? entry : undefined;
  };
  return {
    /** Seconds until this client may try again, or null when it may try now. */
    blockedFor(client: string): number | null {
      const entry = current(client);
      if (entry === undefined || entry.failures < MAX_FAILURES_PER_WINDOW) return null;
      return Math.max(1, Math.ceil((entry.startMs + FAILURE_WINDOW_MS - nowMs()) / 1000));
    },
    fail(client: string): void {
      const entry = current(client) ?? { startMs: nowMs(), failures: 0 };
      entry.failures += 1;
      clients.delete(client);
      clients.set(client, entry);
      if (clients.size > MAX_TRACKED_CLIENTS) clients.delete(clients.keys().next().value as string);
    },
  };
}

/** The addresses whose requests may carry the identity header: the configured ones, or loopback. */
function trustedProxyList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  const all = entries.length > 0 ? entries : ['127.0.0.0/8', '::1'];
  for (const entry of all) {
    const parsed = parseAddressOrCidr(entry);
    if (parsed === null) continue;
    const type = parsed.family === 4 ? 'ipv4' : 'ipv6';
    list.addSubnet(parsed.address, parsed.prefix, type);
  }
  return list;
}

function isTrusted(list: BlockList, address: string | undefined): boolean {
  if (address === undefined) return false;
  // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const plain = mapped ?? address;
  const family = isIP(plain);
  return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The cost of the hash an unknown user is compared against: the highest of the configured users'
 * (so a wrong user takes as long as a wrong password), at least the floor the configuration keeps.
 */
export function dummyHashCost(entries: readonly BasicAuthEntry[]): number {
  let cost = MIN_BCRYPT_COST;
  for (const e of entries) cost = Math.max(cost, bcryptCost(e.hash));
  return cost;
}

/** Checks a request's credentials. */
export function createAuthorizer(auth: UiAuth, nowMs: () => number = Date.now) {
  const verified = new Map<string, number>();
  const limiter = createFailureLimiter(nowMs);
  const passwords = auth.kind === 'basic' ? startPasswordWorker() : null;
  const trusted = auth.kind === 'header' ? trustedProxyList(auth.trustedProxies) : null;
  const dummyCost = auth.kind === 'basic' ? dummyHashCost(auth.entries) : 0;
  // Made at once, on the worker, so the first unknown user does not pay for it.
  const dummyHash = passwords?.hash(randomBytes(18).toString('base64'), dummyCost) ?? null;
  void dummyHash?.catch(() => undefined);

  return async (request: AuthRequest): Promise<AuthResult> => {
    if (auth.kind === 'none') return { ok: true, user: null };
    if (auth.kind === 'header') {
      if (!isTrusted(trusted as BlockList, request.remoteAddress)) return { ok: false, challenge: false };
      const value = request.headers[auth.header.toLowerCase()];
      const user = Array.isArray(value) ? value[0] : value;
      return user !== undefined && user.trim() !== ''
        ? { ok: true, user: user.trim() }
        : { ok: false, challenge: false };
    }
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header) : null;
    if (match === null) return { ok: false, challenge: true };
    const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { ok: false, challenge: true };
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const cacheKey = createHash('sha256').update(`${user}\u0000${password}`).digest('hex');
    const until = verified.get(cacheKey);
    if (until !== undefined && until > nowMs()) return { ok: true, user };
    const client = request.remoteAddress ?? 'unknown';
    const blocked = limiter.blockedFor(client);
    if (blocked !== null) return { ok: false, challenge: false, retryAfterSeconds: blocked };
    const entry = auth.entries.find((e) => safeEqual(e.user, user));
    const hash = entry?.hash ?? (await (dummyHash as Promise<string>));
    const ok = await (passwords as PasswordWorker).compare(password, hash.replace(/^\$2y\$/, '$2b$'));
    if (!ok || entry === undefined) {
      limiter.fail(client);
      return { ok: false, challenge: true };
    }
    verified.set(cacheKey, nowMs() + VERIFIED_TTL_MS);
    return { ok: true, user };
  };
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

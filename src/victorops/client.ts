/**
 * The only code that speaks HTTP to VictorOps. It issues GET requests and nothing else, through
 * one keep-alive undici pool, paced by the key's rate budget (rate-budget.ts), with retries for everything that
 * retrying can fix. Every body is parsed with zod at this edge.
 */
import type { z } from 'zod';
import type { Clock } from '../clock.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../config/victorops.js';
import { VictorOpsError } from '../errors.js';
import { parseRetryAfter } from '../parse/retry-after.js';
import { registerSecrets, scrubSecrets } from '../redact.js';
import type { FetchStats } from '../roster/types.js';
import { createAbortFanout } from './abort-fanout.js';
import { endpointClassOf } from './endpoint-class.js';
import { createEndpointGates } from './endpoint-gates.js';
import { describeNetworkFailure, excerpt, retryCause, sanitizeCause } from './errors.js';
import { currentJob, inJob, type JobName } from './job-context.js';
import { createLocalSlots, createRateBudget, type RateBudget } from './rate-budget.js';
import { backoffDelayMs, isRateLimitAnswer, retryLimitFor, shouldRetry } from './retry-policy.js';
import { describeSchemaIssue } from './schemas.js';
import { createRequestPool, type PoolResponse } from './undici-pool.js';

export interface VictorOpsClientOptions {
  baseUrl: string;
  apiId: string;
  apiKey: string;
  maxRps: number;
  concurrency: number;
  timeoutMs: number;
  maxRetries: number;
  clock: Clock;
  random?: () => number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Bodies above this are refused (default DEFAULT_MAX_RESPONSE_BYTES); see VO_MAX_RESPONSE_BYTES. */
  maxBodyBytes?: number;
  onRetry?: (info: RetryInfo) => void;
  /** A 200 whose body did not match its schema, by endpoint class (for the shape-error metric). */
  onShapeError?: (endpointClass: string) => void;
  /**
   * Endpoint classes (`endpointClassOf`, e.g. `v1/policies`, `v1/profile/{user}/policies`) with a
   * limit of their own: never two requests of one class, retries included, closer together than
   * its interval in this process. The wait comes before the rate budget and the connection, so it
   * holds neither.
   */
  endpointMinIntervalMs?: Readonly<Record<string, number>>;
  /**
   * The key's rate budget (shared with other processes through the database, see rate-budget.ts);
   * without one, a budget of this process alone at `maxRps`.
   */
  budget?: RateBudget;
  /**
   * Called as each request (retries included) is sent, after its wait for a turn and a connection,
   * with its endpoint class: e.g. to record when the policy list was really called.
   */
  onSend?: (endpointClass: string) => void;
}

/** One retry about to be waited for: `retry` of `of` (the retries this kind of failure gets). */
export interface RetryInfo {
  path: string;
  retry: number;
  of: number;
  delayMs: number;
  reason: string;
  /** What the attempt met, in a few words: `403`, `connection refused`, `timeout`. */
  cause: string;
  /** The failure being retried. */
  error: VictorOpsError;
}

/**
 * A response schema with a hand-written fast path (victorops/user-list-reader.ts): `fast` gives
 * the result or null, and on null `schema` parses the body as any schema would, errors unchanged.
 */
export interface FastSchema<T> {
  /**
   * Reads the body as its chunks arrive (victorops/user-list-scanner.ts), for a body too large
   * to hold as a string beside its JSON tree; `end()` gives the result, or null to have the whole
   * body parsed the usual way (`fast`, then `schema`), which decides the error if there is one.
   */
  stream?(): BodyStream<T>;
  fast(json: unknown): T | null;
  schema: z.ZodType<T>;
}

/** A body read as it arrives: every chunk in order, then `end()` (null: parse the whole body instead). */
export interface BodyStream<T> {
  push(chunk: Buffer): void;
  end(): T | null;
}
export type ResponseSchema<T> = z.ZodType<T> | FastSchema<T>;

export interface VictorOpsClient {
  /** GETs `path` (below the base URL, e.g. `/v1/user`) and parses it with `schema`. */
  get<T>(path: string, schema: ResponseSchema<T>, signal?: AbortSignal): Promise<T>;
  /**
   * Counters since creation; callers diff two snapshots to count one fetch. Inside a job
   * (`runAsJob`) they are that job's own, so a roster poll never counts a policy poll's requests;
   * outside one, every job's together.
   */
  stats(): FetchStats;
  /** Each job's counters since creation (for per-job metrics). */
  statsByJob(): Partial<Record<JobName, FetchStats>>;
  /** 200 answers whose body did not match, by endpoint class, since creation. */
  shapeErrors(): Record<string, number>;
  budget: RateBudget;
  close(): Promise<void>;
}

const AUTH_HINT = 'check VO_API_ID and VO_API_KEY';

/** Error excerpts are built from the first few KiB of a body only, however large it is. */
const EXCERPT_SOURCE_BYTES = 4 * 1024;

/**
 * A 403 while the same key answered 200 this recently (in any process sharing the budget) is
 * VictorOps rate limiting, never bad credentials: a key that worked minutes ago was not mistyped.
 * Only 403s with no success at all for this long are reported as an authentication failure.
 */
export const RECENT_SUCCESS_MS = 10 * 60_000;

/**
 * Encodes one path segment; usernames may hold `.`, `+`, `@`, `-`, `_` and non-ASCII letters.
 * `@` is left as it is: it is legal in a path (RFC 3986) and VictorOps' own docs warn against
 * percent-encoding it.
 */
export function encodePathSegment(segment: string): string {
  const encoded = encodeURIComponent(segment).replace(/%40/g, '@');
  // `.` and `..` are dot segments: a normalising proxy would turn `/v1/user/../teams` into
  // `/v1/teams`, another endpoint. Percent-encoded they stay a name (RFC 3986 §6.2.2.3 only
  // removes literal dot segments).
  return encoded === '.' || encoded === '..' ? encoded.replace(/\./g, '%2E') : encoded;
}

export function createVictorOpsClient(options: VictorOpsClientOptions): VictorOpsClient {
  const base = new URL(options.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const pool = createRequestPool(base.origin, {
    connections: options.concurrency,
    keepAliveTimeout: 30_000,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  const budget =
    options.budget ??
    createRateBudget({
      maxRps: options.maxRps,
      pace: 1,
      backgroundShare: 0.25,
      clock: options.clock,
      shared: createLocalSlots(),
    });
  const slots = createSemaphore(options.concurrency);
  const random = options.random ?? Math.random;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const counters: FetchStats = { requests: 0, retries: 0, rateLimited: 0 };
  const jobCounters: Partial<Record<JobName, FetchStats>> = {};
  const count = (field: keyof FetchStats) => {
    counters[field]++;
    const job = currentJob().job;
    const mine = jobCounters[job] ?? { requests: 0, retries: 0, rateLimited: 0 };
    mine[field]++;
    jobCounters[job] = mine;
  };
  const shapeErrors: Record<string, number> = {};
  const limits = { maxRetries: options.maxRetries, max403Retries: 3 };
  // Built once; never logged, never attached to errors.
  const headers = {
    'x-vo-api-id': options.apiId,
    'x-vo-api-key': options.apiKey,
    accept: 'application/json',
    'user-agent': 'roster-watch',
  };

  const gates = createEndpointGates(options.clock);
  const requestSignals = createRequestSignals();

  // A misbehaving proxy or server may echo request headers into its body; excerpts of bodies end
  // up in errors, runs and Slack, so the key is cut out of them first.
  // The key in every form a server may echo it (any case, percent-encoded, JSON-escaped, base64).
  registerSecrets([options.apiKey]);
  const redactKey = scrubSecrets;

  async function attempt<T>(path: string, schema: ResponseSchema<T>, signal: AbortSignal): Promise<T> {
    const endpoint = endpointClassOf(path);
    const intervalMs = options.endpointMinIntervalMs?.[endpoint] ?? 0;
    // The endpoint class's own interval is waited for before the budget and a connection, so a
    // minute's wait for the policy list holds neither a turn nor a connection others need.
    const gate = intervalMs > 0 ? await gates.pass(endpoint, intervalMs, signal) : null;
    let sent = false;
    try {
      // The turn first, by priority, then a connection: a connection taken first would let a
      // policy poll's four waiting requests hold every connection while a roster request queues.
      await budget.acquire(currentJob().priority, signal);
      const release = await slots.acquire(signal);
      try {
        gate?.done(true);
        sent = true;
        options.onSend?.(endpoint);
        return await send(path, schema, signal);
      } catch (error) {
        if (error instanceof VictorOpsError && error.status !== undefined && isRateLimitAnswer(error.status))
          gate?.refused();
        throw error;
      } finally {
        release();
      }
    } finally {
      if (!sent) gate?.done(false);
    }
  }

  async function send<T>(path: string, schema: ResponseSchema<T>, signal: AbortSignal): Promise<T> {
    count('requests');
    const request = requestSignals.open(signal, options.timeoutMs);
    let response: PoolResponse;
    let body: string;
    let streamed: { value: T } | undefined;
    try {
      response = await pool.request({
        method: 'GET',
        path: `${prefix}${path}`,
        headers,
        signal: request.signal,
      });
      const status = response.statusCode;
      const declared = Number(headerValue(response.headers['content-length']));
      if (status >= 200 && status < 300 && Number.isFinite(declared) && declared > maxBodyBytes) {
        // Refused on its word, before a byte of it is read: the connection is dropped, not drained.
        response.body.destroy();
        throw tooLargeError(path, maxBodyBytes, declared);
      }
      const stream =
        'stream' in schema &&
        schema.stream !== undefined &&
        !contentType(response.headers).includes('text/html')
          ? schema.stream()
          : undefined;
      // An error answer is only ever shown as an excerpt, so only its first few KiB are read.
      if (status < 200 || status >= 300) body = await readHead(response.body, EXCERPT_SOURCE_BYTES);
      else if (stream === undefined) body = await readBody(response.body, maxBodyBytes, path);
      else {
        const read = await readStreamed(response.body, maxBodyBytes, path, stream);
        if ('value' in read) streamed = read;
        body = 'text' in read ? read.text : '';
      }
    } catch (error) {
      if (error instanceof VictorOpsError) throw error;
      if (signal.aborted) throw abortedError(signal, path);
      if (request.timedOut() || isTimeout(error)) {
        throw new VictorOpsError('timeout', `GET ${path} timed out after ${options.timeoutMs} ms`, {
          retryable: true,
          path,
          cause: sanitizeCause(error),
        });
      }
      const failure = describeNetworkFailure(error);
      throw new VictorOpsError('network', `GET ${path} failed: ${failure.text}`, {
        retryable: failure.retryable,
        path,
        cause: sanitizeCause(error),
      });
    } finally {
      // The answer is read whole (or given up): its timer and its place among the caller's go.
      request.close();
    }
    if (streamed !== undefined) return streamed.value;
    const status = response.statusCode;
    if (status >= 200 && status < 300) {
      return parseBody(path, body, contentType(response.headers), schema, redactKey);
    }
    const retryAfterMs = parseRetryAfter(headerValue(response.headers['retry-after']), options.clock.now());
    throw statusError(path, status, redactKey(body), retryAfterMs);
  }

  async function get<T>(path: string, schema: ResponseSchema<T>, signal?: AbortSignal): Promise<T> {
    const effective = signal ?? new AbortController().signal;
    for (let retry = 0; ; retry++) {
      try {
        const result = await attempt(path, schema, effective);
        budget.onSuccess();
        return result;
      } catch (error) {
        if (!(error instanceof VictorOpsError)) throw error;
        if (error.code === 'shape') {
          const endpoint = endpointClassOf(path);
          shapeErrors[endpoint] = (shapeErrors[endpoint] ?? 0) + 1;
          options.onShapeError?.(endpoint);
        }
        if (error.status !== undefined && isRateLimitAnswer(error.status)) {
          count('rateLimited');
          budget.onRateLimited(error.retryAfterMs);
        }
        const lastOkMs = budget.lastSuccessMs();
        const okAgoMs = lastOkMs === null ? null : options.clock.now() - lastOkMs;
        // The key answered 200 moments ago: a 403 now is the rate limit, so it gets every retry.
        const keyWorks = okAgoMs !== null && okAgoMs <= RECENT_SUCCESS_MS;
        const retryLimits = keyWorks ? { ...limits, max403Retries: limits.maxRetries } : limits;
        if (!shouldRetry(error, retry, retryLimits)) throw finalError(error, keyWorks ? okAgoMs : null);
        const delayMs = backoffDelayMs({
          retry,
          baseMs: options.backoffBaseMs ?? 500,
          capMs: options.backoffCapMs ?? 30_000,
          random: random(),
          retryAfterMs: error.retryAfterMs,
        });
        count('retries');
        options.onRetry?.({
          path,
          retry: retry + 1,
          of: retryLimitFor(error, retryLimits),
          delayMs,
          reason: error.message,
          cause: retryCause(error),
          error,
        });
        try {
          await options.clock.sleep(delayMs, effective);
        } catch {
          throw abortedError(effective, path);
        }
      }
    }
  }

  return {
    get,
    stats: () => {
      if (!inJob()) return { ...counters };
      const mine = jobCounters[currentJob().job];
      return mine ? { ...mine } : { requests: 0, retries: 0, rateLimited: 0 };
    },
    statsByJob: () =>
      Object.fromEntries(Object.entries(jobCounters).map(([job, stats]) => [job, { ...stats }])),
    shapeErrors: () => ({ ...shapeErrors }),
    budget,
    close: () => pool.close(),
  };
}

/** One request's signal (see createRequestSignals); `close` when its answer is read or given up. */
interface RequestSignal {
  signal: AbortSignal;
  /** Its own time ran out (not the caller's signal). */
  timedOut(): boolean;
  close(): void;
}

/**
 * Each request's own signal: aborted when the caller's signal aborts or its own `timeoutMs` (from
 * the send to the last byte of the answer) runs out, whichever comes first. AbortSignal.any over
 * AbortSignal.timeout did the same with weak references and a registry per request, ~20 µs of CPU
 * each and their garbage (issue 21, thirty-third part). Here a caller's signal gets one listener
 * however many of its requests are in flight, which aborts each of them, and each request a timer
 * cleared when it ends.
 */
export function createRequestSignals(): { open(caller: AbortSignal, timeoutMs: number): RequestSignal } {
  // The caller's signal is listened to while a request of it is open, not for the client's life.
  const aborts = createAbortFanout();
  return {
    open(caller, timeoutMs) {
      const controller = new AbortController();
      if (caller.aborted) {
        controller.abort(caller.reason);
        return { signal: controller.signal, timedOut: () => false, close: () => {} };
      }
      const unfollow = aborts.follow(caller, () => controller.abort(caller.reason));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        // The reason AbortSignal.timeout gives, so what reads it (isTimeout) reads it the same.
        controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      }, timeoutMs);
      // As AbortSignal.timeout's: a pending request's timer alone does not keep the process alive.
      timer.unref();
      return {
        signal: controller.signal,
        timedOut: () => timedOut,
        close: () => {
          clearTimeout(timer);
          unfollow();
        },
      };
    },
  };
}

function abortedError(signal: AbortSignal, path: string): VictorOpsError {
  const reason = signal.reason;
  if (reason instanceof VictorOpsError) return reason;
  return new VictorOpsError('aborted', `GET ${path} was cancelled`, { retryable: false, path });
}

function isTimeout(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  const name = (error as { name?: unknown }).name;
  return (
    name === 'TimeoutError' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  );
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function contentType(headers: Record<string, string | string[] | undefined>): string {
  return (headerValue(headers['content-type']) ?? '').toLowerCase();
}

type ResponseBody = AsyncIterable<Buffer> & { destroy(): unknown };

/**
 * Not retried at once (the same answer would only be read again), and not the end of the watch:
 * the poll fails, is recorded as failed, and the next scheduled poll asks again.
 */
function tooLargeError(path: string, maxBytes: number, declaredBytes?: number): VictorOpsError {
  const size =
    declaredBytes === undefined ? `more than ${maxBytes} bytes` : `${declaredBytes} bytes (declared)`;
  return new VictorOpsError(
    'too_large',
    `GET ${path}: response refused, ${size} is over VO_MAX_RESPONSE_BYTES (${maxBytes}); the next poll asks again. Raise VO_MAX_RESPONSE_BYTES (and the heap) only if the org really is this large`,
    { retryable: false, path },
  );
}

/**
 * Reads a body's chunks while counting them (each handed to `onChunk` as it arrives), and drops
 * the connection as soon as it passes `maxBytes`.
 */
async function readChunks(
  body: ResponseBody,
  maxBytes: number,
  path: string,
  onChunk?: (chunk: Buffer) => void,
): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      chunks.length = 0;
      body.destroy();
      throw tooLargeError(path, maxBytes);
    }
    chunks.push(chunk);
    onChunk?.(chunk);
  }
  return chunks;
}

async function readBody(body: ResponseBody, maxBytes: number, path: string): Promise<string> {
  return Buffer.concat(await readChunks(body, maxBytes, path)).toString('utf8');
}

/**
 * Like readBody, with each chunk handed to `stream` as it arrives. The chunks are kept until the
 * end only so that a body the stream gives up on is parsed whole, exactly as readBody's text would
 * be; on success they are dropped without ever being joined or decoded whole.
 */
async function readStreamed<T>(
  body: ResponseBody,
  maxBytes: number,
  path: string,
  stream: BodyStream<T>,
): Promise<{ value: T } | { text: string }> {
  const chunks = await readChunks(body, maxBytes, path, (chunk) => stream.push(chunk));
  const value = stream.end();
  return value === null ? { text: Buffer.concat(chunks).toString('utf8') } : { value };
}

/** The first `maxBytes` of a body (for error excerpts); the rest is never read. */
async function readHead(body: ResponseBody, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= maxBytes) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
}

/** What an error message may quote of a body: its first few KiB, with the key cut out. */
function quotedExcerpt(body: string, redact: (text: string) => string): string {
  return excerpt(redact(body.slice(0, EXCERPT_SOURCE_BYTES)));
}

function parseBody<T>(
  path: string,
  body: string,
  type: string,
  schema: ResponseSchema<T>,
  redact: (text: string) => string,
): T {
  if (type.includes('text/html') || /^\s*</.test(body)) {
    throw new VictorOpsError(
      'malformed',
      `GET ${path}: expected JSON, got an HTML page: "${quotedExcerpt(body, redact)}"`,
      {
        retryable: true,
        path,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    const shown = body.trim() === '' ? 'an empty body' : `"${quotedExcerpt(body, redact)}"`;
    throw new VictorOpsError('malformed', `GET ${path}: response is not valid JSON: ${shown}`, {
      retryable: true,
      path,
    });
  }
  if ('fast' in schema) {
    const fast = schema.fast(json);
    if (fast !== null) return fast;
  }
  const parsed = ('fast' in schema ? schema.schema : schema).safeParse(json);
  if (!parsed.success) {
    // The endpoint class and the first failing field say what to report; the body may hold
    // people's names and emails, so none of it is quoted.
    throw new VictorOpsError('shape', `${endpointClassOf(path)}: ${describeSchemaIssue(parsed.error)}`, {
      retryable: true,
      path,
    });
  }
  return parsed.data;
}

function statusError(
  path: string,
  status: number,
  body: string,
  retryAfterMs: number | undefined,
): VictorOpsError {
  const html = /^\s*</.test(body);
  // Proxies and load balancers answer with HTML pages; show their words, not their markup.
  const shown = html ? `an HTML page: "${excerpt(body.replace(/<[^>]*>/g, ' '))}"` : `"${excerpt(body)}"`;
  const detail = body.trim() === '' ? '' : `: ${shown}`;
  const extra = retryAfterMs === undefined ? {} : { retryAfterMs };
  if (status === 401) {
    return new VictorOpsError('auth', `GET ${path}: 401 authentication missing: ${AUTH_HINT}`, {
      retryable: false,
      path,
      status,
    });
  }
  if (status === 403) {
    return new VictorOpsError(
      'rate_limited',
      `GET ${path}: 403 (VictorOps uses it for rate limiting too)${detail}`,
      {
        retryable: true,
        path,
        status,
        ...extra,
      },
    );
  }
  if (status === 429) {
    return new VictorOpsError('rate_limited', `GET ${path}: 429 rate limited${detail}`, {
      retryable: true,
      path,
      status,
      ...extra,
    });
  }
  if (status === 404) {
    return new VictorOpsError('not_found', `GET ${path}: 404 not found${detail}`, {
      retryable: false,
      path,
      status,
    });
  }
  const retryable = status >= 500 || status === 408;
  return new VictorOpsError('http', `GET ${path}: HTTP ${status}${detail}`, {
    retryable,
    path,
    status,
    ...extra,
  });
}

/**
 * After retries run out, a 403 is the authentication problem it most likely is, unless the key
 * answered 200 moments ago (`okAgoMs`): then it is VictorOps rate limiting, and says so.
 */
function finalError(error: VictorOpsError, okAgoMs: number | null): VictorOpsError {
  if (error.status !== 403) return error;
  const path = error.path ?? '';
  if (okAgoMs !== null) {
    return new VictorOpsError(
      'rate_limited',
      `GET ${path}: 403 while this key answered 200 ${Math.round(okAgoMs / 1000)} s ago: VictorOps is rate limiting the key (is something else using it?); the next poll asks again`,
      { retryable: true, path, status: 403 },
    );
  }
  return new VictorOpsError('auth', `GET ${path}: authentication failed or rate-limited: ${AUTH_HINT}`, {
    retryable: false,
    path,
    status: 403,
  });
}

/** At most `size` holders at once; waiters are served in arrival order. */
function createSemaphore(size: number): { acquire(signal: AbortSignal): Promise<() => void> } {
  let free = size;
  const waiting: (() => void)[] = [];
  const aborts = createAbortFanout();
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return {
    acquire(signal) {
      if (free > 0) {
        free--;
        return Promise.resolve(release);
      }
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          const index = waiting.indexOf(grant);
          if (index >= 0) waiting.splice(index, 1);
          reject(signal.reason);
        };
        const grant = () => {
          unfollow();
          resolve(release);
        };
        if (signal.aborted) return onAbort();
        const unfollow = aborts.follow(signal, onAbort);
        waiting.push(grant);
      });
    },
  };
}

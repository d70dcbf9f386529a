/**
 * The outbox dispatcher. Each destination has its own loop with its own concurrency, so a
 * failing or hanging destination only ever delays itself. Rows are claimed oldest event first
 * with a lease, sent, and recorded; a failed row is rescheduled by the pure retry policy and the
 * destination's later rows go on without it. Rows become `delivered` only after a 2xx, so a
 * crash at any point leaves every row delivered or due again (at least once).
 */
import type { Logger } from 'pino';
import { type Clock, monotonicNow } from '../clock.js';
import type { Config } from '../config.js';
import { planDeliveries } from '../roster/delivery-plan.js';
import type { Store } from '../store/db.js';
import {
  appendNoticeEvent,
  type ClaimedDelivery,
  claimDueDeliveries,
  disableDestination,
  isDestinationDisabled,
  nextDueAtMs,
  recordAttempt,
  syncDestinations,
} from '../store/outbox.js';
import {
  createDestinationRuntimes,
  type DestinationRuntime,
  type SendResult,
} from './destination-runtime.js';
import { decideRetry, MAX_RETRY_AFTER_MS } from './retry-policy.js';
import { createWebhookAgent } from './webhook-sender.js';

export type DeliveryOutcome = 'delivered' | 'failed' | 'dead' | 'disabled';

export interface OutcomeInfo {
  statusCode: number | null;
  latencyMs: number;
}

export interface DestinationPassSummary {
  attempted: number;
  delivered: number;
  failed: number;
  dead: number;
}

export interface PassSummary extends DestinationPassSummary {
  /** Unexpected errors (such as a database error) while handling a row; the row is due again later. */
  errors: number;
  /** Destinations that answered 410 during this pass and are now disabled. */
  disabledDuringPass: string[];
  /** Destinations skipped because they were already disabled. */
  skippedDisabled: string[];
  byDestination: Record<string, DestinationPassSummary>;
}

export interface Dispatcher {
  /** One pass over every row due now, for `roster-watch deliver` and the end of `poll`. */
  runOnce(): Promise<PassSummary>;
  /** Runs every destination's loop until `stop()`, waking on timers and on `notify()`. */
  start(): void;
  /** Wakes idle loops, e.g. after a poll enqueued rows. */
  notify(): void;
  /** Stops claiming new rows and resolves when in-flight sends have been recorded. */
  stop(): Promise<void>;
  /** For metrics; returns an unsubscribe function. */
  onOutcome(listener: (destination: string, outcome: DeliveryOutcome, info: OutcomeInfo) => void): () => void;
}

export interface DispatcherDeps {
  store: Store;
  config: Config;
  logger: Logger;
  clock: Clock;
  /** CloudEvents `source` of the notices the dispatcher itself stores. */
  source: string;
  /** In [0, 1), for retry jitter; injectable so tests are deterministic. */
  random?: () => number;
  /** How long an idle continuous loop waits before looking for rows other processes enqueued. */
  idleRecheckMs?: number;
}

type Counters = DestinationPassSummary & { errors: number };

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const { store, config, logger, clock } = deps;
  const random = deps.random ?? Math.random;
  const idleRecheckMs = deps.idleRecheckMs ?? 10_000;
  const agent = createWebhookAgent({ connectionsPerOrigin: config.delivery.concurrencyPerDestination });
  const runtimes = createDestinationRuntimes({ store, config, clock, agent });
  syncDestinations(
    store,
    runtimes.map((r) => r.spec),
  );
  const listeners = new Set<(destination: string, outcome: DeliveryOutcome, info: OutcomeInfo) => void>();
  const disabledDuringPass = new Set<string>();
  let noticeAppended = false;
  let stopping = false;
  let loops: Promise<void>[] | null = null;
  const wakers = new Set<AbortController>();

  const emit = (destination: string, outcome: DeliveryOutcome, info: OutcomeInfo) => {
    for (const listener of listeners) {
      try {
        listener(destination, outcome, info);
      } catch (error) {
        logger.warn({ err: error }, 'delivery outcome listener failed');
      }
    }
  };

  function disableAfterGone(
    runtime: DestinationRuntime,
    row: ClaimedDelivery,
    error: string,
    nowMs: number,
  ): void {
    const reason = 'the endpoint answered 410 Gone';
    if (!disableDestination(store, runtime.spec.name, reason, nowMs)) return;
    disabledDuringPass.add(runtime.spec.name);
    logger.warn(
      { destination: runtime.spec.name, eventId: row.eventId, error },
      'webhook endpoint answered 410 Gone: disabled it; re-enable with `roster-watch endpoints enable`',
    );
    const others = runtimes.map((r) => r.spec).filter((s) => s.name !== runtime.spec.name);
    appendNoticeEvent(store, {
      draft: {
        type: 'rosterwatch.endpoint.disabled',
        subject: runtime.spec.name,
        data: { destination: runtime.spec.name, statusCode: 410, reason },
      },
      source: deps.source,
      nowMs,
      plan: (event) => planDeliveries([event], others),
    });
    noticeAppended = true;
    notify();
  }

  function settle(
    runtime: DestinationRuntime,
    row: ClaimedDelivery,
    result: SendResult,
    counters: Counters,
  ): void {
    const nowMs = clock.now();
    const name = runtime.spec.name;
    const base = {
      deliveryId: row.id,
      attemptedAtMs: nowMs,
      statusCode: result.statusCode,
      latencyMs: result.latencyMs,
    };
    counters.attempted += 1;
    let outcome: DeliveryOutcome;
    if (result.kind === 'delivered') {
      recordAttempt(store, { ...base, outcome: 'delivered', error: null, nextAttemptAtMs: nowMs });
      outcome = 'delivered';
    } else if (result.kind === 'gone') {
      // Kept open and due now, so everything is delivered once the endpoint is re-enabled.
      recordAttempt(store, { ...base, outcome: 'disabled', error: result.error, nextAttemptAtMs: nowMs });
      disableAfterGone(runtime, row, result.error, nowMs);
      outcome = 'disabled';
    } else if (result.kind === 'rejected') {
      recordAttempt(store, { ...base, outcome: 'dead', error: result.error, nextAttemptAtMs: nowMs });
      logger.error({ destination: name, eventId: row.eventId, statusCode: result.statusCode }, result.error);
      outcome = 'dead';
    } else {
      // Capped like the row's own retry: a ten-year Retry-After must not silence a destination
      // until the process restarts.
      if (result.statusCode === 429) {
        runtime.pausedUntilMs = nowMs + Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS);
      }
      const decision = decideRetry({
        attempts: row.attempts + 1,
        scheduleMs: config.delivery.retryScheduleMs,
        retryAfterMs: result.retryAfterMs,
        random: random(),
      });
      outcome = decision.retry ? 'failed' : 'dead';
      // At least 1 ms later, so a zero delay cannot make the row due again within the same pass.
      const nextAttemptAtMs = nowMs + Math.max(1, decision.delayMs);
      recordAttempt(store, { ...base, outcome, error: result.error, nextAttemptAtMs });
      const log = {
        destination: name,
        eventId: row.eventId,
        statusCode: result.statusCode,
        error: result.error,
      };
      if (decision.retry)
        logger.info({ ...log, retryInMs: nextAttemptAtMs - nowMs }, 'delivery failed; will retry');
      else
        logger.warn(
          { ...log, attempts: row.attempts + 1 },
          'delivery failed on its last attempt; it is dead',
        );
    }
    if (outcome === 'delivered') counters.delivered += 1;
    else if (outcome === 'dead') counters.dead += 1;
    else counters.failed += 1;
    emit(name, outcome, { statusCode: result.statusCode, latencyMs: result.latencyMs });
  }

  /** Returns true when the destination hung: it did not answer within the timeout. */
  async function attempt(
    runtime: DestinationRuntime,
    row: ClaimedDelivery,
    counters: Counters,
  ): Promise<boolean> {
    try {
      const result = await runtime.send(row);
      settle(runtime, row, result, counters);
      return result.kind === 'failed' && 'timedOut' in result && result.timedOut === true;
    } catch (error) {
      // The row keeps its lease and becomes due again when it expires: nothing is lost.
      counters.errors += 1;
      logger.error(
        { err: error, destination: runtime.spec.name, eventId: row.eventId },
        'could not record a delivery',
      );
      return false;
    }
  }

  /** Sends a destination's due rows until none is left (at or before `cutoffMs`, when given). */
  async function drain(
    runtime: DestinationRuntime,
    cutoffMs: number | undefined,
    counters: Counters,
  ): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    // A destination that hangs is not tried again in this drain: each of its rows would otherwise
    // wait out the full timeout, stretching a one-shot `poll` or `deliver` to rows ÷ concurrency
    // × timeout. The rows keep their retry slots. (A refused connection fails fast: no need.)
    let unreachable = false;
    while (
      !stopping &&
      !unreachable &&
      clock.now() >= runtime.pausedUntilMs &&
      !isDestinationDisabled(store, runtime.spec.name)
    ) {
      const free = runtime.concurrency - inFlight.size;
      if (free <= 0) {
        await Promise.race(inFlight);
        continue;
      }
      const nowMs = clock.now();
      const rows = claimDueDeliveries(store, {
        destination: runtime.spec.name,
        nowMs,
        limit: free,
        leaseMs: runtime.leaseMs,
        dueAtOrBeforeMs: cutoffMs ?? nowMs,
      });
      if (rows.length === 0) {
        if (inFlight.size === 0) break;
        await Promise.race(inFlight);
        continue;
      }
      for (const row of rows) {
        // Monotonic: the pacing gap is a duration, which a wall-clock step must not stretch.
        const wait = runtime.lastSendStartedMs + runtime.minIntervalMs - monotonicNow(clock);
        if (wait > 0) await clock.sleep(wait);
        runtime.lastSendStartedMs = monotonicNow(clock);
        const p: Promise<void> = attempt(runtime, row, counters)
          .then((noAnswer) => {
            if (noAnswer) unreachable = true;
          })
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
    }
    await Promise.all(inFlight);
  }

  function emptyCounters(): Counters {
    return { attempted: 0, delivered: 0, failed: 0, dead: 0, errors: 0 };
  }

  async function runOnce(): Promise<PassSummary> {
    disabledDuringPass.clear();
    const summary: PassSummary = {
      ...emptyCounters(),
      disabledDuringPass: [],
      skippedDisabled: runtimes
        .filter((r) => isDestinationDisabled(store, r.spec.name))
        .map((r) => r.spec.name),
      byDestination: {},
    };
    const byName = new Map(runtimes.map((r) => [r.spec.name, emptyCounters()] as const));
    // A 410 stores a notice for the other destinations mid-pass; a second round delivers it.
    for (let round = 0; round < 3; round++) {
      noticeAppended = false;
      const cutoffMs = clock.now();
      await Promise.all(runtimes.map((r) => drain(r, cutoffMs, byName.get(r.spec.name)!)));
      if (!noticeAppended || stopping) break;
    }
    for (const [name, c] of byName) {
      summary.byDestination[name] = {
        attempted: c.attempted,
        delivered: c.delivered,
        failed: c.failed,
        dead: c.dead,
      };
      summary.attempted += c.attempted;
      summary.delivered += c.delivered;
      summary.failed += c.failed;
      summary.dead += c.dead;
      summary.errors += c.errors;
    }
    summary.disabledDuringPass = [...disabledDuringPass];
    return summary;
  }

  /** Resolves after `ms`, or earlier on notify() or stop(). */
  async function idle(ms: number): Promise<void> {
    const waker = new AbortController();
    wakers.add(waker);
    try {
      await clock.sleep(Math.max(0, ms), waker.signal);
    } catch {
      // Woken early: that is the point.
    } finally {
      wakers.delete(waker);
    }
  }

  function notify(): void {
    for (const waker of wakers) waker.abort();
  }

  async function loop(runtime: DestinationRuntime): Promise<void> {
    const counters = emptyCounters();
    while (!stopping) {
      try {
        await drain(runtime, undefined, counters);
        if (stopping) break;
        const nowMs = clock.now();
        let waitMs = idleRecheckMs;
        if (!isDestinationDisabled(store, runtime.spec.name)) {
          const next = Math.max(
            nextDueAtMs(store, runtime.spec.name) ?? Number.POSITIVE_INFINITY,
            runtime.pausedUntilMs,
          );
          waitMs = Math.min(idleRecheckMs, next - nowMs);
        }
        await idle(waitMs);
      } catch (error) {
        logger.error({ err: error, destination: runtime.spec.name }, 'delivery loop error; retrying shortly');
        await idle(1_000);
      }
    }
  }

  return {
    runOnce,
    notify,
    start() {
      if (loops !== null) return;
      stopping = false;
      loops = runtimes.map((r) => loop(r));
    },
    async stop() {
      stopping = true;
      notify();
      if (loops !== null) await Promise.all(loops);
      loops = null;
      await agent.close();
    },
    onOutcome(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * The outbox dispatcher. Each destination has its own loop with its own concurrency, so a
 * failing or hanging destination only ever delays itself. Rows are claimed oldest event first
 * with a lease, sent, and recorded; a failed row is rescheduled by the pure retry policy and the
 * destination's later rows go on without it. Rows become `delivered` only after a 2xx, so a
 * crash at any point leaves every row delivered or due again (at least once).
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config/load-config.js';
import type { Store } from '../store/db.js';
import { isDestinationDisabled, syncDestinations } from '../store/outbox.js';
import {
  type DeliveryContext,
  drainDestination,
  type OutcomeInfo,
  runDestinationLoop,
} from './destination-loop.js';
import { createDestinationRuntimes } from './destinations.js';
import { createPassCounters, type PassSummary, sumPassTotals } from './pass-totals.js';
import type { DeliveryOutcome } from './settle-attempt.js';
import { createWebhookAgent } from './webhook-sender.js';

type OutcomeListener = (destination: string, outcome: DeliveryOutcome, info: OutcomeInfo) => void;

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
  onOutcome(listener: OutcomeListener): () => void;
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

/** Calls every listener; one that throws is logged and does not stop the others. */
function createOutcomeEmitter(logger: Logger, listeners: Set<OutcomeListener>): OutcomeListener {
  return (destination, outcome, info) => {
    for (const listener of listeners) {
      try {
        listener(destination, outcome, info);
      } catch (error) {
        logger.warn({ err: error }, 'delivery outcome listener failed');
      }
    }
  };
}

/** Sleeps that notify() and stop() cut short. */
function createWakers(clock: Clock): { idle(ms: number): Promise<void>; wakeAll(): void } {
  const wakers = new Set<AbortController>();
  return {
    async idle(ms) {
      const waker = new AbortController();
      wakers.add(waker);
      try {
        await clock.sleep(Math.max(0, ms), waker.signal);
      } catch {
        // Woken early: that is the point.
      } finally {
        wakers.delete(waker);
      }
    },
    wakeAll() {
      for (const waker of wakers) waker.abort();
    },
  };
}

/** One pass over every destination's rows due now. */
async function runPass(ctx: DeliveryContext): Promise<PassSummary> {
  ctx.state.disabledDuringPass.clear();
  const skippedDisabled = ctx.runtimes
    .filter((r) => isDestinationDisabled(ctx.store, r.spec.name))
    .map((r) => r.spec.name);
  const byDestination = new Map(ctx.runtimes.map((r) => [r.spec.name, createPassCounters()] as const));
  // A 410 stores a notice for the other destinations mid-pass; a second round delivers it.
  for (let round = 0; round < 3; round++) {
    ctx.state.noticeAppended = false;
    const cutoffMs = ctx.clock.now();
    await Promise.all(
      ctx.runtimes.map((r) => drainDestination(ctx, r, cutoffMs, byDestination.get(r.spec.name)!)),
    );
    if (!ctx.state.noticeAppended || ctx.state.stopping) break;
  }
  return sumPassTotals({
    byDestination,
    disabledDuringPass: [...ctx.state.disabledDuringPass],
    skippedDisabled,
  });
}

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const { store, config, logger, clock } = deps;
  const agent = createWebhookAgent({ connectionsPerOrigin: config.delivery.concurrencyPerDestination });
  const runtimes = createDestinationRuntimes({ store, config, clock, agent });
  syncDestinations(
    store,
    runtimes.map((r) => r.spec),
  );
  const listeners = new Set<OutcomeListener>();
  const wakers = createWakers(clock);
  const ctx: DeliveryContext = {
    store,
    logger,
    clock,
    source: deps.source,
    random: deps.random ?? Math.random,
    retryScheduleMs: config.delivery.retryScheduleMs,
    idleRecheckMs: deps.idleRecheckMs ?? 10_000,
    runtimes,
    state: { stopping: false, noticeAppended: false, disabledDuringPass: new Set() },
    emit: createOutcomeEmitter(logger, listeners),
    notify: wakers.wakeAll,
    idle: wakers.idle,
  };
  let loops: Promise<void>[] | null = null;
  return {
    runOnce: () => runPass(ctx),
    notify: wakers.wakeAll,
    start() {
      if (loops !== null) return;
      ctx.state.stopping = false;
      loops = runtimes.map((r) => runDestinationLoop(ctx, r));
    },
    async stop() {
      ctx.state.stopping = true;
      wakers.wakeAll();
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

/**
 * One destination's side of the dispatcher: claim its due rows with a lease, send them within
 * its concurrency and pacing, and carry out what the pure settle step decides. A failing or
 * hanging destination only ever delays itself.
 */
import type { Logger } from 'pino';
import { type Clock, monotonicNow } from '../clock.js';
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
} from '../store/outbox.js';
import type { DestinationRuntime, SendResult } from './destination-runtime.js';
import { countOutcome, createPassCounters, type PassCounters } from './pass-totals.js';
import { type DeliveryOutcome, type Settlement, settleAttempt } from './settle-attempt.js';

export interface OutcomeInfo {
  statusCode: number | null;
  latencyMs: number;
}

/** What every destination's loop shares with the dispatcher that runs it. */
export interface DeliveryContext {
  store: Store;
  logger: Logger;
  clock: Clock;
  /** CloudEvents `source` of the notices the dispatcher itself stores. */
  source: string;
  random: () => number;
  retryScheduleMs: readonly number[];
  idleRecheckMs: number;
  runtimes: readonly DestinationRuntime[];
  /** Mutable pass state: set by the dispatcher, read and updated by the loops. */
  state: { stopping: boolean; noticeAppended: boolean; disabledDuringPass: Set<string> };
  emit(destination: string, outcome: DeliveryOutcome, info: OutcomeInfo): void;
  /** Wakes idle loops. */
  notify(): void;
  /** Resolves after `ms`, or earlier on notify() or stop(). */
  idle(ms: number): Promise<void>;
}

function disableAfterGone(
  ctx: DeliveryContext,
  runtime: DestinationRuntime,
  row: ClaimedDelivery,
  disable: NonNullable<Settlement['disable']>,
  error: string | null,
  nowMs: number,
): void {
  const name = runtime.spec.name;
  if (!disableDestination(ctx.store, name, disable.reason, nowMs)) return;
  ctx.state.disabledDuringPass.add(name);
  ctx.logger.warn(
    { destination: name, eventId: row.eventId, error },
    'webhook endpoint answered 410 Gone: disabled it; re-enable with `roster-watch endpoints enable`',
  );
  const others = ctx.runtimes.map((r) => r.spec).filter((s) => s.name !== name);
  appendNoticeEvent(ctx.store, {
    draft: disable.notice,
    source: ctx.source,
    nowMs,
    plan: (event) => planDeliveries([event], others),
  });
  ctx.state.noticeAppended = true;
  ctx.notify();
}

/** Records an attempt and carries out the settle step's decision. */
function recordOutcome(
  ctx: DeliveryContext,
  runtime: DestinationRuntime,
  row: ClaimedDelivery,
  result: SendResult,
  counters: PassCounters,
): void {
  const nowMs = ctx.clock.now();
  const name = runtime.spec.name;
  const settled = settleAttempt({
    destination: name,
    eventId: row.eventId,
    result,
    attemptsBefore: row.attempts,
    nowMs,
    retryScheduleMs: ctx.retryScheduleMs,
    random: result.kind === 'failed' ? ctx.random() : 0,
  });
  if (settled.pauseUntilMs !== null) runtime.pausedUntilMs = settled.pauseUntilMs;
  recordAttempt(ctx.store, {
    deliveryId: row.id,
    attemptedAtMs: nowMs,
    statusCode: result.statusCode,
    latencyMs: result.latencyMs,
    outcome: settled.outcome,
    error: settled.error,
    nextAttemptAtMs: settled.nextAttemptAtMs,
  });
  if (settled.disable !== null) disableAfterGone(ctx, runtime, row, settled.disable, settled.error, nowMs);
  if (settled.log !== null) ctx.logger[settled.log.level](settled.log.fields, settled.log.message);
  countOutcome(counters, settled.outcome);
  ctx.emit(name, settled.outcome, { statusCode: result.statusCode, latencyMs: result.latencyMs });
}

/** Returns true when the destination hung: it did not answer within the timeout. */
async function attemptRow(
  ctx: DeliveryContext,
  runtime: DestinationRuntime,
  row: ClaimedDelivery,
  counters: PassCounters,
): Promise<boolean> {
  try {
    const result = await runtime.send(row);
    recordOutcome(ctx, runtime, row, result, counters);
    return result.kind === 'failed' && 'timedOut' in result && result.timedOut === true;
  } catch (error) {
    // The row keeps its lease and becomes due again when it expires: nothing is lost.
    counters.errors += 1;
    ctx.logger.error(
      { err: error, destination: runtime.spec.name, eventId: row.eventId },
      'could not record a delivery',
    );
    return false;
  }
}

/** Sends a destination's due rows until none is left (at or before `cutoffMs`, when given). */
export async function drainDestination(
  ctx: DeliveryContext,
  runtime: DestinationRuntime,
  cutoffMs: number | undefined,
  counters: PassCounters,
): Promise<void> {
  const { clock, store } = ctx;
  const inFlight = new Set<Promise<void>>();
  // A destination that hangs is not tried again in this drain: each of its rows would otherwise
  // wait out the full timeout, stretching a one-shot `poll` or `deliver` to rows ÷ concurrency
  // × timeout. The rows keep their retry slots. (A refused connection fails fast: no need.)
  let unreachable = false;
  while (
    !ctx.state.stopping &&
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
      const p: Promise<void> = attemptRow(ctx, runtime, row, counters)
        .then((noAnswer) => {
          if (noAnswer) unreachable = true;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  }
  await Promise.all(inFlight);
}

/** The continuous loop of one destination: drain, then sleep until its next row is due. */
export async function runDestinationLoop(ctx: DeliveryContext, runtime: DestinationRuntime): Promise<void> {
  const counters = createPassCounters();
  const name = runtime.spec.name;
  while (!ctx.state.stopping) {
    try {
      await drainDestination(ctx, runtime, undefined, counters);
      if (ctx.state.stopping) break;
      const nowMs = ctx.clock.now();
      let waitMs = ctx.idleRecheckMs;
      if (!isDestinationDisabled(ctx.store, name)) {
        const next = Math.max(
          nextDueAtMs(ctx.store, name) ?? Number.POSITIVE_INFINITY,
          runtime.pausedUntilMs,
        );
        waitMs = Math.min(ctx.idleRecheckMs, next - nowMs);
      }
      await ctx.idle(waitMs);
    } catch (error) {
      ctx.logger.error({ err: error, destination: name }, 'delivery loop error; retrying shortly');
      await ctx.idle(1_000);
    }
  }
}

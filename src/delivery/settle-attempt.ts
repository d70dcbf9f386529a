/**
 * The pure settle step of the dispatcher: given what one send attempt came back with, the retry
 * schedule and the time, it decides the row's next state, what to record, whether to pause or
 * disable the destination, and what to log. No I/O here, so every branch is table-tested.
 */
import type { EventDraft } from '../roster/events.js';
import type { AttemptOutcome } from '../store/outbox.js';
import type { SendResult } from './destination-runtime.js';
import { decideRetry, MAX_RETRY_AFTER_MS } from './retry-policy.js';

export type DeliveryOutcome = AttemptOutcome;

export interface SettleInput {
  destination: string;
  eventId: string;
  result: SendResult;
  /** Attempts the row had before this one. */
  attemptsBefore: number;
  nowMs: number;
  retryScheduleMs: readonly number[];
  /** In [0, 1), for retry jitter. */
  random: number;
}

export interface SettleLog {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

export interface Settlement {
  outcome: DeliveryOutcome;
  /** What the attempt row records; the row is due again at `nextAttemptAtMs` unless delivered or dead. */
  error: string | null;
  nextAttemptAtMs: number;
  /** Set after a 429: the destination sends nothing before this time. */
  pauseUntilMs: number | null;
  /** Set after a 410: disable the destination and, if that newly disabled it, store this notice. */
  disable: { reason: string; notice: EventDraft } | null;
  log: SettleLog | null;
}

const GONE_REASON = 'the endpoint answered 410 Gone';

/** Decides everything that follows one attempt; the caller only carries it out. */
export function settleAttempt(input: SettleInput): Settlement {
  const { result, nowMs, destination } = input;
  const none = { pauseUntilMs: null, disable: null, log: null };
  if (result.kind === 'delivered') {
    return { ...none, outcome: 'delivered', error: null, nextAttemptAtMs: nowMs };
  }
  if (result.kind === 'gone') {
    // Kept open and due now, so everything is delivered once the endpoint is re-enabled.
    const notice: EventDraft = {
      type: 'rosterwatch.endpoint.disabled',
      subject: destination,
      data: { destination, statusCode: 410, reason: GONE_REASON },
    };
    return {
      ...none,
      outcome: 'disabled',
      error: result.error,
      nextAttemptAtMs: nowMs,
      disable: { reason: GONE_REASON, notice },
    };
  }
  if (result.kind === 'rejected') {
    const fields = { destination, eventId: input.eventId, statusCode: result.statusCode };
    return {
      ...none,
      outcome: 'dead',
      error: result.error,
      nextAttemptAtMs: nowMs,
      log: { level: 'error', fields, message: result.error },
    };
  }
  return settleFailure(input, result);
}

function settleFailure(input: SettleInput, result: Extract<SendResult, { kind: 'failed' }>): Settlement {
  const { nowMs } = input;
  const attempts = input.attemptsBefore + 1;
  // Capped like the row's own retry: a ten-year Retry-After must not silence a destination
  // until the process restarts.
  const pauseUntilMs =
    result.statusCode === 429 ? nowMs + Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS) : null;
  const decision = decideRetry({
    attempts,
    scheduleMs: input.retryScheduleMs,
    retryAfterMs: result.retryAfterMs,
    random: input.random,
  });
  // At least 1 ms later, so a zero delay cannot make the row due again within the same pass.
  const nextAttemptAtMs = nowMs + Math.max(1, decision.delayMs);
  const fields = {
    destination: input.destination,
    eventId: input.eventId,
    statusCode: result.statusCode,
    error: result.error,
  };
  const log: SettleLog = decision.retry
    ? {
        level: 'info',
        fields: { ...fields, retryInMs: nextAttemptAtMs - nowMs },
        message: 'delivery failed; will retry',
      }
    : {
        level: 'warn',
        fields: { ...fields, attempts },
        message: 'delivery failed on its last attempt; it is dead',
      };
  return {
    outcome: decision.retry ? 'failed' : 'dead',
    error: result.error,
    nextAttemptAtMs,
    pauseUntilMs,
    disable: null,
    log,
  };
}

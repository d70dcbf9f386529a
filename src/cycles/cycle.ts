/**
 * The one shape of every recorded run (roster poll, policy poll, identity sync):
 * fetch (network I/O, nothing written) → ONE immediate transaction that reads what the decision
 * needs, decides and records it with its events and outbox rows → the result and its log line.
 * A second process polling the same database waits at the transaction instead of deciding on the
 * same state and recording the same change twice; a cancelled run commits nothing at all.
 */
import type { Clock } from '../clock.js';
import { PollAbortedError, VictorOpsError } from '../errors.js';
import type { Logger } from '../logger.js';
import { errorText } from '../redact.js';
import { inRecordTransaction, type Store } from '../store/db.js';
import { keepRunTimesMonotonic } from '../store/runs.js';

export interface CycleSpec<Fetched, Recorded, Result> {
  /** Network I/O only. Failures the run records (a failed poll) are returned, not thrown. */
  fetch(signal: AbortSignal): Promise<Fetched>;
  /** Inside the transaction: read, decide, record (outbox rows included). Synchronous on purpose. */
  record(fetched: Fetched): Recorded;
  /** After the commit: the caller's result, with one log line about it. */
  finish(recorded: Recorded): Result;
}

export async function runCycle<F, R, T>(
  store: Store,
  spec: CycleSpec<F, R, T>,
  signal: AbortSignal,
): Promise<T> {
  let fetched: F;
  try {
    fetched = await spec.fetch(signal);
  } catch (error) {
    if (signal.aborted) throw new PollAbortedError();
    throw error;
  }
  if (signal.aborted) throw new PollAbortedError();
  return recordCycle(store, spec, fetched);
}

/** The cycle's second half, for a run whose input is already at hand (`accept`'s held fetch). */
export function recordCycle<F, R, T>(store: Store, spec: CycleSpec<F, R, T>, fetched: F): T {
  const recorded = inRecordTransaction(store, () => spec.record(fetched));
  return spec.finish(recorded);
}

export type FetchOutcome<T> = { ok: true; fetched: T } | { ok: false; error: string };

/** A VictorOps failure becomes a failed run the cycle records; anything else is a bug and throws. */
export async function fetchOutcome<T>(fetch: () => Promise<T>): Promise<FetchOutcome<T>> {
  try {
    return { ok: true, fetched: await fetch() };
  } catch (error) {
    if (!(error instanceof VictorOpsError)) throw error;
    return { ok: false, error: errorText(error) };
  }
}

/**
 * Run times from the wall clock, moved past the last run of the same kind, with a warning only
 * when the clock stepped back (keepRunTimesMonotonic). Call inside the run's transaction, so no other run slips in between.
 */
export function laterThanLastRun(
  deps: { store: Store; logger: Logger; clock?: Clock },
  kind: 'roster' | 'policy' | 'contacts',
  startedAt: string,
  finishedAt: string,
): { startedAt: string; finishedAt: string } {
  // The clock now, in the run's transaction: a run that finished reading before another was
  // recorded (they overlapped) has an earlier finish than that run without any clock step.
  const recordedAt = deps.clock ? new Date(deps.clock.now()).toISOString() : undefined;
  const times = keepRunTimesMonotonic(deps.store, kind, { startedAt, finishedAt }, recordedAt);
  if (times.clockWasBehind !== null) {
    deps.logger.warn(
      { wallClock: startedAt, lastRunAt: times.clockWasBehind, recordedAt: times.startedAt },
      'the wall clock is behind the last recorded run (it stepped back): this run is recorded at the last run time so history never goes backwards; check NTP',
    );
  }
  return times;
}

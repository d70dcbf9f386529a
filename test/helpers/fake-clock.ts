/**
 * A Clock that moves only when a test moves it. `advance(ms)` wakes the sleeps that fall due,
 * earliest first, letting each woken task run before the next, so code paced by `clock.sleep`
 * runs exactly as it would in real time without the test waiting for it. Real I/O still runs
 * for real; only time is faked.
 */
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { Clock } from '../../src/clock.js';

export interface FakeClock extends Clock {
  monotonicMs(): number;
  /** Moves time forward by `ms`, waking due sleeps in due order (ties in the order they began). */
  advance(ms: number): Promise<void>;
  /** How many sleeps are waiting. */
  pendingSleeps(): number;
  /** Resolves with the due time of the earliest sleep as soon as one is waiting. */
  nextSleepDue(): Promise<number>;
  /**
   * Advances to each next sleep, as the code under test begins them, until `work` settles: for
   * work that paces or waits on the clock. Returns what `work` resolves to.
   */
  runUntilSettled<T>(work: Promise<T>): Promise<T>;
}

interface Sleeper {
  dueMs: number;
  order: number;
  wake(): void;
}

/** Starts at a fixed instant so recorded times do not depend on when the test ran. */
export const FAKE_CLOCK_START_MS = Date.UTC(2026, 0, 5, 9, 0, 0);

export function createFakeClock(startMs = FAKE_CLOCK_START_MS): FakeClock {
  let nowMs = startMs;
  let order = 0;
  const sleepers: Sleeper[] = [];
  const sleepListeners: (() => void)[] = [];

  const earliest = (): Sleeper | undefined =>
    sleepers.reduce<Sleeper | undefined>(
      (best, s) =>
        best === undefined || s.dueMs < best.dueMs || (s.dueMs === best.dueMs && s.order < best.order)
          ? s
          : best,
      undefined,
    );
  const remove = (sleeper: Sleeper) => {
    const at = sleepers.indexOf(sleeper);
    if (at >= 0) sleepers.splice(at, 1);
  };

  const clock: FakeClock = {
    now: () => nowMs,
    monotonicMs: () => nowMs,
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      // Like a zero timeout: no time needs to pass, so it does not wait for advance(); still a
      // macrotask later, so a loop that sleeps 0 cannot starve I/O.
      if (ms <= 0) return nextMacrotask().then(() => undefined);
      return new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          remove(sleeper);
          reject(signal?.reason);
        };
        const sleeper: Sleeper = {
          dueMs: nowMs + ms,
          order: order++,
          wake: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        sleepers.push(sleeper);
        for (const listener of sleepListeners.splice(0)) listener();
      });
    },
    async advance(ms) {
      if (ms < 0) throw new Error(`a fake clock cannot go back (${ms} ms)`);
      const targetMs = nowMs + ms;
      for (let next = earliest(); next !== undefined && next.dueMs <= targetMs; next = earliest()) {
        nowMs = Math.max(nowMs, next.dueMs);
        remove(next);
        next.wake();
        // Let the woken task run up to its next sleep or I/O before waking the next one.
        await nextMacrotask();
      }
      nowMs = targetMs;
    },
    pendingSleeps: () => sleepers.length,
    nextSleepDue() {
      const first = earliest();
      if (first !== undefined) return Promise.resolve(first.dueMs);
      return new Promise<number>((resolve) => {
        sleepListeners.push(() => resolve(earliest()!.dueMs));
      });
    },
    async runUntilSettled(work) {
      let settled = false;
      const finished = work.then(
        () => {
          settled = true;
        },
        () => {
          settled = true;
        },
      );
      while (!settled) {
        const dueMs = await Promise.race([finished.then(() => null), clock.nextSleepDue()]);
        if (settled || dueMs === null) break;
        await clock.advance(Math.max(0, dueMs - nowMs));
      }
      return work;
    },
  };
  return clock;
}

/**
 * Resolves once the dispatcher has recorded `count` outcomes that `matches` accepts: recorded,
 * because the dispatcher reports an outcome only after storing its attempt.
 */
export function awaitOutcomes(
  dispatcher: {
    onOutcome(listener: (destination: string, outcome: string) => void): () => void;
  },
  count: number,
  matches: (destination: string, outcome: string) => boolean = () => true,
): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const stop = dispatcher.onOutcome((destination, outcome) => {
      if (!matches(destination, outcome)) return;
      seen += 1;
      if (seen === count) {
        stop();
        resolve();
      }
    });
  });
}

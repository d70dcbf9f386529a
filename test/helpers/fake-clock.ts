/**
 * A Clock that moves only when a test moves it. `advance(ms)` wakes the sleeps that fall due,
 * earliest first, letting each woken task run before the next, so code paced by `clock.sleep`
 * runs exactly as it would in real time without the test waiting for it. Real I/O still runs
 * for real; only time is faked.
 */
import { setImmediate as nextMacrotask, setTimeout as yieldToIo } from 'node:timers/promises';
import type { Clock } from '../../src/clock.js';

export interface FakeClock extends Clock {
  monotonicMs(): number;
  /** Moves time forward by `ms`, waking due sleeps in due order (ties in the order they began). */
  advance(ms: number): Promise<void>;
  /** How many sleeps are waiting. */
  pendingSleeps(): number;
  /**
   * How long each waiting sleep has left, shortest first: what the code under test decided to wait
   * for, which a test asserts instead of measuring how long real time took.
   */
  sleeping(): number[];
  /** Resolves with the due time of the earliest sleep as soon as one is waiting. */
  nextSleepDue(): Promise<number>;
  /**
   * Advances to each next sleep, as the code under test begins them, until `work` settles: for
   * work that paces or waits on the clock. Returns what `work` resolves to.
   *
   * With `quiet`, time moves only while `quiet()` says nothing is on its way through real I/O (e.g.
   * every request the client sent has reached the server), so an instant on the clock means the
   * same for a sender and a receiver that share it.
   */
  runUntilSettled<T>(work: Promise<T>, quiet?: () => boolean): Promise<T>;
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
    sleeping: () => sleepers.map((s) => s.dueMs - nowMs).sort((a, b) => a - b),
    nextSleepDue() {
      const first = earliest();
      if (first !== undefined) return Promise.resolve(first.dueMs);
      return new Promise<number>((resolve) => {
        sleepListeners.push(() => resolve(earliest()!.dueMs));
      });
    },
    async runUntilSettled(work, quiet) {
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
        if (quiet !== undefined && !quiet()) {
          // Something is still in flight on real sockets: give it a turn of the event loop (no
          // deadline; the test's own timeout bounds a hang) before deciding to move time.
          await yieldToIo(1);
          continue;
        }
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

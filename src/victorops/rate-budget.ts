/**
 * One rate budget per VictorOps key. Every request of this process waits here for its turn; turns
 * are slots reserved one at a time from the key's shared schedule (`SharedSlots`, kept in the
 * database so that a daemon and a `poll`, `fetch` or `doctor` run beside it share one budget), at
 * a pace below the key's limit (VO_RATE_PACE of VO_MAX_RPS). Within the process, a turn goes to
 * the most urgent waiter when the slot comes up, not when it was asked for: roster polls, then
 * policy polls, then bulk work; background work (anything but roster polls) still gets at least
 * VO_BACKGROUND_SHARE of the turns while it waits, and every idle turn.
 *
 * Across processes the same order holds through the shared schedule: each process tells it the
 * most urgent work it has waiting, and a process whose work is less urgent than another's yields
 * the turn (background work still takes one turn in VO_BACKGROUND_SHARE, and a process that has
 * yielded for MAX_YIELD_MS takes the next turn). A one-shot command's own reads (`fetch`,
 * `doctor`) are roster-class, so they come before the daemon's policy polls and bulk work; the
 * daemon leads (`lead`), so its roster polls come before them. (Leading with the share alone
 * left a `doctor` beside a daemon polling every 3 s, with two other one-shots sharing the share,
 * without a turn within its 6-s check deadline: hence the bounded yield.) The background share is
 * one for the key, not one per process: a turn another process took ahead of this one's waiting
 * work (reported by the shared schedule) stands for this process's next share turn, which then
 * goes to its most urgent work instead (`pickLevel`'s credit), but never two share turns in a
 * row: the daemon's policy poll keeps at least half its share while one-shots run. So a daemon's
 * roster polls keep about two thirds of the key beside a one-shot, not 1 − VO_BACKGROUND_SHARE of
 * what the one-shot left (issue 27: ~56 %; a roster request waited about twice as long for its
 * turn), and its policy poll still advances beside one-shots run back to back.
 *
 * After a rate-limited answer this process slows down (the local limiter halves its rate and wins
 * it back on successes) and every process using the key pauses for a moment (a hold on the shared
 * schedule).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import {
  holdSlots,
  reserveSlot,
  type SlotRequest,
  type SlotState,
  withdrawWaiter,
} from '../store/rate-budget.js';
import { PRIORITIES, type RequestPriority } from './job-context.js';
import { createRateLimiter, windowFor } from './rate-limiter.js';

/** The key's schedule as every process using it sees it; see src/store/rate-budget.ts. */
export interface SharedSlots {
  /**
   * `slotMs` null: the turn is yielded to more urgent work in another process; ask again later.
   * `yielded`: turns less urgent work in other processes took ahead of this one's since its last
   * reservation (their share of the key's turns, counted against this process's background share).
   */
  reserve(request: SlotRequest): { slotMs: number | null; lastOkMs: number | null; yielded?: number };
  hold(untilMs: number, nowMs: number, maxAheadMs: number): void;
  /** The process `waiterId` has nothing waiting any more. */
  withdraw(waiterId: string): void;
}

/** The schedule of one process alone (no database to share it through). */
export function createLocalSlots(): SharedSlots {
  let state: SlotState | null = null;
  return {
    reserve(request) {
      const reserved = reserveSlot(state, request);
      state = reserved.state;
      return { slotMs: reserved.slotMs, lastOkMs: state.lastOkMs, yielded: reserved.yielded };
    },
    hold(untilMs, nowMs, maxAheadMs) {
      state = holdSlots(state, untilMs, nowMs, maxAheadMs);
    },
    withdraw(waiterId) {
      state = withdrawWaiter(state, waiterId);
    },
  };
}

/**
 * Names the key in the shared schedule without storing it: a short SHA-256 of id and key, so two
 * keys of one org get budgets of their own and the database never holds a credential.
 */
export function rateBudgetKeyId(apiId: string, apiKey: string): string {
  return createHash('sha256').update(`${apiId}\n${apiKey}`).digest('hex').slice(0, 16);
}

export interface RateBudgetOptions {
  /** The key's limit at VictorOps, requests per second (VO_MAX_RPS). */
  maxRps: number;
  /** The fraction of it this budget spends (VO_RATE_PACE, e.g. 0.9: 1.8 of 2). */
  pace: number;
  /** The least share of turns background work gets while it waits (VO_BACKGROUND_SHARE). */
  backgroundShare: number;
  clock: Clock;
  shared: SharedSlots;
  /** The shared schedule could not be read or written; this turn was paced locally. */
  onSharedError?: (error: unknown) => void;
  /**
   * True: this process's work ranks ahead of the same kind of work in other processes on the key.
   * Asked at each turn. The App sets it for the daemon (see the header).
   */
  lead?: () => boolean;
  /** A monotonic clock in ms for `timings()` (default: performance.now). Tests pass their own. */
  monotonicMs?: () => number;
}

/** Where this process's requests spent their time before being sent (see `RateBudget.timings`). */
export interface BudgetTimings {
  /**
   * Calls to the shared schedule (reservations, holds, withdrawals) and the wall time spent in
   * them. A call is synchronous (better-sqlite3): this is mostly waiting for the database's write
   * lock, and the whole process waits with it.
   */
  shared: { calls: number; totalMs: number; maxMs: number; callsOver100Ms: number };
  /** Per priority: requests granted a turn, and how long they waited for it in all. */
  turns: Record<RequestPriority, { granted: number; waitedMs: number; maxMs: number }>;
}

export interface RateBudget {
  /** Waits for this request's turn; rejects with the signal's reason if it aborts first. */
  acquire(priority: RequestPriority, signal: AbortSignal): Promise<void>;
  onSuccess(): void;
  /** A rate-limited answer: slow down here, and pause every process using the key. */
  onRateLimited(retryAfterMs?: number): void;
  /** The newest 200 answer to this key known here: this process's own, or any process's via the schedule. */
  lastSuccessMs(): number | null;
  /** The pace this process spends now, requests per second (lower after rate-limited answers). */
  effectiveRps(): number;
  /** Requests waiting for a turn, by priority. */
  waiting(): Record<RequestPriority, number>;
  /** Totals since this budget was made: time waiting for turns and in the shared schedule. */
  timings(): BudgetTimings;
}

/** The pause every process takes after a rate-limited answer: one server window. */
const HOLD_AFTER_RATE_LIMIT_MS = 1_000;
/** The longest hold one answer can put on the key (a proxy's "wait a day" must not stop it). */
const MAX_HOLD_MS = 30_000;
/**
 * How long a process's entry among the key's waiters stands past its newest reservation. A process
 * waiting for a turn renews it at least once a turn, so only a stopped or crashed one lets it lapse.
 */
export const WAITER_TTL_MS = 3_000;
/**
 * The longest a process yields its turns to more urgent work in another process before it takes
 * one anyway: a one-shot `doctor` or `fetch` beside a daemon that polls the roster back to back
 * (and two other one-shots sharing the same background share) still gets a turn every ~2 s, well
 * inside its checks' deadlines. Work owed no share (bulk beside a roster poll) still waits.
 */
export const MAX_YIELD_MS = 2_000;

/** The rank a process's most urgent waiting level has among every process on the key (lower first). */
export function crossProcessRank(level: number, lead: boolean): number {
  return level * 2 + (lead ? 0 : 1);
}

interface Waiter {
  grant: () => void;
}

/** A sum, a count and a maximum of durations. */
function createTally() {
  return { count: 0, totalMs: 0, maxMs: 0, over100Ms: 0 };
}
function addTo(tally: ReturnType<typeof createTally>, ms: number): void {
  tally.count++;
  if (ms >= 100) tally.over100Ms++;
  tally.totalMs += ms;
  if (ms > tally.maxMs) tally.maxMs = ms;
}

/** How many turns the more urgent work takes in a row, while less urgent work waits, before it yields one. */
export function turnsBeforeYielding(backgroundShare: number): number {
  if (backgroundShare <= 0) return Number.POSITIVE_INFINITY;
  return Math.max(1, Math.ceil((1 - backgroundShare) / backgroundShare));
}

/**
 * Whether work at level `less` is owed a share of the turns while work at level `more` waits. Bulk
 * work (a contacts poll: thousands of requests) is owed none by a roster poll: it takes the idle
 * turns between roster polls, so a roster poll beside it waits at most for the one request already
 * on its way (issue 18). It keeps its share against policy polls, as policy polls keep theirs
 * against roster polls (issue 27).
 */
export function owesShare(more: number, less: number): boolean {
  return !(more === PRIORITIES.indexOf('roster') && less === PRIORITIES.indexOf('bulk'));
}

/**
 * The most share turns other processes' work can stand for here at once: a one-shot that took
 * turns while this process had nothing of its own to give them to leaves at most one owed behind.
 */
export const MAX_SHARE_CREDIT = 1;

/**
 * Picks the priority level that gets the next turn, given which levels have waiters, and updates
 * `streaks` (per level: turns it took in a row while a less urgent level it owes a share waited).
 * `credit.turns`: share turns less urgent work in other processes already took ahead of this
 * process's most urgent level (the key's background share is one, see the header); the next share
 * turn that level owes uses one up and stays with that level. Pure but for `streaks` and `credit`,
 * so it is table-tested.
 */
export function pickLevel(
  waiting: readonly boolean[],
  streaks: number[],
  turns: number,
  credit?: { turns: number; justUsed?: boolean },
): number {
  const top = waiting.indexOf(true);
  let level = top;
  if (level < 0) return -1;
  for (;;) {
    const lower = waiting.findIndex((w, i) => w && i > level && owesShare(level, i));
    if (lower < 0 || (streaks[level] ?? 0) < turns) break;
    streaks[level] = 0;
    if (level === top && credit !== undefined) {
      if (credit.turns > 0 && credit.justUsed !== true) {
        // The share was taken elsewhere: this turn starts the most urgent level's next run.
        credit.turns--;
        credit.justUsed = true;
        break;
      }
      // Never two credited share turns in a row: the less urgent level keeps at least half its
      // share however much other processes take, so a policy poll beside one-shots run back to
      // back still advances.
      credit.justUsed = false;
    }
    level = lower;
  }
  for (let b = 0; b < waiting.length; b++) {
    if (b < level) streaks[b] = 0;
    else if (b === level && waiting.some((w, i) => w && i > b && owesShare(b, i)))
      streaks[b] = (streaks[b] ?? 0) + 1;
  }
  return level;
}

export function createRateBudget(options: RateBudgetOptions): RateBudget {
  const { clock, shared } = options;
  const pacedRps = options.maxRps * options.pace;
  // The local limiter keeps this process's own sliding window and slows it after rate limits.
  // Bursts up to the key's own limit (2 in a second for VictorOps), paced below it on average.
  const burst = Math.max(1, Math.floor(options.maxRps));
  const limiter = createRateLimiter({ maxRps: pacedRps, clock, burst });
  const shapeNow = () => windowFor(limiter.effectiveRps(), burst);
  const queues: Record<RequestPriority, Waiter[]> = { roster: [], policy: [], bulk: [] };
  const streaks = PRIORITIES.map(() => 0);
  const turns = turnsBeforeYielding(options.backgroundShare);
  // Share turns other processes' less urgent work took ahead of this one's (see `pickLevel`).
  const credit = { turns: 0, justUsed: false };
  let lastOkMs: number | null = null;
  let pumping = false;
  // This budget's entry among the key's waiters: random, so it names neither host nor process.
  const waiterId = randomBytes(6).toString('hex');
  let registered = false;
  const monotonicMs = options.monotonicMs ?? (() => performance.now());
  const sharedTally = createTally();
  const turnTallies = Object.fromEntries(PRIORITIES.map((p) => [p, createTally()])) as Record<
    RequestPriority,
    ReturnType<typeof createTally>
  >;
  /** Runs one call to the shared schedule, timing it. */
  function timedShared<T>(call: () => T): T {
    const t0 = monotonicMs();
    try {
      return call();
    } finally {
      addTo(sharedTally, monotonicMs() - t0);
    }
  }

  const anyWaiting = () => PRIORITIES.some((p) => queues[p].length > 0);
  const maxAheadMs = () => MAX_HOLD_MS + shapeNow().windowMs;

  function reserve(yieldingSinceMs: number | null): { slotMs: number | null } {
    const nowMs = clock.now();
    const shape = shapeNow();
    const level = PRIORITIES.findIndex((p) => queues[p].length > 0);
    try {
      const reserved = timedShared(() =>
        shared.reserve({
          nowMs,
          ...shape,
          lastOkMs,
          maxAheadMs: maxAheadMs(),
          ...(level < 0
            ? {}
            : {
                waiter: {
                  id: waiterId,
                  rank: crossProcessRank(level, options.lead?.() ?? false),
                  turns,
                  // Bulk work is owed no share by roster polls in other processes either.
                  yieldsAlwaysBelow: owesShare(0, level) ? undefined : crossProcessRank(1, true),
                  ttlMs: WAITER_TTL_MS,
                  insist: yieldingSinceMs !== null && nowMs - yieldingSinceMs >= MAX_YIELD_MS,
                },
              }),
        }),
      );
      registered = level >= 0;
      if ((reserved.yielded ?? 0) > 0)
        credit.turns = Math.min(MAX_SHARE_CREDIT, credit.turns + (reserved.yielded ?? 0));
      if (reserved.lastOkMs !== null && (lastOkMs === null || reserved.lastOkMs > lastOkMs))
        lastOkMs = reserved.lastOkMs;
      return reserved;
    } catch (error) {
      options.onSharedError?.(error);
      return { slotMs: nowMs };
    }
  }

  async function nextSlot(): Promise<void> {
    await limiter.acquire();
    let yieldingSinceMs: number | null = null;
    for (;;) {
      const { slotMs } = reserve(yieldingSinceMs);
      if (slotMs !== null) {
        const waitMs = slotMs - clock.now();
        if (waitMs > 0) await clock.sleep(waitMs);
        return;
      }
      // Yielded to more urgent work elsewhere: ask again a turn later (renewing this entry).
      yieldingSinceMs ??= clock.now();
      const shape = shapeNow();
      await clock.sleep(shape.windowMs / shape.capacity);
      if (!anyWaiting()) return;
    }
  }

  function withdraw(): void {
    // Nothing waits here any more: a turn taken elsewhere meanwhile was taken from nobody.
    credit.turns = 0;
    credit.justUsed = false;
    if (!registered) return;
    registered = false;
    try {
      timedShared(() => shared.withdraw(waiterId));
    } catch (error) {
      options.onSharedError?.(error);
    }
  }

  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      while (anyWaiting()) {
        await nextSlot();
        // Chosen now, when the turn has come: a roster request that arrived meanwhile goes first.
        const level = pickLevel(
          PRIORITIES.map((p) => queues[p].length > 0),
          streaks,
          turns,
          credit,
        );
        const priority = PRIORITIES[level];
        if (priority !== undefined) queues[priority].shift()?.grant();
      }
      withdraw();
    } finally {
      pumping = false;
    }
  }

  return {
    acquire(priority, signal) {
      signal.throwIfAborted();
      return new Promise<void>((resolve, reject) => {
        const queue = queues[priority];
        const askedMs = clock.now();
        const onAbort = () => {
          const index = queue.indexOf(waiter);
          if (index >= 0) queue.splice(index, 1);
          reject(signal.reason);
        };
        const waiter: Waiter = {
          grant: () => {
            addTo(turnTallies[priority], clock.now() - askedMs);
            signal.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        signal.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
        void pump();
      });
    },
    onSuccess() {
      limiter.onSuccess();
      lastOkMs = clock.now();
    },
    onRateLimited(retryAfterMs) {
      limiter.onRateLimited();
      const nowMs = clock.now();
      const pauseMs = Math.min(MAX_HOLD_MS, Math.max(HOLD_AFTER_RATE_LIMIT_MS, retryAfterMs ?? 0));
      try {
        timedShared(() => shared.hold(nowMs + pauseMs, nowMs, maxAheadMs()));
      } catch (error) {
        options.onSharedError?.(error);
      }
    },
    lastSuccessMs: () => lastOkMs,
    effectiveRps: () => limiter.effectiveRps(),
    waiting: () => ({ roster: queues.roster.length, policy: queues.policy.length, bulk: queues.bulk.length }),
    timings: () => ({
      shared: {
        calls: sharedTally.count,
        totalMs: sharedTally.totalMs,
        maxMs: sharedTally.maxMs,
        callsOver100Ms: sharedTally.over100Ms,
      },
      turns: Object.fromEntries(
        PRIORITIES.map((p) => {
          const t = turnTallies[p];
          return [p, { granted: t.count, waitedMs: t.totalMs, maxMs: t.maxMs }];
        }),
      ) as BudgetTimings['turns'],
    }),
  };
}

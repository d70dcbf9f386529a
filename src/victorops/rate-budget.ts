/**
 * One rate budget per VictorOps key. Every request of this process waits here for its turn; turns
 * are slots reserved one at a time from the key's shared schedule (`SharedSlots`, kept in the
 * database so that a daemon and a `poll`, `fetch` or `doctor` run beside it share one budget), at
 * a pace below the key's limit (VO_RATE_PACE of VO_MAX_RPS). Within the process, a turn goes to
 * the most urgent waiter when the slot comes up, not when it was asked for: roster polls, then
 * policy polls, then bulk work; background work (anything but roster polls) gets every idle turn,
 * and a turn ahead of more urgent waiting work while its share of the last SHARE_WINDOW_MS of turns
 * (those taken while it waited) is below VO_BACKGROUND_SHARE, one such turn at a time. The share is
 * a minimum over time, not a tax on every roster poll: a policy poll that took the turns between
 * two roster polls leaves the next one every turn (issue 27: one turn in four inside every roster
 * poll stretched a 7-request poll by two turns), and one kept waiting by roster polls back to back
 * still gets one turn in four. Bulk work gets no turn while a roster poll waits.
 *
 * Across processes the same order holds through the shared schedule: each process tells it the
 * most urgent work it has waiting, and a process whose work is less urgent than another's yields
 * the turn (background work still takes one turn in VO_BACKGROUND_SHARE, and a process that has
 * yielded for MAX_YIELD_MS takes the next turn), but only while it is short of its own turns: a
 * process that took OWN_TURNS_PER_WINDOW turns at that level over the last OWN_TURNS_WINDOW_MS takes
 * neither, so a one-shot that had the turns between two of the daemon's roster polls takes none
 * inside the next one (issue 27). A one-shot command's own reads (`fetch`,
 * `doctor`) are roster-class, so they come before the daemon's policy polls and bulk work; the
 * daemon leads (`lead`), so its roster polls come before them. (Leading with the share alone
 * left a `doctor` beside a daemon polling every 3 s, with two other one-shots sharing the share,
 * without a turn within its 6-s check deadline: hence the bounded yield.) The background share is
 * one for the key, not one per process: a turn another process took ahead of this one's waiting
 * work (reported by the shared schedule) counts in this process's share window as background
 * work's, but never for more than this process's own background work took there: the daemon's
 * policy poll keeps at least half its share while one-shots run back to back.
 *
 * After a rate-limited answer this process slows down (the local limiter halves its rate and wins
 * it back on successes) and every process using the key pauses for a moment (a hold on the shared
 * schedule).
 */
import { createHash, randomBytes } from 'node:crypto';
import { type Clock, monotonicNow } from '../clock.js';
import {
  holdSlots,
  reserveSlot,
  type SlotRequest,
  type SlotState,
  withdrawWaiter,
} from '../store/rate-budget.js';
import { createAbortFanout } from './abort-fanout.js';
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

/**
 * The window over which a process's own turns are counted before it takes a turn ahead of more
 * urgent work elsewhere (a share turn or the bounded wait), and the turns it is owed there: the
 * bounded wait's one turn in MAX_YIELD_MS, counted over two of them so that turns taken just
 * before (a one-shot's reads between two of the daemon's roster polls) stand for the ones it
 * would otherwise take inside the next roster poll. Short enough that a one-shot whose turns came
 * in a burst waits about 4 s and two turns for its next one (5.1 s at worst in a review's
 * simulation), inside `doctor`'s 6-s check deadlines.
 */
export const OWN_TURNS_WINDOW_MS = 2 * MAX_YIELD_MS;
export const OWN_TURNS_PER_WINDOW = 2;

/**
 * Whether this process is short of its own turns at `level` (fewer than OWN_TURNS_PER_WINDOW in
 * the last OWN_TURNS_WINDOW_MS of `recent`, its share window), so that it may take a turn ahead of
 * more urgent work in another process. Turns other processes took (`elsewhere`) do not count.
 */
export function shortOfOwnTurns(
  recent: readonly (TurnRecord & { atMs: number })[],
  level: number,
  nowMs: number,
): boolean {
  let own = 0;
  for (const turn of recent)
    if (turn.elsewhere !== true && turn.level === level && turn.atMs > nowMs - OWN_TURNS_WINDOW_MS) own++;
  return own < OWN_TURNS_PER_WINDOW;
}

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
 * How far back the background share is measured. Longer than the roster tick (15 s by default)
 * plus a roster poll (~7 requests, ~4.4 s at 1.6/s), so the turns a policy poll took between two
 * roster polls are still counted when the next one starts and the roster poll takes every turn;
 * short enough that a policy poll kept waiting by roster polls back to back gets its next turn
 * within a few seconds (at 1.6/s, 20 s is ~32 turns).
 */
export const SHARE_WINDOW_MS = 20_000;

/**
 * One turn in the share window: `level` took it in this process, or (`elsewhere`) less urgent work
 * in another process took it ahead of this process's waiting work at `level`.
 */
export interface TurnRecord {
  level: number;
  elsewhere?: boolean;
  /**
   * The levels that were waiting in this process when the turn was taken (bit i: level i). A turn
   * counts towards a level's share only if work below that level was waiting then: roster turns
   * taken while no policy poll waited owe the policy poll nothing. Absent: counted (elsewhere).
   */
  waiting?: number;
}

/** The `waiting` bits of a TurnRecord. */
export function waitingBits(waiting: readonly boolean[]): number {
  let bits = 0;
  waiting.forEach((w, i) => {
    if (w) bits |= 1 << i;
  });
  return bits;
}

/** Whether some level below `level` that `level` owes a share was waiting (per `bits`). */
function owedBelowWaiting(bits: number, level: number): boolean {
  for (let i = level + 1; i < PRIORITIES.length; i++) if (bits & (1 << i) && owesShare(level, i)) return true;
  return false;
}

/**
 * Whether work below `level` is owed the next turn: its share of this process's recent turns
 * (`recent`, the share window) is below `share`. Counted: the turns less urgent levels took, and
 * the turns other processes' less urgent work took ahead of this one's `level`, those at most as
 * many as this process's own (so the daemon's policy poll keeps at least half its share beside
 * one-shots run back to back; the rest are not counted at all). The turn is owed when, with it,
 * the share would still be at most `share`: with roster work waiting throughout and nothing else
 * counted, every fourth turn at 25%.
 */
export function owesTurnBelow(recent: readonly TurnRecord[], level: number, share: number): boolean {
  let own = 0;
  let below = 0;
  let elsewhere = 0;
  for (const turn of recent) {
    if (turn.level < level) continue;
    if (turn.elsewhere === true) elsewhere++;
    else if (turn.waiting === undefined || owedBelowWaiting(turn.waiting, level)) {
      own++;
      if (turn.level > level) below++;
    }
  }
  // One share turn at a time: the last turn went below `level` while `level` waited, so this one
  // is `level`'s, however far behind the share is (no burst of owed turns ahead of a roster poll).
  const last = lastOwn(recent);
  if (
    last !== undefined &&
    last.level > level &&
    last.waiting !== undefined &&
    (last.waiting & (1 << level)) !== 0
  )
    return false;
  const counted = Math.min(elsewhere, below);
  // a small tolerance: 0.25 × 4 must be 1
  return below + counted + 1 <= share * (own + counted + 1) + 1e-9;
}

function lastOwn(recent: readonly TurnRecord[]): TurnRecord | undefined {
  for (let i = recent.length - 1; i >= 0; i--) if (recent[i]!.elsewhere !== true) return recent[i];
  return undefined;
}

/**
 * Picks the priority level that gets the next turn, given which levels have waiters and the turns
 * of the share window (`recent`). The most urgent waiting level takes it unless a less urgent
 * waiting level it owes a share (`owesShare`) has had less than `share` of the recent turns: the
 * share is a minimum over time, so a policy poll that took the turns between two roster polls
 * leaves the next roster poll every turn, and one kept waiting by roster polls back to back still
 * gets one turn in four. Pure, so it is table-tested.
 */
export function pickLevel(waiting: readonly boolean[], recent: readonly TurnRecord[], share: number): number {
  const top = waiting.indexOf(true);
  if (top < 0) return -1;
  let level = top;
  for (;;) {
    // Only work every more urgent waiting level owes a share: bulk work never gets a turn while a
    // roster poll waits, not even through the policy poll's share.
    const lower = waiting.findIndex((w, i) => w && i > level && owesShare(level, i) && owesShare(top, i));
    if (lower < 0 || !owesTurnBelow(recent, level, share)) return level;
    level = lower;
  }
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
  const aborts = createAbortFanout();
  // Turns more urgent work in other processes takes in a row before this one's takes one anyway.
  const turns = turnsBeforeYielding(options.backgroundShare);
  // The share window: this process's turns, and those other processes' less urgent work took
  // ahead of its waiting work, over the last SHARE_WINDOW_MS (see `pickLevel`).
  const recent: (TurnRecord & { atMs: number })[] = [];
  // On the clock's monotonic time: a wall clock stepped back would hold every turn since the step.
  const forgetOld = (nowMs: number) => {
    let old = 0;
    while (old < recent.length && recent[old]!.atMs <= nowMs - SHARE_WINDOW_MS) old++;
    if (old > 0) recent.splice(0, old);
  };
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
    const monoMs = monotonicNow(clock);
    // Ahead of more urgent work elsewhere only while short of its own recent turns (see the header).
    const short = level >= 0 && shortOfOwnTurns(recent, level, monoMs);
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
                  turns: short ? turns : Number.POSITIVE_INFINITY,
                  // Bulk work is owed no share by roster polls in other processes either.
                  yieldsAlwaysBelow: owesShare(0, level) ? undefined : crossProcessRank(1, true),
                  ttlMs: WAITER_TTL_MS,
                  insist: short && yieldingSinceMs !== null && monoMs - yieldingSinceMs >= MAX_YIELD_MS,
                },
              }),
        }),
      );
      registered = level >= 0;
      for (let i = 0; i < (reserved.yielded ?? 0) && level >= 0; i++)
        recent.push({ level, elsewhere: true, atMs: monotonicNow(clock) });
      if (reserved.lastOkMs !== null && (lastOkMs === null || reserved.lastOkMs > lastOkMs))
        lastOkMs = reserved.lastOkMs;
      return reserved;
    } catch (error) {
      options.onSharedError?.(error);
      return { slotMs: nowMs };
    }
  }

  /** Waits for the next slot; `stop` ends the wait when every waiter has given up. */
  async function nextSlot(stop: AbortSignal): Promise<void> {
    await limiter.acquire(stop);
    let yieldingSinceMs: number | null = null;
    for (;;) {
      // The last waiter may have given up while the limiter let this turn through: reserving a
      // slot now would book one on the key that every other process then skips.
      if (stop.aborted || !anyWaiting()) return;
      const { slotMs } = reserve(yieldingSinceMs);
      if (slotMs !== null) {
        const waitMs = slotMs - clock.now();
        if (waitMs > 0) await clock.sleep(waitMs, stop);
        return;
      }
      // Yielded to more urgent work elsewhere: ask again a turn later (renewing this entry).
      // Monotonic: a wall clock stepped back would put off the bounded wait's turn by the step.
      yieldingSinceMs ??= monotonicNow(clock);
      const shape = shapeNow();
      await clock.sleep(shape.windowMs / shape.capacity, stop);
    }
  }

  function withdraw(): void {
    if (!registered) return;
    registered = false;
    try {
      timedShared(() => shared.withdraw(waiterId));
    } catch (error) {
      options.onSharedError?.(error);
    }
  }

  // Stops the pump's wait when the last waiter gave up (its poll failed or was cancelled): the
  // pump must not reserve a slot for nobody later, after the command closed the database, nor
  // keep the process alive until the slot comes up.
  let stopPump: AbortController | null = null;

  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    const stop = new AbortController();
    stopPump = stop;
    try {
      while (anyWaiting()) {
        try {
          await nextSlot(stop.signal);
        } catch (error) {
          if (stop.signal.aborted) break;
          throw error;
        }
        // Chosen now, when the turn has come: a roster request that arrived meanwhile goes first.
        const nowMs = monotonicNow(clock);
        forgetOld(nowMs);
        const waiting = PRIORITIES.map((p) => queues[p].length > 0);
        const level = pickLevel(waiting, recent, options.backgroundShare);
        const priority = PRIORITIES[level];
        if (priority !== undefined) {
          recent.push({ level, waiting: waitingBits(waiting), atMs: nowMs });
          queues[priority].shift()?.grant();
        }
      }
      withdraw();
    } finally {
      pumping = false;
      stopPump = null;
      // Work that arrived while a stopped pump was winding down is served by a new one.
      if (stop.signal.aborted && anyWaiting()) void pump();
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
          if (!anyWaiting()) {
            // Nothing waits any more: leave the key's waiters now, while the database is open.
            withdraw();
            stopPump?.abort();
          }
          reject(signal.reason);
        };
        const waiter: Waiter = {
          grant: () => {
            addTo(turnTallies[priority], clock.now() - askedMs);
            unfollow();
            resolve();
          },
        };
        const unfollow = aborts.follow(signal, onAbort);
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

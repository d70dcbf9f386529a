/**
 * Runs the poll on a cron schedule, one at a time. node-cron only supplies the ticks: the
 * no-overlap rule is an in-flight flag here, so a tick that arrives while a poll (or its jitter
 * wait) is running is skipped and counted rather than queued, and tests can drive ticks directly.
 */
import cron, { type ScheduledTask } from 'node-cron';
import { type Clock, monotonicNow } from '../clock.js';
import { PollAbortedError } from '../errors.js';
import type { Logger } from '../logger.js';

/** The source of ticks; node-cron in production, a hand-driven fake in tests. */
export interface Ticker {
  start(): void;
  stop(): void;
}

/**
 * `onTick` resolves once the poll that tick started (or skipped) has settled: node-cron ignores it,
 * a test's hand-driven ticker awaits it instead of sleeping until the outcome shows.
 */
export type CreateTicker = (
  expression: string,
  onTick: () => Promise<TriggerOutcome>,
  logger: Logger,
) => Ticker;

export interface PollSchedulerDeps {
  expression: string;
  /** Upper bound of a random delay before each scheduled poll; 0 disables it. */
  jitterMs: number;
  clock: Clock;
  logger: Logger;
  /** One poll. Should reject with PollAbortedError (or anything) once `signal` aborts. */
  poll: (signal: AbortSignal) => Promise<void>;
  /** Called for each tick skipped because a poll was still running (for metrics). */
  onTickSkipped?: () => void;
  /**
   * What a tick does while a poll runs: `skip` it (the roster poll: the next tick is soon), or
   * `defer` it (the policy poll): it runs as soon as the running poll ends, once however many
   * ticks came meanwhile (the others are skipped), so a slow poll stretches its schedule instead
   * of losing it.
   */
  whenBusy?: 'skip' | 'defer';
  /** Called for each tick deferred (for metrics). */
  onTickDeferred?: () => void;
  /** In [0, 1), for jitter; injectable so tests are deterministic. */
  random?: (() => number) | undefined;
  createTicker?: CreateTicker | undefined;
}

export type TriggerOutcome = 'ran' | 'skipped' | 'stopped';

export interface PollScheduler {
  /** Starts the cron ticks. */
  start(): void;
  /** Polls now, without jitter (the start-up poll); skipped when a poll is already running. */
  runNow(): Promise<TriggerOutcome>;
  /** What a cron tick does: jitter, then poll, unless a poll is running. Exposed for tests. */
  tick(): Promise<TriggerOutcome>;
  isPolling(): boolean;
  /** Monotonic ms (monotonicNow) at which the running poll (including its jitter wait) began, or null. */
  pollStartedAtMs(): number | null;
  skippedTicks(): number;
  /** Ticks deferred until the running poll ended (whenBusy: defer). */
  deferredTicks(): number;
  /**
   * Stops the ticks and resolves when the in-flight poll has settled. With `abort` (the default)
   * the poll's signal is aborted: a fetch stops and nothing is committed, while a commit already
   * under way is synchronous and so finishes first.
   */
  stop(options?: { abort?: boolean }): Promise<void>;
}

export function createNodeCronTicker(
  expression: string,
  onTick: () => Promise<TriggerOutcome>,
  logger: Logger,
): Ticker {
  let task: ScheduledTask | null = null;
  return {
    start() {
      if (task !== null) return;
      // Overlap is handled by the scheduler, so node-cron must hand over every tick at once
      // (the callback returns nothing, so node-cron never sees a tick as running).
      task = cron.createTask(
        expression,
        () => {
          void onTick();
        },
        {
          noOverlap: false,
          logger: {
            info: (message) => logger.debug({ component: 'node-cron' }, message),
            warn: (message) => logger.warn({ component: 'node-cron' }, message),
            error: (message, err) =>
              logger.error({ component: 'node-cron', err: err ?? message }, 'node-cron error'),
            debug: (message) => logger.debug({ component: 'node-cron' }, String(message)),
          },
        },
      );
      void task.start();
    },
    stop() {
      if (task === null) return;
      const stopping = task;
      task = null;
      // destroy() also drops the task from node-cron's process-wide registry.
      void Promise.resolve(stopping.destroy()).catch((error: unknown) =>
        logger.warn({ err: error }, 'could not stop the cron task cleanly'),
      );
    },
  };
}

export function createPollScheduler(deps: PollSchedulerDeps): PollScheduler {
  const { clock, logger } = deps;
  const random = deps.random ?? Math.random;
  const ticker = (deps.createTicker ?? createNodeCronTicker)(deps.expression, () => tick(), logger);
  let inFlight: { promise: Promise<void>; controller: AbortController; startedAtMs: number } | null = null;
  let skipped = 0;
  let deferredCount = 0;
  let deferred: Promise<TriggerOutcome> | null = null;
  let stopped = false;

  async function execute(withJitter: boolean, controller: AbortController): Promise<void> {
    const signal = controller.signal;
    try {
      if (withJitter && deps.jitterMs > 0) {
        const delayMs = Math.floor(random() * deps.jitterMs);
        logger.debug({ delayMs }, 'waiting for the poll jitter');
        await clock.sleep(delayMs, signal);
      }
      if (signal.aborted) return;
      await deps.poll(signal);
    } catch (error) {
      if (signal.aborted || error instanceof PollAbortedError) {
        logger.info('the poll was cancelled before it was recorded; nothing was written');
        return;
      }
      // The poll reports its own outcome; this only keeps a bug from stopping the schedule.
      logger.error({ err: error }, 'the poll threw unexpectedly; the schedule goes on');
    }
  }

  function trigger(kind: 'tick' | 'now'): Promise<TriggerOutcome> {
    if (stopped) return Promise.resolve('stopped');
    if (inFlight !== null) {
      if (kind === 'now') return Promise.resolve('skipped');
      if (deps.whenBusy === 'defer' && deferred === null) {
        deferredCount += 1;
        logger.info(
          { deferredTicks: deferredCount, runningForMs: monotonicNow(clock) - inFlight.startedAtMs },
          'a poll is still running: this tick runs as soon as it ends',
        );
        deps.onTickDeferred?.();
        deferred = inFlight.promise.then(() => {
          deferred = null;
          return trigger('now');
        });
        return deferred;
      }
      skipped += 1;
      logger.warn(
        { skippedTicks: skipped, runningForMs: monotonicNow(clock) - inFlight.startedAtMs },
        'a poll is still running: skipped this tick',
      );
      deps.onTickSkipped?.();
      return Promise.resolve('skipped');
    }
    const controller = new AbortController();
    const current = { controller, startedAtMs: monotonicNow(clock), promise: Promise.resolve() };
    current.promise = execute(kind === 'tick', controller).finally(() => {
      if (inFlight === current) inFlight = null;
    });
    inFlight = current;
    return current.promise.then(() => 'ran' as const);
  }

  function tick(): Promise<TriggerOutcome> {
    return trigger('tick');
  }

  return {
    start() {
      if (!stopped) ticker.start();
    },
    runNow: () => trigger('now'),
    tick,
    isPolling: () => inFlight !== null,
    pollStartedAtMs: () => inFlight?.startedAtMs ?? null,
    skippedTicks: () => skipped,
    deferredTicks: () => deferredCount,
    async stop(options = {}) {
      stopped = true;
      ticker.stop();
      const current = inFlight;
      if (current === null) return;
      if (options.abort ?? true) current.controller.abort(new Error('the service is stopping'));
      await current.promise;
    },
  };
}

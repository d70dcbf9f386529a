import { describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../../src/clock.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { PollAbortedError } from '../../../src/errors.js';
import { createSilentLogger } from '../../../src/logger.js';
import {
  type CreateTicker,
  createNodeCronTicker,
  createPollScheduler,
  type TriggerOutcome,
} from '../../../src/service/scheduler.js';
import { configProblems } from '../../helpers/config-problems.js';

/** A poll that stays running until the test releases it, counting how many run at once. */
function aGatedPoll() {
  let running = 0;
  let maxRunning = 0;
  let started = 0;
  const gates: { release: () => void; signal: AbortSignal }[] = [];
  const poll = (signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      started += 1;
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      const finish = (fn: () => void) => {
        running -= 1;
        fn();
      };
      signal.addEventListener('abort', () => finish(() => reject(new PollAbortedError())), { once: true });
      gates.push({ release: () => finish(resolve), signal });
    });
  return {
    poll,
    gates,
    started: () => started,
    running: () => running,
    maxRunning: () => maxRunning,
  };
}

/** A ticker the test drives by hand, so nothing depends on node-cron's timing. */
function aManualTicker() {
  const ticker = {
    onTick: (): Promise<unknown> => Promise.resolve(undefined),
    started: false,
    stopped: false,
  };
  const create: CreateTicker = (_expression, onTick) => {
    ticker.onTick = onTick;
    return {
      start: () => {
        ticker.started = true;
      },
      stop: () => {
        ticker.stopped = true;
      },
    };
  };
  return { ticker, create };
}

/** A clock whose sleeps never end on their own, only by abort: proves jitter waits are cancellable. */
const neverWakingClock: Clock = {
  now: () => Date.now(),
  sleep: (_ms, signal) =>
    new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
};

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('createPollScheduler', () => {
  it('never overlaps polls: ticks during a running poll are skipped and counted', async () => {
    const fake = aGatedPoll();
    const { ticker, create } = aManualTicker();
    let skippedCallbacks = 0;
    const scheduler = createPollScheduler({
      expression: '* * * * * *',
      jitterMs: 0,
      clock: systemClock,
      logger: createSilentLogger(),
      poll: fake.poll,
      createTicker: create,
      onTickSkipped: () => {
        skippedCallbacks += 1;
      },
    });
    scheduler.start();
    expect(ticker.started).toBe(true);

    const first = scheduler.tick();
    await flush();
    // What a ticker gets back says what its tick did, as soon as it is decided.
    expect(await ticker.onTick()).toBe('skipped');
    void ticker.onTick();
    expect(await scheduler.tick()).toBe('skipped');
    expect(fake.started()).toBe(1);
    expect(scheduler.isPolling()).toBe(true);
    expect(scheduler.skippedTicks()).toBe(3);
    expect(skippedCallbacks).toBe(3);

    fake.gates[0]!.release();
    expect(await first).toBe('ran');
    expect(scheduler.isPolling()).toBe(false);

    // A ticker's tick settles when the poll it started has: a test awaits it instead of sleeping.
    let settled = false;
    const byTicker = ticker.onTick().then((outcome) => {
      settled = true;
      return outcome;
    });
    await flush();
    expect(fake.started()).toBe(2);
    expect(settled).toBe(false);
    fake.gates[1]!.release();
    expect(await byTicker).toBe('ran');

    // Once the slow poll is done, the next tick polls again.
    const third = scheduler.tick();
    await flush();
    expect(fake.started()).toBe(3);
    fake.gates[2]!.release();
    expect(await third).toBe('ran');
    expect(fake.maxRunning()).toBe(1);
    expect(scheduler.skippedTicks()).toBe(3);
    await scheduler.stop();
  });

  it('runNow polls at once without jitter, and does not count itself as a skipped tick', async () => {
    const fake = aGatedPoll();
    const scheduler = createPollScheduler({
      expression: '*/5 * * * *',
      jitterMs: 60_000,
      clock: neverWakingClock,
      logger: createSilentLogger(),
      poll: fake.poll,
      createTicker: aManualTicker().create,
    });
    const run = scheduler.runNow();
    await flush();
    expect(fake.started()).toBe(1);
    expect(await scheduler.runNow()).toBe('skipped');
    expect(scheduler.skippedTicks()).toBe(0);
    fake.gates[0]!.release();
    expect(await run).toBe('ran');
    await scheduler.stop();
  });

  it('waits a random jitter before a scheduled poll; stop() cancels that wait and no poll starts', async () => {
    const fake = aGatedPoll();
    const sleeps: number[] = [];
    const clock: Clock = {
      now: neverWakingClock.now,
      sleep: (ms, signal) => {
        sleeps.push(ms);
        return neverWakingClock.sleep(ms, signal);
      },
    };
    const { ticker, create } = aManualTicker();
    const scheduler = createPollScheduler({
      expression: '*/5 * * * *',
      jitterMs: 10_000,
      clock,
      logger: createSilentLogger(),
      poll: fake.poll,
      random: () => 0.25,
      createTicker: create,
    });
    scheduler.start();
    const tick = scheduler.tick();
    await flush();
    expect(sleeps).toEqual([2_500]);
    expect(scheduler.isPolling()).toBe(true);
    // A tick during the jitter wait is an overlap too.
    expect(await scheduler.tick()).toBe('skipped');
    await scheduler.stop();
    expect(await tick).toBe('ran');
    expect(fake.started()).toBe(0);
    expect(ticker.stopped).toBe(true);
  });

  it('stop() stops the ticks, aborts the running poll and resolves once it has settled', async () => {
    const fake = aGatedPoll();
    const { ticker, create } = aManualTicker();
    const scheduler = createPollScheduler({
      expression: '* * * * *',
      jitterMs: 0,
      clock: systemClock,
      logger: createSilentLogger(),
      poll: fake.poll,
      createTicker: create,
    });
    scheduler.start();
    void scheduler.runNow();
    await flush();
    expect(fake.running()).toBe(1);
    await scheduler.stop();
    expect(ticker.stopped).toBe(true);
    expect(fake.gates[0]!.signal.aborted).toBe(true);
    expect(fake.running()).toBe(0);
    expect(scheduler.isPolling()).toBe(false);
    expect(await scheduler.tick()).toBe('stopped');
    expect(await scheduler.runNow()).toBe('stopped');
    expect(fake.started()).toBe(1);
  });

  it('keeps the schedule going when a poll throws', async () => {
    let calls = 0;
    const scheduler = createPollScheduler({
      expression: '* * * * *',
      jitterMs: 0,
      clock: systemClock,
      logger: createSilentLogger(),
      poll: async () => {
        calls += 1;
        throw new Error('boom');
      },
      createTicker: aManualTicker().create,
    });
    expect(await scheduler.tick()).toBe('ran');
    expect(await scheduler.tick()).toBe('ran');
    expect(calls).toBe(2);
    await scheduler.stop();
  });

  // The no-overlap rule is the scheduler's (tested above on hand-driven ticks); what node-cron must
  // do is hand over every tick even while the previous one's poll is still running. Real cron time
  // drives this one test, so it awaits the ticks themselves and asserts no duration.
  it('the node-cron ticker hands over every tick, even while the previous tick is still running', async () => {
    let ticks = 0;
    let secondTick: () => void = () => undefined;
    const twoTicks = new Promise<void>((resolve) => {
      secondTick = resolve;
    });
    const ticker = createNodeCronTicker(
      '* * * * * *',
      () => {
        ticks += 1;
        if (ticks === 2) secondTick();
        // A poll that never finishes: node-cron must not wait for it.
        return new Promise<TriggerOutcome>(() => undefined);
      },
      createSilentLogger(),
    );
    ticker.start();
    try {
      await twoTicks;
    } finally {
      ticker.stop();
    }
    expect(ticks).toBe(2);
  });
});

describe('POLL_SCHEDULE', () => {
  const base = { VO_API_ID: 'id', VO_API_KEY: 'key' };
  const problemsFor = (schedule: string) => configProblems({ ...base, POLL_SCHEDULE: schedule });

  it.each(['not a cron', '* * * *', '* * * * * * *', '61 * * * *', '*/5 * * * * mon-xyz'])(
    'rejects %j as a configuration error naming POLL_SCHEDULE',
    (schedule) => {
      const problems = problemsFor(schedule);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^POLL_SCHEDULE /);
    },
  );

  it('accepts five and six fields and derives the interval readiness uses', () => {
    const five = loadConfig({ ...base, POLL_SCHEDULE: '*/5 * * * *' }, { requireVictorOps: true });
    expect(five.service.schedule).toEqual({ expression: '*/5 * * * *', intervalMs: 300_000 });
    const six = loadConfig({ ...base, POLL_SCHEDULE: '*/10 * * * * *' }, { requireVictorOps: true });
    expect(six.service.schedule.intervalMs).toBe(10_000);
    expect(loadConfig(base, { requireVictorOps: true }).service.schedule.expression).toBe('*/5 * * * *');
  });
});

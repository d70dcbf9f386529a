/**
 * The daemon's event loop lag series (issue 21, forty-seventh part). prom-client's own histogram
 * samples on a timer every 10 ms, which woke the idle daemon's event loop 100 times a second; its
 * seven series are replaced by ones sampled every EVENT_LOOP_SAMPLE_MS, each sample how late that
 * timer fired, so they still say how late the loop ran: ~0 when idle, a block's length when it
 * blocks, also right after a scrape. Wakeups are counted as the voluntary context switches of this
 * thread (Linux's /proc/thread-self), each a return from waiting.
 */
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createServiceMetrics, EVENT_LOOP_SAMPLE_MS } from '../../../src/service/metrics.js';

const STATUS = '/proc/thread-self/status';
const LAG_SERIES = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'].map(
  (key) => `nodejs_eventloop_lag_${key}_seconds`,
);

/** How many times this thread has returned from waiting so far. */
function wakeups(): number {
  const match = /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(readFileSync(STATUS, 'utf8'));
  if (!match) throw new Error(`no voluntary_ctxt_switches in ${STATUS}`);
  return Number(match[1]);
}

function newMetrics() {
  return createServiceMetrics({
    destinations: [],
    outboxCounts: () => [],
    victorOpsStats: () => ({ requests: 0, retries: 0, rateLimited: 0 }),
    lastSuccessAtMs: null,
  });
}

/** Each series' value in a scrape (one sample each: the daemon's registry has no labels on them). */
function lagValues(text: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const name of LAG_SERIES) {
    const matches = [...text.matchAll(new RegExp(`^${name} (\\S+)$`, 'gm'))];
    expect(matches, `${name} once in the scrape`).toHaveLength(1);
    values[name] = Number(matches[0]![1]);
  }
  return values;
}

/** Keeps the event loop busy for `ms` without yielding. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy on purpose
  }
}

describe("the daemon's event loop lag series", () => {
  it('read how late the loop ran, not the sampling period: near 0 when idle', async () => {
    const metrics = newMetrics();
    await sleep(EVENT_LOOP_SAMPLE_MS * 3 + 200);
    const values = lagValues(await metrics.render());
    // Without the period taken off, every one but stddev would read ~EVENT_LOOP_SAMPLE_MS / 1000.
    expect(values.nodejs_eventloop_lag_p50_seconds).toBeLessThan(EVENT_LOOP_SAMPLE_MS / 1000 / 4);
    expect(values.nodejs_eventloop_lag_min_seconds).toBeGreaterThanOrEqual(0);
  });

  it('show a block of the loop longer than the sampling period, also right after a scrape', async () => {
    const metrics = newMetrics();
    await sleep(EVENT_LOOP_SAMPLE_MS * 2 + 100);
    // This scrape reads samples and clears them; the block starts at once after it.
    await metrics.render();
    block(EVENT_LOOP_SAMPLE_MS * 2.5);
    await sleep(EVENT_LOOP_SAMPLE_MS + 100);
    const values = lagValues(await metrics.render());
    // The sample due during the block ran when it ended: late by at least the block less a period.
    expect(values.nodejs_eventloop_lag_max_seconds).toBeGreaterThanOrEqual(
      (EVENT_LOOP_SAMPLE_MS * 1.4) / 1000,
    );
  });

  it('forget a block once a scrape has read it', async () => {
    const metrics = newMetrics();
    block(EVENT_LOOP_SAMPLE_MS * 2.5);
    await sleep(EVENT_LOOP_SAMPLE_MS + 100);
    const during = lagValues(await metrics.render());
    expect(during.nodejs_eventloop_lag_max_seconds).toBeGreaterThanOrEqual(
      (EVENT_LOOP_SAMPLE_MS * 1.4) / 1000,
    );
    await sleep(EVENT_LOOP_SAMPLE_MS * 2 + 100);
    const after = lagValues(await metrics.render());
    expect(after.nodejs_eventloop_lag_max_seconds).toBeLessThan((EVENT_LOOP_SAMPLE_MS * 0.7) / 1000);
  });

  it('stay finite through a scrape with no new sample', async () => {
    const metrics = newMetrics();
    await sleep(EVENT_LOOP_SAMPLE_MS * 2 + 100);
    await metrics.render();
    // Right after: the samples were cleared and (almost always) none came since. An empty histogram
    // reads min 9.2e9 s, max 0 and mean NaN; the series keep the scrape before's instead.
    const second = lagValues(await metrics.render());
    for (const value of Object.values(second)) expect(Number.isFinite(value)).toBe(true);
    expect(second.nodejs_eventloop_lag_min_seconds).toBeLessThanOrEqual(
      second.nodejs_eventloop_lag_max_seconds!,
    );
  });

  it.skipIf(!existsSync(STATUS))('leave an idle event loop asleep (Linux: /proc/thread-self)', async () => {
    newMetrics();
    const before = wakeups();
    await sleep(2_000);
    const woke = wakeups() - before;
    // At prom-client's 10 ms, ~200 in these two seconds; at EVENT_LOOP_SAMPLE_MS, a handful, the runner's own included.
    expect(woke).toBeLessThan(50);
  });
});

/**
 * The daemon's process metrics must not keep an idle daemon busy: prom-client's event loop lag
 * histogram samples on a timer of its own (10 ms by default), which woke the event loop 100 times
 * a second between polls, ~0.85% of a core for nothing (issue 21, forty-seventh part). Counted
 * here as the voluntary context switches of this thread (Linux's /proc/thread-self), each a return
 * from waiting: the test's own second of sleep is one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createServiceMetrics, EVENT_LOOP_SAMPLE_MS } from '../../../src/service/metrics.js';

const STATUS = '/proc/thread-self/status';

/** How many times this thread has returned from waiting so far. */
function wakeups(): number {
  const match = /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(readFileSync(STATUS, 'utf8'));
  if (!match) throw new Error(`no voluntary_ctxt_switches in ${STATUS}`);
  return Number(match[1]);
}

describe('the process metrics of an idle daemon', () => {
  it(`sample the event loop lag every ${EVENT_LOOP_SAMPLE_MS} ms, and still expose it`, async () => {
    const metrics = createServiceMetrics({
      destinations: [],
      outboxCounts: () => [],
      victorOpsStats: () => ({ requests: 0, retries: 0, rateLimited: 0 }),
      lastSuccessAtMs: null,
    });
    const text = await metrics.render();
    expect(text).toContain('nodejs_eventloop_lag_p99_seconds');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(EVENT_LOOP_SAMPLE_MS).toBeGreaterThanOrEqual(1_000);
  });

  it.skipIf(!existsSync(STATUS))('leave an idle event loop asleep (Linux: /proc/thread-self)', async () => {
    createServiceMetrics({
      destinations: [],
      outboxCounts: () => [],
      victorOpsStats: () => ({ requests: 0, retries: 0, rateLimited: 0 }),
      lastSuccessAtMs: null,
    });
    const before = wakeups();
    await sleep(2_000);
    const woke = wakeups() - before;
    // At prom-client's 10 ms, ~200 in these two seconds; at one second, a handful, the runner's own included.
    expect(woke).toBeLessThan(50);
  });
});

/**
 * The budget bench's cost rows (benchBudgetCost): what they say a request makes of the shared
 * schedule, which is what docs/benchmarks.md reads from them (issue 21, thirty-third part). Counts
 * and sizes only: its CPU figures are the machine's.
 */
import { describe, expect, it } from 'vitest';
import { benchBudgetCost } from '../../../src/bench/budget-bench.js';

describe('the budget bench cost rows', () => {
  it("make one call per request in a poll at the real rate, two at the benchmarks' rate or one at a time, on rows of 2 and 1,000 sends", async () => {
    const rows = await benchBudgetCost({ requests: 40 });
    const of = (maxRps: number, scenario: string) =>
      rows.find((r) => r.maxRps === maxRps && r.scenario === scenario);
    expect(rows).toHaveLength(6);
    // A reservation each, and one withdrawal when the run's last request has been granted.
    expect(of(2, 'a poll')?.sharedCallsPerRequest).toBe(41 / 40);
    for (const scenario of ['one at a time', 'beside another'])
      expect(of(2, scenario)?.sharedCallsPerRequest).toBe(2);
    for (const scenario of ['one at a time', 'beside another'])
      expect(of(1000, scenario)?.sharedCallsPerRequest).toBe(2);
    // At the benchmarks' rate a poll's queue mostly empties at each turn: nearly two calls.
    expect(of(1000, 'a poll')?.sharedCallsPerRequest).toBeGreaterThan(1.5);
    // Two sends at VO_MAX_RPS=2, a thousand at 1000, each a 13-digit epoch ms or a fraction of one.
    expect(of(2, 'a poll')?.rowBytes).toBeLessThan(200);
    expect(of(1000, 'a poll')?.rowBytes).toBeGreaterThan(13_000);
    for (const row of rows) expect(row.sharedCpuMicrosPerRequest).toBeGreaterThan(0);
  }, 60_000);
});

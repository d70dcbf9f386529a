import { describe, expect, it } from 'vitest';
import { countOutcome, createPassCounters, sumPassTotals } from '../../../src/delivery/pass-totals.js';

describe('pass totals', () => {
  it('counts each outcome once; a 410 (disabled) counts as failed because its row stays open', () => {
    const counters = createPassCounters();
    for (const outcome of ['delivered', 'delivered', 'failed', 'dead', 'disabled'] as const) {
      countOutcome(counters, outcome);
    }
    expect(counters).toEqual({ attempted: 5, delivered: 2, failed: 2, dead: 1, errors: 0 });
  });

  it('adds every destination into the total and keeps errors out of the per-destination rows', () => {
    const hooks = { attempted: 3, delivered: 2, failed: 1, dead: 0, errors: 1 };
    const slack = { attempted: 2, delivered: 0, failed: 0, dead: 2, errors: 0 };
    const summary = sumPassTotals({
      byDestination: new Map([
        ['hooks', hooks],
        ['slack', slack],
      ]),
      disabledDuringPass: ['hooks'],
      skippedDisabled: ['old'],
    });
    expect(summary).toEqual({
      attempted: 5,
      delivered: 2,
      failed: 1,
      dead: 2,
      errors: 1,
      disabledDuringPass: ['hooks'],
      skippedDisabled: ['old'],
      byDestination: {
        hooks: { attempted: 3, delivered: 2, failed: 1, dead: 0 },
        slack: { attempted: 2, delivered: 0, failed: 0, dead: 2 },
      },
    });
  });
});

/**
 * parseCronSchedule validates at once but works out the interval only when it is read (issue 21):
 * node-cron's next-run search builds Intl formatters, ~100 ms of a one-off poll that never needs it.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import {
  type CronSchedule,
  KNOWN_VALID_SCHEDULES,
  parseCronSchedule,
} from '../../../src/parse/cron-schedule.js';

// The copy of node-cron parseCronSchedule requires on first use (its CommonJS build), so spies see its calls.
const cron: typeof import('node-cron').default = createRequire(import.meta.url)('node-cron');

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

/** The interval as node-cron's own next runs give it, computed here independently. */
function nodeCronGap(expression: string): number {
  const task = cron.createTask(expression, () => undefined);
  try {
    const runs = task.getNextRuns(6).map((d) => d.getTime());
    return Math.max(...runs.slice(1).map((t, i) => t - runs[i]!)) || 60_000;
  } finally {
    void task.destroy();
  }
}

function parsed(expression: string): CronSchedule {
  const schedule = parseCronSchedule(expression);
  if (typeof schedule === 'string') throw new Error(schedule);
  return schedule;
}

describe('parseCronSchedule', () => {
  it('asks node-cron for next runs only when the interval is read, and once', () => {
    const createTask = vi.spyOn(cron, 'createTask');
    const schedule = parsed('*/5 * * * *');
    expect(schedule.expression).toBe('*/5 * * * *');
    expect(createTask).not.toHaveBeenCalled();
    expect(schedule.intervalMs).toBe(300_000);
    expect(schedule.intervalMs).toBe(300_000);
    expect(createTask).toHaveBeenCalledTimes(1);
  });

  it.each([
    '*/5 * * * *',
    '*/10 * * * * *',
    '0 * * * *',
    '15 */3 * * *',
    '0 9 * * 1-5',
    '0 0 1 * *',
    '30 2 * * 0',
    '0 9,17 * * *',
    '*/7 * * * *',
    '0 0 29 2 *',
    '* * * * *',
  ])('%s: the interval is the longest gap between node-cron’s next six runs', (expression) => {
    // A fixed start, so the reference and the lazy read see the same next runs.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-03-27T22:58:30Z') });
    const schedule = parsed(expression);
    expect(schedule.intervalMs).toBe(nodeCronGap(expression));
  });

  it('spreads and serialises with the interval like a plain object', () => {
    const schedule = parsed('0 * * * *');
    expect({ ...schedule }).toEqual({ expression: '0 * * * *', intervalMs: 3_600_000 });
    expect(JSON.parse(JSON.stringify(schedule))).toEqual({ expression: '0 * * * *', intervalMs: 3_600_000 });
  });

  it('the default schedules it takes without node-cron are ones node-cron accepts', () => {
    expect(KNOWN_VALID_SCHEDULES.size).toBeGreaterThan(0);
    for (const expression of KNOWN_VALID_SCHEDULES) expect(cron.validate(expression), expression).toBe(true);
  });

  it('a configuration of defaults is read without asking node-cron (a one-off poll need not load it)', () => {
    const validate = vi.spyOn(cron, 'validateDetailed');
    const createTask = vi.spyOn(cron, 'createTask');
    const config = loadConfig({}, { requireVictorOps: false });
    expect(config.service.schedule.expression).toBe('*/5 * * * *');
    expect(validate).not.toHaveBeenCalled();
    expect(createTask).not.toHaveBeenCalled();
    // Another expression is still checked by node-cron.
    expect(
      loadConfig({ POLL_SCHEDULE: '*/6 * * * *' }, { requireVictorOps: false }).service.schedule.expression,
    ).toBe('*/6 * * * *');
    expect(validate).toHaveBeenCalledWith('*/6 * * * *');
  });

  it('gives what asking node-cron for every expression gives (property)', () => {
    // The full path: the field count, then node-cron's verdict on everything.
    const reference = (expression: string) => {
      const fields = expression.trim().split(/\s+/);
      if (fields.length < 5 || fields.length > 6) return 'fields';
      return cron.validateDetailed(expression).valid ? expression : 'invalid';
    };
    const field = fc.constantFrom(
      '*',
      '*/5',
      '*/30',
      '0',
      '5',
      '30',
      '59',
      '60',
      '61',
      '1-5',
      'x',
      '*/0',
      '',
    );
    const expression = fc.oneof(
      fc.constantFrom(...KNOWN_VALID_SCHEDULES),
      fc.array(field, { minLength: 4, maxLength: 7 }).map((fields) => fields.join(' ')),
      fc
        .tuple(fc.constantFrom(...KNOWN_VALID_SCHEDULES), fc.constantFrom(' ', ' *', ' 0', '  ', '\t'))
        .map(([known, extra]) => `${known}${extra}`),
    );
    fc.assert(
      fc.property(expression, (text) => {
        const schedule = parseCronSchedule(text);
        const got =
          typeof schedule !== 'string'
            ? schedule.expression
            : schedule.startsWith('must be')
              ? 'fields'
              : 'invalid';
        expect(got).toBe(reference(text));
      }),
      { numRuns: 500 },
    );
  });

  it('still refuses a bad expression at once, with the same texts', () => {
    expect(parseCronSchedule('* * *')).toBe(
      'must be a cron expression with five or six fields (such as "*/5 * * * *"), got "* * *"',
    );
    expect(parseCronSchedule('61 * * * *')).toMatch(
      /^is not a valid cron expression \("61 \* \* \* \*": .+\)$/,
    );
  });
});

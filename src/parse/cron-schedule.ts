import { createRequire } from 'node:module';

/**
 * node-cron is required on first use, not imported: it costs a one-off command ~10 ms of loading
 * (node:child_process with it) that the default schedules below never need (issue 21). Its
 * CommonJS build; the daemon's scheduler imports the ES one, and no state is shared between them.
 */
const requireLazily = createRequire(import.meta.url);
const nodeCron = (): typeof import('node-cron').default => requireLazily('node-cron');

/**
 * The default schedules of the settings every command's configuration reads (POLL_SCHEDULE,
 * POLICY_SCHEDULE, IDENTITY_SCHEDULE): node-cron accepts each of them, which
 * test/unit/parse/cron-schedule.test.ts checks, so reading them is not a reason to load it.
 */
export const KNOWN_VALID_SCHEDULES: ReadonlySet<string> = new Set([
  '*/5 * * * *',
  '0 * * * *',
  '*/30 * * * *',
]);

export interface CronSchedule {
  expression: string;
  /**
   * The longest gap between the next few ticks; readiness allows twice this since the last success.
   * Worked out on first read (then kept): node-cron's next-run search builds Intl date formatters,
   * about 100 ms of a one-off CLI command that never reads it (issue 21, docs/benchmarks.md).
   */
  readonly intervalMs: number;
}

/** Parses a five- or six-field node-cron expression; returns a problem text instead of throwing. */
export function parseCronSchedule(expression: string): CronSchedule | string {
  const fields = expression.trim().split(/\s+/);
  if (fields.length < 5 || fields.length > 6) {
    return `must be a cron expression with five or six fields (such as "*/5 * * * *"), got "${expression}"`;
  }
  const detail = KNOWN_VALID_SCHEDULES.has(expression)
    ? { valid: true, errors: [] }
    : nodeCron().validateDetailed(expression);
  if (!detail.valid) {
    const why = detail.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    return `is not a valid cron expression ("${expression}"${why ? `: ${why}` : ''})`;
  }
  let intervalMs: number | undefined;
  return {
    expression,
    get intervalMs() {
      intervalMs ??= longestGapMs(expression);
      return intervalMs;
    },
  };
}

/** The longest gap between the next six ticks of a valid expression, from now (60 s if they do not differ). */
function longestGapMs(expression: string): number {
  const task = nodeCron().createTask(expression, () => undefined);
  try {
    const runs = task.getNextRuns(6).map((d) => d.getTime());
    let longest = 0;
    for (let i = 1; i < runs.length; i++) longest = Math.max(longest, runs[i]! - runs[i - 1]!);
    return longest || 60_000;
  } finally {
    void task.destroy();
  }
}

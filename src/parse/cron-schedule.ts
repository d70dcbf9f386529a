import cron from 'node-cron';

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
  const detail = cron.validateDetailed(expression);
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
  const task = cron.createTask(expression, () => undefined);
  try {
    const runs = task.getNextRuns(6).map((d) => d.getTime());
    let longest = 0;
    for (let i = 1; i < runs.length; i++) longest = Math.max(longest, runs[i]! - runs[i - 1]!);
    return longest || 60_000;
  } finally {
    void task.destroy();
  }
}

/** On-call coverage: when escalation policies and schedules are polled and how far ahead. */
import { type CronSchedule, parseCronSchedule } from '../parse/cron-schedule.js';
import type { ConfigReader } from './reader.js';

export interface CoverageConfig {
  /** null when POLICY_SCHEDULE=off: no scheduled policy polls (the CLI still has `policy-poll`). */
  schedule: CronSchedule | null;
  daysForward: number;
  /** VictorOps allows about one `GET /v1/policies` a minute; never call it more often than this. */
  policyListMinIntervalMs: number;
}

/** POLICY_SCHEDULE, null when "off" or (with a problem recorded) when malformed. */
export function readPolicySchedule(r: ConfigReader): CronSchedule | null {
  const text = r.string('POLICY_SCHEDULE', '0 * * * *');
  const schedule = text === 'off' ? null : parseCronSchedule(text);
  if (typeof schedule === 'string') r.problems.push(`POLICY_SCHEDULE ${schedule} (or "off")`);
  return typeof schedule === 'string' ? null : schedule;
}

export function readCoverageConfig(r: ConfigReader, schedule: CronSchedule | null): CoverageConfig {
  return {
    schedule,
    daysForward: r.number('ONCALL_DAYS_FORWARD', 14, { min: 1, max: 30, integer: true }),
    policyListMinIntervalMs: r.number('POLICY_LIST_MIN_INTERVAL_MS', 60_000, {
      min: 0,
      max: 86_400_000,
      integer: true,
    }),
  };
}

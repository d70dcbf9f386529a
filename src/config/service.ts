/** The daemon's part of the configuration: its poll schedule and its HTTP server. */
import { type CronSchedule, parseCronSchedule } from '../parse/cron-schedule.js';
import type { ConfigReader } from './reader.js';

export interface ServiceConfig {
  schedule: CronSchedule;
  jitterMs: number;
  pollOnStart: boolean;
  httpHost: string;
  httpPort: number;
  shutdownTimeoutMs: number;
}

const DEFAULT_POLL_SCHEDULE = '*/5 * * * *';

/** POLL_SCHEDULE, or the default (with a problem recorded) when it is not a cron expression. */
export function readPollSchedule(r: ConfigReader): CronSchedule {
  const schedule = parseCronSchedule(r.string('POLL_SCHEDULE', DEFAULT_POLL_SCHEDULE));
  if (typeof schedule === 'string') r.problems.push(`POLL_SCHEDULE ${schedule}`);
  return typeof schedule === 'string' ? (parseCronSchedule(DEFAULT_POLL_SCHEDULE) as CronSchedule) : schedule;
}

export function readServiceConfig(r: ConfigReader, schedule: CronSchedule): ServiceConfig {
  return {
    schedule,
    jitterMs: r.number('POLL_JITTER_MS', 0, { min: 0, max: 3_600_000, integer: true }),
    pollOnStart: r.boolean('POLL_ON_START', true),
    httpHost: r.string('HTTP_HOST', '127.0.0.1'),
    httpPort: r.number('HTTP_PORT', 8080, { min: 0, max: 65_535, integer: true }),
    // 8 s: inside `docker stop`'s and Kubernetes' default grace periods (10 s and 30 s), so a
    // hanging webhook cannot turn a graceful stop into a SIGKILL.
    shutdownTimeoutMs: r.number('SHUTDOWN_TIMEOUT_MS', 8_000, { min: 100, max: 600_000, integer: true }),
  };
}

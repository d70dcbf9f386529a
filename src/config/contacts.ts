/**
 * The contacts poll: when people's contact methods and personal paging policies are read, and how
 * often everyone (not only the people on call) is read at least once.
 */
import { type CronSchedule, parseCronSchedule } from '../parse/cron-schedule.js';
import type { ConfigReader } from './reader.js';

export interface ContactsConfig {
  /** null when CONTACTS_SCHEDULE=off (the default): no scheduled contacts polls; `contacts-poll` still works. */
  schedule: CronSchedule | null;
  /** CONTACTS_VERIFY_INTERVAL: everyone is read at least this often (default 24h). */
  verifyIntervalMs: number;
}

const VERIFY_DEFAULT_MS = 86_400_000;
const VERIFY_RANGE_MS = { min: 3_600_000, max: 30 * 86_400_000 };

function readContactsVerifyInterval(r: ConfigReader): number {
  return r.duration('CONTACTS_VERIFY_INTERVAL', VERIFY_DEFAULT_MS, {
    minMs: VERIFY_RANGE_MS.min,
    maxMs: VERIFY_RANGE_MS.max,
    range: '1h to 30d',
    examples: '"24h" or "7d"',
  });
}

export function readContactsConfig(r: ConfigReader): ContactsConfig {
  // Off by default: a contacts poll reads two endpoints per person (one of them limited to one
  // request a second), which an operator should turn on knowingly for a large org.
  const text = r.string('CONTACTS_SCHEDULE', 'off');
  const schedule = text === 'off' ? null : parseCronSchedule(text);
  if (typeof schedule === 'string') r.problems.push(`CONTACTS_SCHEDULE ${schedule} (or "off")`);
  return {
    schedule: typeof schedule === 'string' ? null : schedule,
    verifyIntervalMs: readContactsVerifyInterval(r),
  };
}

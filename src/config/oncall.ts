/**
 * How on-call hours are split (ONCALL_TIMEZONE, ONCALL_BUSINESS_HOURS, ONCALL_HOLIDAYS_FILE). The
 * holidays file is an iCalendar file, parsed with ical.js; each event's days are holidays.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type ICAL from 'ical.js';
import { type BusinessHours, isTimeZone, parseBusinessHours } from '../parse/business-hours.js';
import { ConfigReader } from './reader.js';

export interface OncallConfig {
  timeZone: string;
  businessHours: BusinessHours;
  /** Local dates (YYYY-MM-DD) that are public holidays; empty without ONCALL_HOLIDAYS_FILE. */
  holidays: ReadonlySet<string>;
  /** The file they came from, for the report's header; null without one. */
  holidaysFile: string | null;
}

/**
 * ical.js (~0.2 MB to compile) is required only when there is a holidays file to parse, not
 * imported: every command reads this part of the configuration, few set ONCALL_HOLIDAYS_FILE
 * (issue 21). Its CommonJS build, the one `require` resolves to.
 */
const requireLazily = createRequire(import.meta.url);
const icalJs = (): typeof ICAL => requireLazily('ical.js');

/** Recurring holidays are expanded up to this year (and at most this many times per event). */
const LAST_YEAR = 2100;
const MAX_OCCURRENCES = 500;

const dateOf = (t: { year: number; month: number; day: number }) =>
  `${String(t.year).padStart(4, '0')}-${String(t.month).padStart(2, '0')}-${String(t.day).padStart(2, '0')}`;

/**
 * The holiday dates of an iCalendar text: every day an event covers (an all-day event from its
 * start date up to, not including, its end date; an event with a time, the date it starts on),
 * recurring events expanded. Throws on text that is not iCalendar. `ical` is the build of ical.js
 * to parse with (a test compares the two).
 */
export function parseHolidayCalendar(text: string, ical: typeof ICAL = icalJs()): Set<string> {
  const calendar = new ical.Component(ical.parse(text));
  const dates = new Set<string>();
  for (const component of calendar.getAllSubcomponents('vevent')) {
    const event = new ical.Event(component);
    const start = event.startDate;
    if (!start) continue;
    const end = event.endDate;
    const days =
      start.isDate && end ? Math.max(1, Math.round(end.subtractDate(start).toSeconds() / 86_400)) : 1;
    const addDays = (first: ICAL.Time) => {
      const day = first.clone();
      for (let i = 0; i < days; i++) {
        dates.add(dateOf(day));
        day.adjust(1, 0, 0, 0);
      }
    };
    if (!event.isRecurring()) {
      addDays(start);
      continue;
    }
    const iterator = event.iterator();
    for (let n = 0, next = iterator.next(); next && n < MAX_OCCURRENCES; n++, next = iterator.next()) {
      if (next.year > LAST_YEAR) break;
      addDays(next);
    }
  }
  return dates;
}

const DEFAULT_TIMEZONE = 'UTC';
const DEFAULT_BUSINESS_HOURS = 'Mon-Fri 09:00-17:00';

/** What the settings are with no ONCALL_* variable set (the On-call page's rules when it is given none). */
export function defaultOncallConfig(): OncallConfig {
  return readOncallConfig(new ConfigReader({}));
}

export function readOncallConfig(r: ConfigReader): OncallConfig {
  const timeZone = r.string('ONCALL_TIMEZONE', DEFAULT_TIMEZONE);
  if (!isTimeZone(timeZone))
    r.problems.push(`ONCALL_TIMEZONE "${timeZone}" is not an IANA time zone name (e.g. Europe/London, UTC)`);
  const hoursText = r.string('ONCALL_BUSINESS_HOURS', DEFAULT_BUSINESS_HOURS);
  const parsed = parseBusinessHours(hoursText);
  if (typeof parsed === 'string') r.problems.push(`ONCALL_BUSINESS_HOURS ${parsed}`);
  // A problem fails loadConfig; the default stands in only so the reader can go on collecting.
  const businessHours =
    typeof parsed === 'string' ? (parseBusinessHours(DEFAULT_BUSINESS_HOURS) as BusinessHours) : parsed;
  const holidaysFile = r.raw('ONCALL_HOLIDAYS_FILE') ?? null;
  let holidays = new Set<string>();
  if (holidaysFile !== null) {
    let text: string | undefined;
    try {
      text = readFileSync(holidaysFile, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      r.problems.push(`ONCALL_HOLIDAYS_FILE: cannot read ${holidaysFile} (${code})`);
    }
    if (text !== undefined) {
      // Loaded outside the try: a missing ical.js is an install problem, not a bad holidays file.
      const ical = icalJs();
      try {
        holidays = parseHolidayCalendar(text, ical);
      } catch (error) {
        r.problems.push(
          `ONCALL_HOLIDAYS_FILE: ${holidaysFile} is not an iCalendar (.ics) file: ${(error as Error).message}`,
        );
      }
    }
  }
  return {
    timeZone: isTimeZone(timeZone) ? timeZone : DEFAULT_TIMEZONE,
    businessHours,
    holidays,
    holidaysFile,
  };
}

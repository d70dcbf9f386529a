/**
 * Splits on-call time into business hours, weekday out-of-hours, weekend and public holidays, by
 * the wall clock of one IANA time zone (ONCALL_TIMEZONE). Pure: the zone's rules come from Intl.
 *
 * Each local day is cut at its real instants (midnight, business start, business end), so a day
 * across a daylight-saving change is 23 or 25 hours long and a shift across it counts its real
 * elapsed time. A holiday is the whole local day; a business day is one listed in
 * ONCALL_BUSINESS_HOURS, and every other day is weekend.
 */

import type { BusinessHours } from '../parse/business-hours.js';

export type HourCategory = 'business' | 'outOfHours' | 'weekend' | 'holiday';

export interface SplitRules {
  timeZone: string;
  businessHours: BusinessHours;
  /** Local dates (YYYY-MM-DD) that are public holidays. */
  holidays: ReadonlySet<string>;
}

export interface HourSplit {
  business: number;
  outOfHours: number;
  weekend: number;
  holiday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const offsetCache = new Map<string, Map<number, number>>();

/** The zone's wall clock at an instant, as if it were UTC (ms), minus the instant: its offset. */
function offsetMs(timeZone: string, atMs: number): number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 0;
  const second = Math.floor(atMs / 1000) * 1000;
  let cache = offsetCache.get(timeZone);
  if (!cache) {
    cache = new Map();
    offsetCache.set(timeZone, cache);
  }
  const known = cache.get(second);
  if (known !== undefined) return known;
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(second)))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  // Intl is slow (a report asks about every local midnight and business edge): keep what it said.
  if (cache.size > 100_000) cache.clear();
  cache.set(second, wall - second);
  return wall - second;
}

/** The local date (YYYY-MM-DD) of an instant in the zone. */
export function localDate(timeZone: string, atMs: number): string {
  return new Date(atMs + offsetMs(timeZone, atMs)).toISOString().slice(0, 10);
}

/** The local date and time (`YYYY-MM-DD HH:MM`) of an instant in the zone. */
export function localDateTime(timeZone: string, atMs: number): string {
  return new Date(atMs + offsetMs(timeZone, atMs)).toISOString().slice(0, 16).replace('T', ' ');
}

/** The date after a local date (YYYY-MM-DD). */
export const nextDate = (date: string): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/**
 * The instant a local wall-clock time happens in the zone. A time skipped by a change (spring
 * forward) is read with the offset before it (01:30 becomes 02:30 BST, as Temporal's
 * "compatible" does); a repeated one (fall back) is its first time.
 */
export function zonedInstant(timeZone: string, date: string, minuteOfDay: number): number {
  const wall = Date.parse(`${date}T00:00:00Z`) + minuteOfDay * 60_000;
  // The offsets a day before and after: no zone changes its offset twice within two days.
  const before = wall - offsetMs(timeZone, wall - 86_400_000);
  const after = wall - offsetMs(timeZone, wall + 86_400_000);
  if (before === after) return before;
  const shows = (t: number) => t + offsetMs(timeZone, t) === wall;
  const real = [before, after].filter(shows);
  return real.length > 0 ? Math.min(...real) : before;
}

/** One stretch of the calendar, [startMs, endMs), in one category. */
export type CalendarPiece = [number, number, HourCategory];

/**
 * The categories of every instant in [fromMs, toMs), as consecutive pieces cut at local
 * midnights and business-hour edges.
 */
export function buildHourCalendar(rules: SplitRules, fromMs: number, toMs: number): CalendarPiece[] {
  const pieces: CalendarPiece[] = [];
  const { timeZone, businessHours: bh, holidays } = rules;
  let date = localDate(timeZone, fromMs);
  let dayStart = zonedInstant(timeZone, date, 0);
  while (dayStart < toMs) {
    const following = nextDate(date);
    const dayEnd = zonedInstant(timeZone, following, 0);
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    if (holidays.has(date)) pieces.push([dayStart, dayEnd, 'holiday']);
    else if (!bh.days.has(weekday)) pieces.push([dayStart, dayEnd, 'weekend']);
    else {
      const open = zonedInstant(timeZone, date, bh.startMinute);
      const close = bh.endMinute >= 24 * 60 ? dayEnd : zonedInstant(timeZone, date, bh.endMinute);
      if (dayStart < open) pieces.push([dayStart, open, 'outOfHours']);
      pieces.push([open, close, 'business']);
      if (close < dayEnd) pieces.push([close, dayEnd, 'outOfHours']);
    }
    date = following;
    dayStart = dayEnd;
  }
  return pieces;
}

export const emptySplit = (): HourSplit => ({ business: 0, outOfHours: 0, weekend: 0, holiday: 0 });

/** Adds the time of each [startMs, endMs) interval to the category it falls in (ms). */
export function splitByCalendar(
  calendar: readonly CalendarPiece[],
  intervals: readonly (readonly [number, number])[],
  into: HourSplit = emptySplit(),
): HourSplit {
  for (const [start, end] of intervals) {
    // The first piece that ends after `start`.
    let lo = 0;
    let hi = calendar.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((calendar[mid]?.[1] ?? 0) <= start) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < calendar.length; i++) {
      const piece = calendar[i];
      if (!piece || piece[0] >= end) break;
      const overlap = Math.min(end, piece[1]) - Math.max(start, piece[0]);
      if (overlap > 0) into[piece[2]] += overlap;
    }
  }
  return into;
}

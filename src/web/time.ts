/**
 * Times as a person reads them: in the viewer's zone (UI_TIMEZONE, default the server's), as
 * "Tue 3 Dec 14:05" (with the year when it is not this year's), and "3 h ago" where recency
 * matters. The exact UTC instant stays in the page as `<time datetime>` and on hover.
 */

import { localDate, nextDate, zonedInstant } from '../roster/oncall-split.js';
import type { DaySpan } from '../store/ui-reads.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The server's own zone: the view's zone when none is configured (UI_TIMEZONE reads it too). */
export const serverTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** "Tue 3 Dec 14:05" in `zone`; the year is added when it is not the year of `now` there. */
export function formatLocal(iso: string, zone: string, now: Date): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const part = (parts: Intl.DateTimeFormatPart[], type: string) =>
    parts.find((p) => p.type === type)?.value ?? '';
  const f = formatterFor(zone);
  const parts = f.formatToParts(new Date(ms));
  const year = part(parts, 'year');
  const sameYear = year === part(f.formatToParts(now), 'year');
  const day = `${part(parts, 'weekday')} ${part(parts, 'day')} ${part(parts, 'month')}`;
  return `${day}${sameYear ? '' : ` ${year}`} ${part(parts, 'hour')}:${part(parts, 'minute')}`;
}

/** "just now", "12 min ago", "3 h ago", "5 d ago"; "in 2 h" for instants ahead of `now`. */
export function formatRelative(iso: string, now: Date): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  const delta = now.getTime() - ms;
  const abs = Math.abs(delta);
  let amount: string;
  if (abs < 60_000) return 'just now';
  if (abs < 3_600_000) amount = `${Math.floor(abs / 60_000)} min`;
  else if (abs < 172_800_000) amount = `${Math.floor(abs / 3_600_000)} h`;
  else amount = `${Math.floor(abs / 86_400_000)} d`;
  return delta >= 0 ? `${amount} ago` : `in ${amount}`;
}

/**
 * The last `count` days in `zone` up to and including the one holding `now`, oldest first: each
 * its date and the UTC instants it runs over (a local day is 23 or 25 hours when the clocks change).
 */
export function localDaySpans(zone: string, now: Date, count: number): DaySpan[] {
  let day = localDate(zone, now.getTime());
  const dates: string[] = [];
  for (let i = 0; i < count; i++) {
    dates.unshift(day);
    day = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  }
  return dates.map((d) => ({
    day: d,
    fromIso: new Date(zonedInstant(zone, d, 0)).toISOString(),
    toIso: new Date(zonedInstant(zone, nextDate(d), 0)).toISOString(),
  }));
}

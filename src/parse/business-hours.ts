/**
 * ONCALL_BUSINESS_HOURS (`Mon-Fri 09:00-17:00`) and ONCALL_TIMEZONE checks: plain parsing, shared
 * by the configuration and the on-call split (src/roster/oncall-split.ts).
 */

export interface BusinessHours {
  /** Local weekdays, 0 = Sunday … 6 = Saturday. */
  days: ReadonlySet<number>;
  /** Minutes after local midnight; start < end, end at most 24:00. */
  startMinute: number;
  endMinute: number;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/**
 * Reads `Mon-Fri 09:00-17:00` (also `Sun-Thu 08:30-16:30`, `Mon,Wed,Fri 10:00-14:00`, and
 * `24:00` as an end). Returns the problem as a string when the text is not of that form.
 */
export function parseBusinessHours(text: string): BusinessHours | string {
  const match = /^\s*([A-Za-z,-]+)\s+(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})\s*$/.exec(text);
  if (!match) return `"${text}" is not of the form "Mon-Fri 09:00-17:00"`;
  const [, dayText = '', sh = '', sm = '', eh = '', em = ''] = match;
  const days = new Set<number>();
  for (const part of dayText.toLowerCase().split(',')) {
    const [from, to] = part.split('-');
    const a = DAY_NAMES.indexOf((from ?? '').slice(0, 3));
    const b = to === undefined ? a : DAY_NAMES.indexOf(to.slice(0, 3));
    if (a < 0 || b < 0 || (from ?? '').length !== 3 || (to !== undefined && to.length !== 3))
      return `"${part}" is not a day or day range (Mon, Tue, …, Sun; e.g. Mon-Fri)`;
    for (let d = a; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === b) break;
    }
  }
  const startMinute = Number(sh) * 60 + Number(sm);
  const endMinute = Number(eh) * 60 + Number(em);
  if (Number(sm) > 59 || Number(em) > 59 || startMinute >= endMinute || endMinute > 24 * 60)
    return `"${sh}:${sm}-${eh}:${em}" is not a time range within one day (start before end, end at most 24:00)`;
  return { days, startMinute, endMinute };
}

/**
 * Whether Intl knows the IANA zone name. Every Intl knows UTC (ECMA-402), the default: answering
 * it without a formatter spares a command that formats no date Intl's time-zone set-up, ~60 ms.
 */
export function isTimeZone(name: string): boolean {
  if (name === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

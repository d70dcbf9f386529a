/**
 * When a source says a status changed, as an ISO instant in UTC. Exports write dates many ways:
 * ISO 8601 (a date, or a time with or without a zone), `01.12.2026` / `12/01/2026` (day or month
 * first, as IDENTITY_DATE_ORDER says), RFC 2822 and HTTP dates, and Unix time in seconds or
 * milliseconds. A time without a zone is read as UTC, never in the server's zone. Parsed with luxon.
 */
import { DateTime } from 'luxon';

export type DateOrder = 'day-first' | 'month-first';

const UTC = { zone: 'utc' } as const;

function numeric(text: string, order: DateOrder): DateTime | null {
  const m = /^(\d{1,2})([./-])(\d{1,2})\2(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (m === null) return null;
  const [a, b] = [Number(m[1]), Number(m[3])];
  const [day, month] = order === 'day-first' ? [a, b] : [b, a];
  const dt = DateTime.fromObject(
    {
      year: Number(m[4]),
      month,
      day,
      hour: Number(m[5] ?? 0),
      minute: Number(m[6] ?? 0),
      second: Number(m[7] ?? 0),
    },
    UTC,
  );
  return dt.isValid ? dt : null;
}

function epoch(text: string): DateTime | null {
  if (/^\d{9,10}$/.test(text)) return DateTime.fromSeconds(Number(text), UTC);
  if (/^\d{12,13}$/.test(text)) return DateTime.fromMillis(Number(text), UTC);
  return null;
}

/** The instant as `YYYY-MM-DDTHH:mm:ss.sssZ`, or null when the text is no date this reads. */
export function parseStatusDate(text: string, order: DateOrder): string | null {
  const t = text.trim();
  // The common case, a date alone, without luxon's cost (an export has one on every row).
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) {
    const ms = Date.parse(t);
    const iso = Number.isNaN(ms) ? '' : new Date(ms).toISOString();
    return iso.startsWith(t) ? iso : null;
  }
  const candidates = [
    () => epoch(t),
    () => numeric(t, order),
    () => DateTime.fromISO(t.replace(' ', 'T'), UTC),
    () => DateTime.fromRFC2822(t, UTC),
    () => DateTime.fromHTTP(t, UTC),
  ];
  for (const parse of candidates) {
    const dt = parse();
    if (dt?.isValid) return dt.toUTC().toISO();
  }
  return null;
}

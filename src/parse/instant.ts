/**
 * ISO-8601 dates and instants as people type them into `--at`, `--until`, `--since` and the web
 * view's `?at=`, on the ground floor so the CLI and the web view share one grammar. A bare date
 * means midnight UTC, and so does a time without a zone: the history is kept in UTC, and an answer
 * must not depend on the shell's TZ. Impossible dates (2026-02-30) and times (24:00) are refused
 * rather than rolled over, as `Date.parse` would (to 2 March).
 */

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** The instant as an ISO string, or null when the text is not a real date or time. */
export function parseIsoInstant(value: string): string | null {
  const text = value.trim();
  const match = ISO_INSTANT.exec(text);
  if (!match) return null;
  const [, y, mo, d, h, mi, sec, zone] = match;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (
    day.getUTCFullYear() !== Number(y) ||
    day.getUTCMonth() !== Number(mo) - 1 ||
    day.getUTCDate() !== Number(d)
  )
    return null;
  if (Number(h ?? 0) > 23 || Number(mi ?? 0) > 59 || Number(sec ?? 0) > 59) return null;
  const withZone =
    h === undefined
      ? `${y}-${mo}-${d}T00:00:00Z`
      : zone === undefined
        ? `${text.replace(' ', 'T')}Z`
        : text.replace(' ', 'T');
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

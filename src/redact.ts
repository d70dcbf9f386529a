/**
 * Scrubbing for anything roster-watch stores, prints or logs that came from, or names, an outside
 * endpoint. Slack incoming-webhook URLs carry their token in the path (`/services/T…/B…/secret`)
 * and webhook URLs often carry one in the path or query, and endpoints echo them back in error
 * bodies; so every URL is cut down to its scheme and host, and the Slack pattern is cut wherever
 * it appears, even without a host in front of it.
 */

/** Longest upstream text (a response body excerpt, an error) that may reach a log line or a row. */
export const MAX_UPSTREAM_TEXT_CHARS = 300;

// http(s) only: `file://` paths in stack traces name no secret and are worth keeping.
// A URL's last character is not sentence punctuation: "(see https://x/y)." keeps its ")."
const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'<>`]*[^\s"'<>`).,;:]/gi;
// Slack's webhook ids and tokens are letters and digits.
const SLACK_SERVICES_PATH = /\/services\/[A-Za-z0-9_/-]+/g;

/** `https://host:port/anything?query` becomes `https://host:port/…`; the path and query may hold tokens. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const hasMore = parsed.pathname.replace(/\/+$/, '') !== '' || parsed.search !== '' || parsed.hash !== '';
    // Credentials in the authority (user:password@) are dropped by using host only.
    return `${parsed.protocol}//${parsed.host}${hasMore ? '/…' : ''}`;
  } catch {
    return '[url]';
  }
}

/** Every URL cut to its origin and every `/services/…` path removed; safe to store, print and log. */
export function scrubText(text: string): string {
  return text.replace(URL_IN_TEXT, (match) => redactUrl(match)).replace(SLACK_SERVICES_PATH, '/services/…');
}

/** scrubText, then at most `max` characters (an ellipsis marking a cut) on one line. */
export function scrubForLog(text: string, max = MAX_UPSTREAM_TEXT_CHARS): string {
  const oneLine = scrubText(text).replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/**
 * A scrubber for text about one known endpoint: its full URL, its path with query, its query and
 * its path (when it has one) are cut out wherever they appear, even echoed without the host, then
 * scrubForLog runs.
 */
export function createUrlScrubber(url: string): (text: string) => string {
  const pieces: string[] = [];
  try {
    const parsed = new URL(url);
    const path = parsed.pathname.replace(/\/+$/, '');
    if (path !== '') pieces.push(`${parsed.pathname}${parsed.search}`, parsed.pathname, path);
    if (parsed.search.length > 1) pieces.push(parsed.search, parsed.search.slice(1));
  } catch {
    // An unparsable URL never reached a sender; the full-string cut above is all there is.
  }
  // Longest first, so the path with its query goes before the path alone.
  const ordered = [...new Set(pieces)].filter((p) => p.length >= 2).sort((a, b) => b.length - a.length);
  const shown = redactUrl(url);
  return (text) =>
    scrubForLog(ordered.reduce((acc, piece) => acc.split(piece).join('/…'), text.split(url).join(shown)));
}

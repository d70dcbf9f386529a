/**
 * Scrubbing for anything roster-watch stores, prints or logs that came from, or names, an outside
 * endpoint. Slack incoming-webhook URLs carry their token in the path (`/services/T…/B…/secret`)
 * and webhook URLs often carry one in the path or query, and endpoints echo them back in error
 * bodies; so every URL is cut down to its scheme and host, and the Slack pattern is cut wherever
 * it appears, even without a host in front of it.
 */

/** Longest upstream text (a response body excerpt, an error) that may reach a log line or a row. */
export const MAX_UPSTREAM_TEXT_CHARS = 300;

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
const SLACK_SERVICES_PATH = /\/services\/[^\s"'<>`]+/gi;

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

/** scrubText, then at most `max` characters on one line. */
export function scrubForLog(text: string, max = MAX_UPSTREAM_TEXT_CHARS): string {
  const oneLine = scrubText(text).replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

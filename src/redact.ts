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

/**
 * Every registered secret cut out (scrubSecrets), every URL cut to its origin and every
 * `/services/…` path removed; safe to store, print and log.
 */
export function scrubText(text: string): string {
  return scrubSecrets(text)
    .replace(URL_IN_TEXT, (match) => redactUrl(match))
    .replace(SLACK_SERVICES_PATH, '/services/…');
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

/**
 * Every configured secret (issue 20): the VictorOps key, the Okta token, the Entra client secret and
 * its access tokens, the LDAP bind password, the Google service account's private key (its signed
 * JWTs and access tokens at run time), webhook secrets and URLs, the Slack URL. Registered
 * where they are read (loadConfig) and again where they are used (each adapter and sender), so
 * scrubSecrets, and so scrubText and every error message (RosterWatchError, errorText), cut them
 * out in every form a server may echo them in: as is, in any case, percent-encoded (once or twice,
 * `+` for spaces too), JSON-escaped (`\/` and `\u002f`) and base64 (standard and URL-safe, at any
 * alignment inside a longer encoded text).
 */
const SECRET_MIN_CHARS = 6;
/** Access tokens are renewed every hour; only the latest few can still be echoed. */
const RUNTIME_SECRETS_KEPT = 8;
/** A path segment or query value this long in a secret URL is a token on its own. */
const URL_TOKEN_MIN_CHARS = 12;
/** The part of a base64 encoding that does not depend on the neighbouring bytes must be this long. */
const BASE64_MIN_CHARS = 8;
const REDACTED = '[redacted]';

const configuredSecrets = new Set<string>();
const runtimeSecrets: string[] = [];
let compiled: { text: RegExp | null; base64: RegExp | null } | null = null;

function addSecret(into: Set<string>, value: string | null | undefined): void {
  const trimmed = value?.trim();
  if (trimmed !== undefined && trimmed.length >= SECRET_MIN_CHARS) into.add(trimmed);
}

/** A URL's secret parts: itself, its path with query, its query, and every token-long segment or value. */
function urlSecretParts(url: string): string[] {
  const parts = [url];
  try {
    const parsed = new URL(url);
    const pathAndQuery = `${parsed.pathname}${parsed.search}`;
    if (pathAndQuery.length >= URL_TOKEN_MIN_CHARS) parts.push(pathAndQuery);
    if (parsed.search.length > URL_TOKEN_MIN_CHARS) parts.push(parsed.search.slice(1));
    for (const segment of parsed.pathname.split('/'))
      if (segment.length >= URL_TOKEN_MIN_CHARS) parts.push(decodeURIComponentSafe(segment));
    for (const [, value] of parsed.searchParams) if (value.length >= URL_TOKEN_MIN_CHARS) parts.push(value);
    if (parsed.password.length > 0) parts.push(decodeURIComponentSafe(parsed.password));
  } catch {
    // Not a URL after all: the whole string is the secret.
  }
  return parts;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Registers configured secrets (strings) and secret URLs (`{ url }`, cut into their token parts). */
export function registerSecrets(values: Iterable<string | { url: string } | null | undefined>): void {
  const before = configuredSecrets.size;
  for (const value of values) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'string') addSecret(configuredSecrets, value);
    else for (const part of urlSecretParts(value.url)) addSecret(configuredSecrets, part);
  }
  if (configuredSecrets.size !== before) compiled = null;
}

/** Registers a secret obtained while running (an access token); only the latest few are kept. */
export function registerRuntimeSecret(value: string): void {
  const trimmed = value.trim();
  if (trimmed.length < SECRET_MIN_CHARS || runtimeSecrets.includes(trimmed)) return;
  runtimeSecrets.push(trimmed);
  if (runtimeSecrets.length > RUNTIME_SECRETS_KEPT) runtimeSecrets.shift();
  compiled = null;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** How a secret reads once encoded for a URL, a form or a JSON string (one level deep). */
function encodedVariants(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  return [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    json,
    json.replace(/\//g, '\\/'),
    json.replace(/\//g, '\\u002f'),
  ];
}

/** The forms of a secret a server may echo as text (matched in any case), up to two encodings deep. */
function textForms(secret: string): string[] {
  return encodedVariants(secret).flatMap((variant) => [
    variant,
    encodeURIComponent(variant),
    new URLSearchParams({ s: variant }).toString().slice(2),
  ]);
}

/**
 * The parts of base64 encodings of any text that holds the secret (or its URL or form encoding):
 * for each of the three byte alignments, the characters that depend on the secret's bytes alone,
 * in standard and URL-safe base64.
 */
function base64Forms(secret: string): string[] {
  const forms: string[] = [];
  for (const variant of encodedVariants(secret).slice(0, 3)) {
    const bytes = Buffer.from(variant, 'utf8');
    for (let offset = 0; offset < 3; offset++) {
      const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
      const stable = encoded.slice(offset === 0 ? 0 : 4, Math.floor((offset + bytes.length) / 3) * 4);
      if (stable.length < BASE64_MIN_CHARS) continue;
      forms.push(stable, stable.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return forms;
}

function alternation(forms: Iterable<string>, flags: string): RegExp | null {
  const unique = [...new Set(forms)].filter((f) => f.length > 0).sort((a, b) => b.length - a.length);
  return unique.length === 0 ? null : new RegExp(unique.map(escapeRegExp).join('|'), flags);
}

function compile(): NonNullable<typeof compiled> {
  const secrets = [...configuredSecrets, ...runtimeSecrets];
  compiled = {
    text: alternation(secrets.flatMap(textForms), 'gi'),
    base64: alternation(secrets.flatMap(base64Forms), 'g'),
  };
  return compiled;
}

/** Every registered secret, in every echoed form, replaced by `[redacted]`. */
export function scrubSecrets(text: string): string {
  const { text: plain, base64 } = compiled ?? compile();
  let out = plain === null ? text : text.replace(plain, REDACTED);
  if (base64 !== null) out = out.replace(base64, REDACTED);
  return out;
}

/** What an error says, as text that is safe to print, store, log and send. */
export function errorText(error: unknown): string {
  return scrubText(error instanceof Error ? error.message : String(error));
}

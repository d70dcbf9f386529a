/**
 * Who may read the web view. The pages carry personal data, so a view reachable from other hosts
 * must authenticate: HTTP Basic against bcrypt hashes from UI_BASIC_AUTH_FILE, or a header that a
 * trusted reverse proxy sets after its own login (UI_TRUST_HEADER). Checking requests is web/auth.ts.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { type ConfigReader, isLoopback, unreadablePath } from './reader.js';

/** The server's own zone, UI_TIMEZONE's default. */
const serverTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** UI_TIMEZONE when set: an IANA zone name the runtime knows (Intl throws a RangeError on any other). */
function readUiTimeZone(zone: string, r: Pick<ConfigReader, 'problems'>): string {
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    r.problems.push(`UI_TIMEZONE must be an IANA time zone such as Europe/Paris or UTC, got "${zone}"`);
    return serverTimeZone();
  }
}

export interface BasicAuthEntry {
  user: string;
  hash: string;
}

export type UiAuth =
  | { kind: 'none' }
  | { kind: 'basic'; entries: readonly BasicAuthEntry[] }
  /**
   * `trustedProxies`: addresses and CIDRs (UI_TRUSTED_PROXIES) whose requests alone may carry the
   * header; empty means loopback clients only.
   */
  | { kind: 'header'; header: string; trustedProxies: readonly string[] };

const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
/** Below this bcrypt cost a stolen hash file is cheap to crack, and verifying is fast enough to time. */
export const MIN_BCRYPT_COST = 10;
const HTPASSWD_HINT = '`htpasswd -nbB -C 12 user password`';

/** The bcrypt cost of a hash (`$2b$12$…` → 12). */
export function bcryptCost(hash: string): number {
  return Number(BCRYPT.exec(hash)?.[1] ?? 0);
}

/**
 * Headers a client or any proxy sets for its own reasons: never an identity. Accepting one (Host
 * above all) would let anyone name themselves.
 */
const STANDARD_HEADERS = new Set(
  [
    'accept',
    'accept-charset',
    'accept-encoding',
    'accept-language',
    'authorization',
    'cache-control',
    'connection',
    'content-length',
    'content-type',
    'cookie',
    'date',
    'expect',
    'forwarded',
    'from',
    'host',
    'if-match',
    'if-modified-since',
    'if-none-match',
    'if-range',
    'if-unmodified-since',
    'keep-alive',
    'origin',
    'pragma',
    'proxy-authorization',
    'range',
    'referer',
    'te',
    'trailer',
    'transfer-encoding',
    'upgrade',
    'user-agent',
    'via',
    'x-forwarded-for',
    'x-forwarded-host',
    'x-forwarded-port',
    'x-forwarded-proto',
    'x-real-ip',
  ].map((h) => h.toLowerCase()),
);

/**
 * Parses an htpasswd-style file: `user:hash` per line, `#` comments. Problems name the line,
 * never the hash.
 */
export function parseBasicAuthFile(content: string): { entries: BasicAuthEntry[]; problems: string[] } {
  const entries: BasicAuthEntry[] = [];
  const problems: string[] = [];
  content.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const user = colon > 0 ? line.slice(0, colon) : '';
    const hash = colon > 0 ? line.slice(colon + 1) : '';
    if (user === '' || !BCRYPT.test(hash)) {
      problems.push(
        `line ${index + 1} must be "user:<bcrypt hash>" (such as the output of ${HTPASSWD_HINT})`,
      );
      return;
    }
    if (bcryptCost(hash) < MIN_BCRYPT_COST) {
      problems.push(
        `line ${index + 1}: user "${user}" has a bcrypt hash of cost ${bcryptCost(hash)}; use cost ${MIN_BCRYPT_COST} or more (${HTPASSWD_HINT})`,
      );
      return;
    }
    if (entries.some((e) => e.user === user))
      problems.push(`line ${index + 1}: user "${user}" appears twice`);
    else entries.push({ user, hash });
  });
  if (entries.length === 0 && problems.length === 0) problems.push('the file names no user');
  return { entries, problems };
}

/** Why serving the view on `host` with `auth` is refused, or null when it is allowed. */
export function refuseExposure(host: string, auth: UiAuth): string | null {
  if (isLoopback(host)) return null;
  if (auth.kind === 'header' && auth.trustedProxies.length === 0)
    return `UI_TRUST_HEADER would let any client on the network name itself by sending ${auth.header}: set UI_TRUSTED_PROXIES to the reverse proxy's addresses or CIDRs (only their requests may carry the header), or bind to 127.0.0.1`;
  if (auth.kind !== 'none') return null;
  return `the web view would serve personal data on ${host}, which is not a loopback address, without authentication: set UI_BASIC_AUTH_FILE (bcrypt hashes) or UI_TRUST_HEADER (behind a trusted reverse proxy), or bind to 127.0.0.1`;
}

/** `10.0.0.5`, `10.0.0.0/8`, `fd00::/8`: the address part an IP, the prefix in range for its family. */
export function parseAddressOrCidr(value: string): { address: string; prefix: number; family: 4 | 6 } | null {
  const [address = '', prefixText, extra] = value.split('/');
  const family = isIP(address);
  if (extra !== undefined || family === 0) return null;
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) return null;
  return { address, prefix, family: family as 4 | 6 };
}

function readTrustedProxies(r: Pick<ConfigReader, 'raw' | 'problems'>): string[] {
  const raw = r.raw('UI_TRUSTED_PROXIES');
  if (raw === undefined) return [];
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const bad = entries.filter((e) => parseAddressOrCidr(e) === null);
  if (bad.length > 0)
    r.problems.push(
      `UI_TRUSTED_PROXIES must be comma-separated IP addresses or CIDRs (such as 10.0.0.5,10.1.0.0/16), got "${bad.join(', ')}"`,
    );
  return entries.filter((e) => parseAddressOrCidr(e) !== null);
}

/** The read-only web view under /ui on the HTTP server. */
export interface UiConfig {
  enabled: boolean;
  auth: UiAuth;
  /** The zone pages show times in (UI_TIMEZONE, default the server's). */
  timeZone: string;
}

export function readUiConfig(r: ConfigReader): UiConfig {
  const enabled = r.boolean('UI_ENABLED', false);
  const auth = readUiAuth(r);
  const zone = r.raw('UI_TIMEZONE');
  if (zone !== undefined) return { enabled, auth, timeZone: readUiTimeZone(zone, r) };
  // The server's zone is asked of Intl on first read: its time-zone set-up is ~60 ms of every
  // command, and only the web view reads it (issue 21, docs/benchmarks.md).
  let server: string | undefined;
  return {
    enabled,
    auth,
    get timeZone() {
      server ??= serverTimeZone();
      return server;
    },
  };
}

/** UI_BASIC_AUTH_FILE (htpasswd-style bcrypt lines) or UI_TRUST_HEADER; both at once is ambiguous. */
function readUiAuth(r: Pick<ConfigReader, 'raw' | 'problems'>): UiAuth {
  const file = r.raw('UI_BASIC_AUTH_FILE');
  const header = r.raw('UI_TRUST_HEADER');
  if (file !== undefined && header !== undefined) {
    r.problems.push('UI_BASIC_AUTH_FILE and UI_TRUST_HEADER are both set: set only one');
    return { kind: 'none' };
  }
  if (header !== undefined) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(header)) {
      r.problems.push(
        `UI_TRUST_HEADER must be an HTTP header name such as X-Forwarded-User, got "${header}"`,
      );
      return { kind: 'none' };
    }
    if (STANDARD_HEADERS.has(header.toLowerCase())) {
      r.problems.push(
        `UI_TRUST_HEADER must be a header only your reverse proxy sets (such as X-Forwarded-User), not ${header}: clients send that one themselves`,
      );
      return { kind: 'none' };
    }
    const trustedProxies = readTrustedProxies(r);
    return { kind: 'header', header, trustedProxies };
  }
  if (r.raw('UI_TRUSTED_PROXIES') !== undefined)
    r.problems.push(
      'UI_TRUSTED_PROXIES is set but UI_TRUST_HEADER is not: it only says who may send that header',
    );
  if (file === undefined) return { kind: 'none' };
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    r.problems.push(
      `UI_BASIC_AUTH_FILE: cannot read ${unreadablePath(file)} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
    return { kind: 'none' };
  }
  const parsed = parseBasicAuthFile(content);
  for (const problem of parsed.problems) r.problems.push(`UI_BASIC_AUTH_FILE (${file}): ${problem}`);
  return parsed.problems.length > 0 ? { kind: 'none' } : { kind: 'basic', entries: parsed.entries };
}

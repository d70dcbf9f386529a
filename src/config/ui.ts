/**
 * Who may read the web view. The pages carry personal data, so a view reachable from other hosts
 * must authenticate: HTTP Basic against bcrypt hashes from UI_BASIC_AUTH_FILE, or a header that a
 * trusted reverse proxy sets after its own login (UI_TRUST_HEADER). Checking requests is web/auth.ts.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConfigReader } from './reader.js';

/** The server's own zone, UI_TIMEZONE's default. */
const serverTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** UI_TIMEZONE: an IANA zone name the runtime knows (Intl throws a RangeError on any other). */
function readUiTimeZone(r: Pick<ConfigReader, 'raw' | 'problems'>): string {
  const zone = r.raw('UI_TIMEZONE');
  if (zone === undefined) return serverTimeZone();
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
  | { kind: 'header'; header: string };

const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

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
        `line ${index + 1} must be "user:<bcrypt hash>" (such as the output of \`htpasswd -nbB user password\`)`,
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

/** Whether only this machine can reach a server bound to `host`. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/** Why serving the view on `host` with `auth` is refused, or null when it is allowed. */
export function refuseExposure(host: string, auth: UiAuth): string | null {
  if (auth.kind !== 'none' || isLoopbackHost(host)) return null;
  return `the web view would serve personal data on ${host}, which is not a loopback address, without authentication: set UI_BASIC_AUTH_FILE (bcrypt hashes) or UI_TRUST_HEADER (behind a trusted reverse proxy), or bind to 127.0.0.1`;
}

/** The read-only web view under /ui on the HTTP server. */
export interface UiConfig {
  enabled: boolean;
  auth: UiAuth;
  /** The zone pages show times in (UI_TIMEZONE, default the server's). */
  timeZone: string;
}

export function readUiConfig(r: ConfigReader): UiConfig {
  return { enabled: r.boolean('UI_ENABLED', false), auth: readUiAuth(r), timeZone: readUiTimeZone(r) };
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
    return { kind: 'header', header };
  }
  if (file === undefined) return { kind: 'none' };
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    r.problems.push(
      `UI_BASIC_AUTH_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
    return { kind: 'none' };
  }
  const parsed = parseBasicAuthFile(content);
  for (const problem of parsed.problems) r.problems.push(`UI_BASIC_AUTH_FILE (${file}): ${problem}`);
  return parsed.problems.length > 0 ? { kind: 'none' } : { kind: 'basic', entries: parsed.entries };
}

/**
 * Who may read the view. The pages carry personal data, so a view reachable from other hosts must
 * authenticate: HTTP Basic against bcrypt hashes from UI_BASIC_AUTH_FILE, or a header that a
 * trusted reverse proxy sets after its own login (UI_TRUST_HEADER).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import bcrypt from 'bcryptjs';

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

export type AuthResult = { ok: true; user: string | null } | { ok: false; challenge: boolean };

const VERIFIED_TTL_MS = 5 * 60_000;
// Compared against when the user is unknown, so a wrong user takes as long as a wrong password.
const DUMMY_HASH = '$2b$10$pioqVem0BK3AdNA4aqIWOOCWGhvMqLVKpt0xodXqRN7wXHGl0ex6K';

/** Checks a request's credentials; bcrypt is slow on purpose, so good ones are remembered briefly. */
export function createAuthorizer(auth: UiAuth, nowMs: () => number = Date.now) {
  const verified = new Map<string, number>();
  return async (headers: Record<string, string | string[] | undefined>): Promise<AuthResult> => {
    if (auth.kind === 'none') return { ok: true, user: null };
    if (auth.kind === 'header') {
      const value = headers[auth.header.toLowerCase()];
      const user = Array.isArray(value) ? value[0] : value;
      return user !== undefined && user.trim() !== ''
        ? { ok: true, user: user.trim() }
        : { ok: false, challenge: false };
    }
    const header = headers.authorization;
    const match = typeof header === 'string' ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header) : null;
    if (match === null) return { ok: false, challenge: true };
    const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { ok: false, challenge: true };
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const cacheKey = createHash('sha256').update(`${user}\u0000${password}`).digest('hex');
    const until = verified.get(cacheKey);
    if (until !== undefined && until > nowMs()) return { ok: true, user };
    const entry = auth.entries.find((e) => safeEqual(e.user, user));
    const ok = await bcrypt.compare(password, (entry?.hash ?? DUMMY_HASH).replace(/^\$2y\$/, '$2b$'));
    if (!ok || entry === undefined) return { ok: false, challenge: true };
    verified.set(cacheKey, nowMs() + VERIFIED_TTL_MS);
    return { ok: true, user };
  };
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

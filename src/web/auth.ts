/**
 * Who may read the view. The pages carry personal data, so a view reachable from other hosts must
 * authenticate: HTTP Basic against bcrypt hashes from UI_BASIC_AUTH_FILE, or a header that a
 * trusted reverse proxy sets after its own login (UI_TRUST_HEADER).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { UiAuth } from '../config/ui.js';

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

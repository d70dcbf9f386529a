/**
 * The collector every config reader writes into: values come from an env-like record (plus
 * *_FILE secrets), and every problem is collected so loadConfig reports them all at once, one line
 * each, naming the variable and the expected form, and never echoing a secret's value.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseDurationList } from '../parse/duration.js';
import { redactUrl } from '../redact.js';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * How a problem names the file a `*_FILE` variable gave, when the file cannot be read: the path
 * itself only if it looks like one. People often put the secret in the variable instead of a path
 * to it (Google's key JSON, a PEM key, an API key), and a message quoting it would leak it.
 */
export function unreadablePath(path: string): string {
  const pathLike =
    path.length <= 512 && /^[\w./~ -]+$/.test(path) && (path.includes('/') || /\.\w{1,8}$/.test(path));
  return pathLike
    ? path
    : `the file it names (the value, ${path.length} characters, is not shown: it does not look like a path; is it the secret itself?)`;
}

/**
 * This machine: `localhost`, an IPv4 address in 127.0.0.0/8, or ::1 (a URL's hostname, brackets and
 * all, or a bind address). Only an address is tested for 127/8: `127.0.0.1.example.com` is a name
 * anyone can point anywhere, and so is `*.localhost` for resolvers that do not special-case it.
 */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/**
 * The host (and port) of a `protocol` URL (`http:`, `ldap:`: the unencrypted ones) to anything but
 * this machine: what it carries crosses the network in clear. Null for another protocol, this
 * machine, or a URL that does not parse (reported where it is read).
 */
export function plainRemoteHost(url: string, protocol: 'http:' | 'ldap:'): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === protocol && !isLoopback(parsed.hostname) ? parsed.host : null;
  } catch {
    return null;
  }
}

/** Collects every problem; loadConfig throws them together as a ConfigError (src/errors.ts). */
export class ConfigReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  /** A secret from NAME or from the file named by NAME_FILE; never echoed back. */
  secret(name: string, required: boolean): string | undefined {
    const direct = this.raw(name);
    const file = this.raw(`${name}_FILE`);
    if (direct !== undefined && file !== undefined) {
      this.problems.push(`${name} and ${name}_FILE are both set: set only one`);
      return undefined;
    }
    if (file !== undefined) return this.readSecretFile(`${name}_FILE`, file);
    if (direct === undefined && required) {
      this.problems.push(`${name} is required (or ${name}_FILE, a file holding it)`);
    }
    return direct;
  }

  readSecretFile(label: string, path: string): string | undefined {
    try {
      const value = readFileSync(path, 'utf8').trim();
      if (value === '') this.problems.push(`${label}: the file ${path} is empty`);
      return value === '' ? undefined : value;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      this.problems.push(`${label}: cannot read ${unreadablePath(path)} (${code})`);
      return undefined;
    }
  }

  number(name: string, fallback: number, opts: { min: number; max: number; integer: boolean }): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    const kind = opts.integer ? 'a whole number' : 'a number';
    if (
      !Number.isFinite(parsed) ||
      (opts.integer && !Number.isInteger(parsed)) ||
      parsed < opts.min ||
      parsed > opts.max
    ) {
      this.problems.push(`${name} must be ${kind} from ${opts.min} to ${opts.max}, got "${value}"`);
      return fallback;
    }
    return parsed;
  }

  /** One duration such as `24h` (units ms, s, m, h, d) within a range; `range` names it for people ("1m to 7d"). */
  duration(
    name: string,
    fallbackMs: number,
    opts: { minMs: number; maxMs: number; range: string; examples: string },
  ): number {
    const text = this.raw(name);
    if (text === undefined) return fallbackMs;
    const parsed = text.includes(',') ? 'list' : parseDurationList(text);
    const ms = typeof parsed === 'string' ? undefined : parsed[0];
    if (ms === undefined || ms < opts.minMs || ms > opts.maxMs) {
      this.problems.push(
        `${name} must be one duration from ${opts.range} such as ${opts.examples} (units ms, s, m, h, d), got "${text}"`,
      );
      return fallbackMs;
    }
    return ms;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
      return fallback;
    }
    return value as T;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${name} must be true or false, got "${value}"`);
    return fallback;
  }

  /**
   * Validates an http(s) URL. Paths and queries may carry tokens (Slack's always do), so a problem
   * shows at most the scheme and host of what was given, and a `secretish` URL nothing at all.
   */
  url(label: string, value: string, secretish: boolean): string | undefined {
    try {
      const url = new URL(value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
      return value;
    } catch {
      // What was typed is shown when it cannot hold a credential (no userinfo, query or fragment):
      // "not-a-url" helps; "[url]" does not.
      const shown = /[@?#]/.test(value) ? redactUrl(value) : value.slice(0, 100);
      this.problems.push(`${label} must be an http:// or https:// URL${secretish ? '' : `, got "${shown}"`}`);
      return undefined;
    }
  }

  /**
   * A URL that credentials are sent to (`carries`): https://, or plain http:// to this machine only
   * (the simulator and the tests). The problem names the host, never the whole URL.
   */
  credentialUrl(label: string, value: string, carries: string): string | undefined {
    const url = this.url(label, value, false);
    if (url === undefined) return undefined;
    const { protocol, hostname, host } = new URL(url);
    if (protocol === 'https:' || isLoopback(hostname)) return url;
    this.problems.push(
      `${label} must be an https:// URL: ${carries} would cross the network unencrypted to ${host} (plain http:// is accepted only for this machine: localhost, 127.0.0.1, ::1)`,
    );
    return undefined;
  }
}

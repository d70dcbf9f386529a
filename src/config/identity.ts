/**
 * The identity sources' part of the configuration (see config/reader.ts for the rules: every problem
 * collected, one line each, secrets never echoed). Each source is on when its switch is set:
 * IDENTITY_FILE, LDAP_URL, OKTA_ORG_URL, ENTRA_TENANT_ID, GOOGLE_WORKSPACE_CREDENTIALS_FILE.
 */
import { readFileSync } from 'node:fs';
import { type CronSchedule, parseCronSchedule } from '../parse/cron-schedule.js';
import { readEntraSource } from './identity-entra.js';
import { readFileSource } from './identity-file.js';
import { readGoogleSource } from './identity-google.js';
import { readLdapSource } from './identity-ldap.js';
import { readOktaSource } from './identity-okta.js';
import { keyValuePairs } from './identity-pairs.js';
import type { ConfigReader } from './reader.js';

/**
 * Every identity source's settings reader, by kind, in the order the sources are read, built and
 * synced. Each returns null when its switch is unset. A kind here becomes a field of IdentityConfig
 * and needs a plugin in src/identity/sources-from-config.ts (the typecheck fails until it has one).
 */
export const IDENTITY_SOURCE_READERS = {
  file: readFileSource,
  ldap: readLdapSource,
  okta: readOktaSource,
  entra: readEntraSource,
  google: readGoogleSource,
} satisfies Record<string, (r: ConfigReader) => object | null>;

/** file, ldap, okta, entra, google: the keys of IDENTITY_SOURCE_READERS. */
export type IdentitySourceKind = keyof typeof IDENTITY_SOURCE_READERS;

/** Each source kind's settings, as its reader returns them when the source is on. */
export type IdentitySourceConfigs = {
  [K in IdentitySourceKind]: NonNullable<ReturnType<(typeof IDENTITY_SOURCE_READERS)[K]>>;
};

/** Each source's settings, or null when it is off. */
export type IdentitySourceSettings = { [K in IdentitySourceKind]: IdentitySourceConfigs[K] | null };

export interface IdentityConfig extends IdentitySourceSettings {
  /** null when IDENTITY_SCHEDULE=off or no source is configured. */
  schedule: CronSchedule | null;
  matchRule: 'none' | 'local-part';
  /** Lower-cased VictorOps username → an email of their identity. */
  explicit: Record<string, string>;
  exemptions: { pattern: string; reason: string }[];
  timeoutMs: number;
}

interface MappingFile {
  map: Record<string, string>;
  exempt: { pattern: string; reason: string }[];
}

function readMappingFile(r: ConfigReader): MappingFile {
  const path = r.raw('IDENTITY_MAPPING_FILE');
  const empty: MappingFile = { map: {}, exempt: [] };
  if (path === undefined) return empty;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason =
      error instanceof SyntaxError
        ? 'not valid JSON'
        : ((error as NodeJS.ErrnoException).code ?? 'unreadable');
    r.problems.push(`IDENTITY_MAPPING_FILE: cannot read ${path} (${reason})`);
    return empty;
  }
  const bad = (what: string) => {
    r.problems.push(
      `IDENTITY_MAPPING_FILE (${path}): ${what}; expected {"map": {"username": "email"}, "exempt": [{"pattern": "svc-*", "reason": "..."}]}`,
    );
    return empty;
  };
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return bad('not an object');
  const { map = {}, exempt = [] } = parsed as { map?: unknown; exempt?: unknown };
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return bad('"map" is not an object');
  const out: MappingFile = { map: {}, exempt: [] };
  for (const [username, email] of Object.entries(map)) {
    if (typeof email !== 'string' || !email.includes('@'))
      return bad(`map.${username} is not an email address`);
    out.map[username.toLowerCase()] = email;
  }
  if (!Array.isArray(exempt)) return bad('"exempt" is not an array');
  for (const [i, e] of exempt.entries()) {
    const { pattern, reason } = (e ?? {}) as { pattern?: unknown; reason?: unknown };
    if (typeof pattern !== 'string' || pattern === '' || typeof reason !== 'string' || reason.trim() === '')
      return bad(`exempt[${i}] needs a non-empty "pattern" and "reason"`);
    out.exempt.push({ pattern, reason });
  }
  return out;
}

function readSourceSettings(r: ConfigReader): IdentitySourceSettings {
  const settings: Partial<Record<IdentitySourceKind, object | null>> = {};
  for (const kind of Object.keys(IDENTITY_SOURCE_READERS) as IdentitySourceKind[]) {
    settings[kind] = IDENTITY_SOURCE_READERS[kind](r);
  }
  return settings as IdentitySourceSettings;
}

export function readIdentityConfig(r: ConfigReader): IdentityConfig {
  const mapping = readMappingFile(r);
  const exemptions = [...mapping.exempt];
  for (const [pattern, reason] of keyValuePairs(r, 'IDENTITY_EXEMPT', r.string('IDENTITY_EXEMPT', ''), ';') ??
    []) {
    exemptions.push({ pattern, reason });
  }
  const sources = readSourceSettings(r);
  const scheduleText = r.string('IDENTITY_SCHEDULE', '*/30 * * * *');
  const schedule = scheduleText === 'off' ? null : parseCronSchedule(scheduleText);
  if (typeof schedule === 'string') r.problems.push(`IDENTITY_SCHEDULE ${schedule} (or "off")`);
  const anySource = Object.values(sources).some((settings) => settings !== null);
  return {
    schedule: typeof schedule === 'string' || !anySource ? null : schedule,
    matchRule: r.oneOf('IDENTITY_MATCH_RULE', ['none', 'local-part'] as const, 'none'),
    explicit: mapping.map,
    exemptions,
    timeoutMs: r.number('IDENTITY_TIMEOUT_MS', 30_000, { min: 100, max: 600_000, integer: true }),
    ...sources,
  };
}

/**
 * The identity sources' part of the configuration (see config/reader.ts for the rules: every problem
 * collected, one line each, secrets never echoed). Each source is on when its switch is set:
 * IDENTITY_FILE, LDAP_URL, OKTA_ORG_URL, ENTRA_TENANT_ID.
 */
import { readFileSync } from 'node:fs';
import { type CronSchedule, parseCronSchedule } from '../parse/cron-schedule.js';
import { type EntraSourceConfig, readEntraSource } from './identity-entra.js';
import { type FileSourceConfig, readFileSource } from './identity-file.js';
import { type LdapSourceConfig, readLdapSource } from './identity-ldap.js';
import { type OktaSourceConfig, readOktaSource } from './identity-okta.js';
import { keyValuePairs } from './identity-pairs.js';
import type { ConfigReader } from './reader.js';

export interface IdentityConfig {
  /** null when IDENTITY_SCHEDULE=off or no source is configured. */
  schedule: CronSchedule | null;
  matchRule: 'none' | 'local-part';
  /** Lower-cased VictorOps username → an email of their identity. */
  explicit: Record<string, string>;
  exemptions: { pattern: string; reason: string }[];
  timeoutMs: number;
  file: FileSourceConfig | null;
  ldap: LdapSourceConfig | null;
  okta: OktaSourceConfig | null;
  entra: EntraSourceConfig | null;
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

export function readIdentityConfig(r: ConfigReader): IdentityConfig {
  const mapping = readMappingFile(r);
  const exemptions = [...mapping.exempt];
  for (const [pattern, reason] of keyValuePairs(r, 'IDENTITY_EXEMPT', r.string('IDENTITY_EXEMPT', ''), ';') ??
    []) {
    exemptions.push({ pattern, reason });
  }
  const file = readFileSource(r);
  const ldap = readLdapSource(r);
  const okta = readOktaSource(r);
  const entra = readEntraSource(r);
  const scheduleText = r.string('IDENTITY_SCHEDULE', '*/30 * * * *');
  const schedule = scheduleText === 'off' ? null : parseCronSchedule(scheduleText);
  if (typeof schedule === 'string') r.problems.push(`IDENTITY_SCHEDULE ${schedule} (or "off")`);
  const anySource = file !== null || ldap !== null || okta !== null || entra !== null;
  return {
    schedule: typeof schedule === 'string' || !anySource ? null : schedule,
    matchRule: r.oneOf('IDENTITY_MATCH_RULE', ['none', 'local-part'] as const, 'none'),
    explicit: mapping.map,
    exemptions,
    timeoutMs: r.number('IDENTITY_TIMEOUT_MS', 30_000, { min: 100, max: 600_000, integer: true }),
    file,
    ldap,
    okta,
    entra,
  };
}

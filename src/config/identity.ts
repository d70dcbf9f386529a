/**
 * The identity sources' part of the configuration (see config/reader.ts for the rules: every problem
 * collected, one line each, secrets never echoed). Each source is on when its switch is set:
 * IDENTITY_FILE, LDAP_URL, OKTA_ORG_URL, ENTRA_TENANT_ID.
 */
import { readFileSync } from 'node:fs';
import { type CronSchedule, parseCronSchedule } from '../parse/cron-schedule.js';
import type { DateOrder } from '../parse/status-date.js';
import type { ConfigReader } from './reader.js';

export type IdentityStatusMeaning = 'active' | 'inactive';

export interface FileSourceConfig {
  path: string;
  format: 'csv' | 'jsonl';
  /** Our field → the column (CSV header) or JSON key holding it. */
  columns: {
    email: string;
    name: string;
    status: string;
    emails: string;
    id: string;
    statusChangedAt: string;
  };
  /** Lower-cased status value → what it means; values not listed are reported as unknown. */
  statusMap: Record<string, IdentityStatusMeaning>;
  /** How often the daemon checks the file for a change that triggers a sync; 0 = only on schedule. */
  watchMs: number;
  /** A larger file fails the source instead of being read (IDENTITY_FILE_MAX_BYTES). */
  maxBytes: number;
  /** IDENTITY_FILE_COLUMNS names the status column, so a file without it fails the source. */
  statusColumnConfigured: boolean;
  /** How `01.12.2026` and `12/01/2026` are read (IDENTITY_DATE_ORDER). */
  dateOrder: DateOrder;
}

export interface LdapSourceConfig {
  url: string;
  bindDn: string | null;
  bindPassword: string | null;
  baseDn: string;
  filter: string;
  startTls: boolean;
  caFile: string | null;
  pageSize: number;
  attributes: { mail: string; otherMails: string[]; name: string; id: string };
  /** How a disabled account shows: AD's userAccountControl bit 0x2, an attribute's value, or not at all. */
  disabledBy: 'userAccountControl' | 'attribute' | 'none';
  statusAttribute: string;
  /** Lower-cased values of statusAttribute that mean the account is inactive. */
  inactiveValues: string[];
}

export interface OktaSourceConfig {
  orgUrl: string;
  apiToken: string;
  pageLimit: number;
}

export interface EntraSourceConfig {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityUrl: string;
  graphUrl: string;
}

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

/** The columns an export is read by unless IDENTITY_FILE_COLUMNS renames them. */
export const DEFAULT_FILE_COLUMNS: Readonly<FileSourceConfig['columns']> = {
  email: 'email',
  name: 'name',
  status: 'status',
  emails: 'emails',
  id: 'id',
  statusChangedAt: 'status_changed_at',
};

/**
 * 16 MiB: about 165,000 people in a typical export, whose parsed identities take about 110 MB of
 * heap, well inside the image's 256 MB (docs/benchmarks.md has the measurement; 32 MiB took 210 MB).
 */
export const DEFAULT_IDENTITY_FILE_MAX_BYTES = 16 * 1024 * 1024;

export const DEFAULT_STATUS_MAP: Record<string, IdentityStatusMeaning> = {
  active: 'active',
  suspended: 'inactive',
  deprovisioned: 'inactive',
  terminated: 'inactive',
  disabled: 'inactive',
  inactive: 'inactive',
};

/** "a=b,c=d" → [["a","b"],["c","d"]], or a problem. */
function pairs(r: ConfigReader, name: string, text: string, separator = ','): [string, string][] | null {
  const out: [string, string][] = [];
  for (const part of text.split(separator)) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1) {
      r.problems.push(
        `${name} must be a list of key=value pairs separated by "${separator}", got "${part.trim()}"`,
      );
      return null;
    }
    out.push([part.slice(0, eq).trim(), part.slice(eq + 1).trim()]);
  }
  return out;
}

function readFileSource(r: ConfigReader): FileSourceConfig | null {
  const path = r.raw('IDENTITY_FILE');
  if (path === undefined) return null;
  const format = r.oneOf(
    'IDENTITY_FILE_FORMAT',
    ['csv', 'jsonl'] as const,
    path.endsWith('.jsonl') ? 'jsonl' : 'csv',
  );
  const columns = { ...DEFAULT_FILE_COLUMNS };
  let statusColumnConfigured = false;
  const known: Record<string, keyof typeof columns> = {
    email: 'email',
    name: 'name',
    status: 'status',
    emails: 'emails',
    id: 'id',
    status_changed_at: 'statusChangedAt',
  };
  for (const [field, column] of pairs(r, 'IDENTITY_FILE_COLUMNS', r.string('IDENTITY_FILE_COLUMNS', '')) ??
    []) {
    const key = known[field];
    if (key === undefined)
      r.problems.push(
        `IDENTITY_FILE_COLUMNS: unknown field "${field}" (use ${Object.keys(known).join(', ')})`,
      );
    else {
      columns[key] = column;
      if (key === 'status') statusColumnConfigured = true;
    }
  }
  const statusMap = { ...DEFAULT_STATUS_MAP };
  for (const [value, meaning] of pairs(
    r,
    'IDENTITY_FILE_STATUS_MAP',
    r.string('IDENTITY_FILE_STATUS_MAP', ''),
  ) ?? []) {
    const m = meaning.toLowerCase();
    if (m !== 'active' && m !== 'inactive')
      r.problems.push(
        `IDENTITY_FILE_STATUS_MAP: "${value}" must map to active or inactive, got "${meaning}"`,
      );
    else statusMap[value.toLowerCase()] = m;
  }
  const watchMs = r.number('IDENTITY_FILE_WATCH_MS', 5_000, { min: 0, max: 3_600_000, integer: true });
  const maxBytes = r.number('IDENTITY_FILE_MAX_BYTES', DEFAULT_IDENTITY_FILE_MAX_BYTES, {
    min: 1,
    max: 2 ** 31,
    integer: true,
  });
  const dateOrder = r.oneOf('IDENTITY_DATE_ORDER', ['day-first', 'month-first'] as const, 'day-first');
  return { path, format, columns, statusMap, watchMs, maxBytes, statusColumnConfigured, dateOrder };
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function readLdapSource(r: ConfigReader): LdapSourceConfig | null {
  const url = r.raw('LDAP_URL');
  if (url === undefined) return null;
  if (!/^ldaps?:\/\/[^/]+/.test(url))
    r.problems.push(`LDAP_URL must be an ldap:// or ldaps:// URL, got "${url}"`);
  const baseDn = r.raw('LDAP_BASE_DN');
  if (baseDn === undefined)
    r.problems.push('LDAP_BASE_DN is required when LDAP_URL is set (e.g. dc=example,dc=com)');
  const bindDn = r.raw('LDAP_BIND_DN') ?? null;
  const bindPassword = r.secret('LDAP_BIND_PASSWORD', bindDn !== null) ?? null;
  const startTls = r.boolean('LDAP_STARTTLS', false);
  if (startTls && url.startsWith('ldaps:'))
    r.problems.push('LDAP_STARTTLS applies to ldap:// URLs; ldaps:// is already TLS');
  return {
    url,
    bindDn,
    bindPassword,
    baseDn: baseDn ?? '',
    filter: r.string('LDAP_FILTER', '(&(objectClass=person)(mail=*))'),
    startTls,
    caFile: r.raw('LDAP_CA_FILE') ?? null,
    pageSize: r.number('LDAP_PAGE_SIZE', 500, { min: 1, max: 10_000, integer: true }),
    attributes: {
      mail: r.string('LDAP_ATTR_MAIL', 'mail'),
      otherMails: list(r.string('LDAP_ATTR_OTHER_MAILS', 'proxyAddresses,otherMailbox')),
      name: r.string('LDAP_ATTR_NAME', 'displayName'),
      id: r.string('LDAP_ATTR_ID', 'dn'),
    },
    disabledBy: r.oneOf('LDAP_DISABLED_BY', ['userAccountControl', 'attribute', 'none'] as const, 'none'),
    statusAttribute: r.string('LDAP_STATUS_ATTR', 'employeeStatus'),
    inactiveValues: list(r.string('LDAP_INACTIVE_VALUES', 'inactive,disabled,terminated,suspended')).map(
      (v) => v.toLowerCase(),
    ),
  };
}

function readOktaSource(r: ConfigReader): OktaSourceConfig | null {
  const raw = r.raw('OKTA_ORG_URL');
  if (raw === undefined) return null;
  const orgUrl = r.url('OKTA_ORG_URL', raw.replace(/\/+$/, ''), false) ?? raw;
  const apiToken = r.secret('OKTA_API_TOKEN', true) ?? '';
  return {
    orgUrl,
    apiToken,
    pageLimit: r.number('OKTA_PAGE_LIMIT', 200, { min: 1, max: 200, integer: true }),
  };
}

function readEntraSource(r: ConfigReader): EntraSourceConfig | null {
  const tenantId = r.raw('ENTRA_TENANT_ID');
  if (tenantId === undefined) return null;
  const clientId = r.raw('ENTRA_CLIENT_ID');
  if (clientId === undefined)
    r.problems.push('ENTRA_CLIENT_ID is required when ENTRA_TENANT_ID is set (the app registration id)');
  const clientSecret = r.secret('ENTRA_CLIENT_SECRET', true) ?? '';
  const authority = r.string('ENTRA_AUTHORITY_URL', 'https://login.microsoftonline.com').replace(/\/+$/, '');
  const graph = r.string('ENTRA_GRAPH_URL', 'https://graph.microsoft.com').replace(/\/+$/, '');
  return {
    tenantId,
    clientId: clientId ?? '',
    clientSecret,
    authorityUrl: r.url('ENTRA_AUTHORITY_URL', authority, false) ?? authority,
    graphUrl: r.url('ENTRA_GRAPH_URL', graph, false) ?? graph,
  };
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
  for (const [pattern, reason] of pairs(r, 'IDENTITY_EXEMPT', r.string('IDENTITY_EXEMPT', ''), ';') ?? []) {
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

/** The file identity source's configuration (IDENTITY_FILE and its IDENTITY_FILE_* settings). */
import type { DateOrder } from '../parse/status-date.js';
import { keyValuePairs } from './identity-pairs.js';
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

export function readFileSource(r: ConfigReader): FileSourceConfig | null {
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
  for (const [field, column] of keyValuePairs(
    r,
    'IDENTITY_FILE_COLUMNS',
    r.string('IDENTITY_FILE_COLUMNS', ''),
  ) ?? []) {
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
  for (const [value, meaning] of keyValuePairs(
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

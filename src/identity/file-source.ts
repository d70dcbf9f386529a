/**
 * The file source: a CSV (header row) or JSON Lines export from an HR system or IdP report. The
 * file is parsed again only when its size or modification time changed, so a daemon syncing every
 * few minutes against a 100,000-line export does not re-parse an unchanged file.
 */
import { readFile, stat } from 'node:fs/promises';
import type { FileSourceConfig } from '../config/identity.js';
import { IdentitySourceError } from '../errors.js';
import type { Identity } from '../roster/identity-types.js';
import { readCsvRows } from './csv.js';
import { emptyStats, type IdentitySource, uniqueEmails } from './source.js';

type Row = (column: string) => unknown;

function text(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  if (typeof value === 'number') return String(value);
  return null;
}

function extraEmails(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  const t = text(value);
  return t === null ? [] : t.split(/[;,\s]+/);
}

function toIdentity(row: Row, config: FileSourceConfig, hasStatus: boolean, line: number): Identity | null {
  const c = config.columns;
  const emails = uniqueEmails([text(row(c.email)), ...extraEmails(row(c.emails))]);
  if (emails.length === 0) return null;
  const status = hasStatus ? (text(row(c.status)) ?? 'unknown') : 'active';
  const meaning = config.statusMap[status.toLowerCase()];
  return {
    source: 'file',
    id: text(row(c.id)) ?? `line ${line}`,
    emails,
    displayName: text(row(c.name)),
    active: meaning === undefined ? null : meaning === 'active',
    status,
    statusChangedAt: text(row(c.statusChangedAt)),
  };
}

function parseCsvIdentities(content: string, config: FileSourceConfig): Identity[] {
  const rows = readCsvRows(content);
  const first = rows.next();
  if (first.done) throw new Error('the file is empty (a header row is required)');
  const index = new Map(first.value.map((h, i) => [h.trim().toLowerCase(), i]));
  if (!index.has(config.columns.email.toLowerCase()))
    throw new Error(
      `the header has no "${config.columns.email}" column (set IDENTITY_FILE_COLUMNS, e.g. email=Mail)`,
    );
  const hasStatus = index.has(config.columns.status.toLowerCase());
  const out: Identity[] = [];
  let cells: string[] = [];
  const row: Row = (column) => {
    const i = index.get(column.toLowerCase());
    return i === undefined ? undefined : cells[i];
  };
  let line = 1;
  for (cells of rows) {
    line += 1;
    const identity = toIdentity(row, config, hasStatus, line);
    if (identity) out.push(identity);
  }
  return out;
}

function parseJsonLines(content: string, config: FileSourceConfig): Identity[] {
  const out: Identity[] = [];
  const lines = content.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`line ${i + 1} is not valid JSON`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error(`line ${i + 1} is not a JSON object`);
    const record = value as Record<string, unknown>;
    const identity = toIdentity((column) => record[column], config, true, i + 1);
    if (identity) out.push(identity);
  }
  return out;
}

export function parseIdentityFile(content: string, config: FileSourceConfig): Identity[] {
  return config.format === 'jsonl' ? parseJsonLines(content, config) : parseCsvIdentities(content, config);
}

export function createFileSource(config: FileSourceConfig): IdentitySource {
  let cache: { stamp: string; identities: Identity[] } | null = null;
  return {
    name: 'file',
    kind: 'file',
    async read() {
      try {
        const s = await stat(config.path);
        const stamp = `${s.size}:${s.mtimeMs}`;
        if (cache?.stamp !== stamp) {
          // Dropped first, so a re-read never holds the old and the new copy at once.
          cache = null;
          cache = { stamp, identities: parseIdentityFile(await readFile(config.path, 'utf8'), config) };
        }
        return cache.identities;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const why = code ?? (error instanceof Error ? error.message : String(error));
        throw new IdentitySourceError(
          'unreadable',
          `cannot read IDENTITY_FILE ${config.path}: ${why}`,
          code !== undefined,
          {
            cause: error,
          },
        );
      }
    },
    stats: emptyStats,
    async close() {},
  };
}

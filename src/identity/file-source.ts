/**
 * The file source: a CSV (header row) or JSON Lines export from an HR system or IdP report. The
 * file is streamed (never held whole, capped by IDENTITY_FILE_MAX_BYTES) and parsed again only when
 * its size or modification time changed, so a daemon syncing every few minutes against a
 * 100,000-line export does not re-parse an unchanged file.
 */
import { stat } from 'node:fs/promises';
import type { FileSourceConfig } from '../config/identity-file.js';
import { IdentitySourceError } from '../errors.js';
import { parseStatusDate } from '../parse/status-date.js';
import type { ReadSummary } from '../roster/identity-findings.js';
import { canMatch, type IndexWanted, wantsNoMoreThan } from '../roster/identity-match.js';
import type { Identity } from '../roster/identity-types.js';
import { CsvRowReader } from './csv.js';
import { FileTextError, streamFileText } from './file-text.js';
import { KeptCollector } from './kept.js';
import {
  emptyStats,
  type IdentitySource,
  type IdentitySourcePlugin,
  type KeptRead,
  uniqueEmails,
} from './source.js';

type Row = (column: string) => unknown;

/** What one parse of the file found besides the identities. */
export interface FileRead {
  /** Every identity, or with `wanted` only those a user with those keys can match. */
  identities: Identity[];
  /** Of every identity in the file, kept or not. */
  summary: ReadSummary;
  /** Whether the status column (CSV header, or a key of any JSON Lines record) is there. */
  statusColumn: boolean;
}

/**
 * A kept identity whose strings hold no reference to the text they were cut from: V8 keeps a
 * substring of 13 characters or more as a view of its parent, so one kept address would hold its
 * whole 256 KB chunk of the file, and kept rows spread over an export would hold all of it.
 */
function detached(identity: Identity): Identity {
  const copy = (s: string): string => JSON.parse(JSON.stringify(s)) as string;
  return {
    source: identity.source,
    id: copy(identity.id),
    emails: identity.emails.map(copy),
    displayName: identity.displayName === null ? null : copy(identity.displayName),
    active: identity.active,
    status: copy(identity.status),
    statusChangedAt: identity.statusChangedAt === null ? null : copy(identity.statusChangedAt),
  };
}

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

/** An emptied status cell is shown as this: it is a status nobody recognises. */
export const EMPTY_STATUS = '(empty)';

function toIdentity(row: Row, config: FileSourceConfig, hasStatus: boolean, line: number): Identity | null {
  const c = config.columns;
  const emails = uniqueEmails([text(row(c.email)), ...extraEmails(row(c.emails))]);
  if (emails.length === 0) return null;
  const status = hasStatus ? (text(row(c.status)) ?? EMPTY_STATUS) : 'active';
  const meaning = config.statusMap[status.toLowerCase()];
  const changed = text(row(c.statusChangedAt));
  return {
    source: 'file',
    id: text(row(c.id)) ?? `line ${line}`,
    emails,
    displayName: text(row(c.name)),
    active: meaning === undefined ? null : meaning === 'active',
    status,
    statusChangedAt: changed === null ? null : (parseStatusDate(changed, config.dateOrder) ?? changed),
  };
}

function missingStatus(config: FileSourceConfig): Error {
  return new Error(
    `there is no "${config.columns.status}" status column, which IDENTITY_FILE_COLUMNS names: without it nobody's status can be read`,
  );
}

/** A parser fed text chunks; `end` returns what it read. */
interface FileParser {
  push(text: string): void;
  end(): FileRead;
}

function csvParser(config: FileSourceConfig, wanted: IndexWanted | null): FileParser {
  const reader = new CsvRowReader();
  const out = new KeptCollector(wanted, detached);
  let index: Map<string, number> | null = null;
  let hasStatus = false;
  const take = (rows: { cells: string[]; line: number }[]) => {
    for (const { cells, line } of rows) {
      if (index === null) {
        index = header(cells, config);
        hasStatus = index.has(config.columns.status.toLowerCase());
        if (!hasStatus && config.statusColumnConfigured) throw missingStatus(config);
        continue;
      }
      const columns = index;
      const identity = toIdentity(
        (column) => {
          const i = columns.get(column.toLowerCase());
          return i === undefined ? undefined : cells[i];
        },
        config,
        hasStatus,
        line,
      );
      if (identity) out.add(identity);
    }
  };
  return {
    push: (t) => take(reader.push(t)),
    end() {
      take(reader.end());
      if (index === null) throw new Error('the file is empty (a header row is required)');
      return { identities: out.identities, summary: out.tally.summary(), statusColumn: hasStatus };
    },
  };
}

function header(cells: string[], config: FileSourceConfig): Map<string, number> {
  const index = new Map(cells.map((h, i) => [h.trim().toLowerCase(), i]));
  if (index.has(config.columns.email.toLowerCase())) return index;
  const only = cells.length === 1 ? (cells[0] ?? '') : '';
  for (const [separator, name] of [
    [';', 'semicolons'],
    ['\t', 'tabs'],
  ] as const) {
    if (only.split(separator).some((h) => h.trim().toLowerCase() === config.columns.email.toLowerCase()))
      throw new Error(
        `the columns are separated by ${name}, not commas (a spreadsheet's regional setting): export with commas, e.g. Excel's "CSV UTF-8 (Comma delimited)"`,
      );
  }
  throw new Error(
    `the header has no "${config.columns.email}" column (set IDENTITY_FILE_COLUMNS, e.g. email=Mail)`,
  );
}

/** A JSON Lines record's field: the key as configured, else the same key in another case (as CSV headers). */
function field(record: Record<string, unknown>, column: string): unknown {
  if (Object.hasOwn(record, column)) return record[column];
  const wanted = column.toLowerCase();
  for (const key of Object.keys(record)) if (key.toLowerCase() === wanted) return record[key];
  return undefined;
}

function jsonLinesParser(config: FileSourceConfig, wanted: IndexWanted | null): FileParser {
  const out = new KeptCollector(wanted, detached);
  const pending: { record: Record<string, unknown>; line: number }[] = [];
  let rest = '';
  let line = 0;
  let hasStatus = false;
  const status = config.columns.status;
  const parseLine = (raw: string) => {
    line += 1;
    const l = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (l.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(l);
    } catch {
      throw new Error(`line ${line} is not valid JSON`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error(`line ${line} is not a JSON object`);
    const record = value as Record<string, unknown>;
    // Whether the file has a status field at all is known only once a record has it: until then
    // records wait (without one anywhere the file lists active people, like a CSV without the column).
    if (!hasStatus && field(record, status) !== undefined) {
      hasStatus = true;
      for (const p of pending.splice(0)) add(p.record, p.line);
    }
    if (hasStatus) add(record, line);
    else pending.push({ record, line });
  };
  const add = (record: Record<string, unknown>, at: number) => {
    const identity = toIdentity((column) => field(record, column), config, hasStatus, at);
    if (identity) out.add(identity);
  };
  return {
    push(t) {
      const lines = (rest + t).split(/\r?\n/);
      rest = lines.pop() ?? '';
      for (const l of lines) parseLine(l);
    },
    end() {
      if (rest !== '') parseLine(rest);
      if (!hasStatus && config.statusColumnConfigured && pending.length > 0) throw missingStatus(config);
      for (const p of pending.splice(0)) add(p.record, p.line);
      return { identities: out.identities, summary: out.tally.summary(), statusColumn: hasStatus };
    },
  };
}

function parserFor(config: FileSourceConfig, wanted: IndexWanted | null): FileParser {
  return config.format === 'jsonl' ? jsonLinesParser(config, wanted) : csvParser(config, wanted);
}

/** Parses a whole export held as text (tests, small inputs); with `wanted`, keeps what canMatch. */
export function parseIdentityFileText(
  content: string,
  config: FileSourceConfig,
  wanted: IndexWanted | null = null,
): FileRead {
  const parser = parserFor(config, wanted);
  parser.push(content);
  return parser.end();
}

export function parseIdentityFile(content: string, config: FileSourceConfig): Identity[] {
  return parseIdentityFileText(content, config).identities;
}

/** Streams and parses the file at config.path (of `size` bytes, from stat); `wanted` as above. */
export async function readIdentityFile(
  config: FileSourceConfig,
  size: number,
  wanted: IndexWanted | null = null,
): Promise<FileRead> {
  let parser = parserFor(config, wanted);
  await streamFileText(config.path, size, config.maxBytes, () => {
    // A re-read in another encoding starts over.
    parser = parserFor(config, wanted);
    return (t) => parser.push(t);
  });
  return parser.end();
}

export const fileSource: IdentitySourcePlugin<'file'> = {
  kind: 'file',
  create: (config) => createFileSource(config),
};

/** A parse kept for `wanted` (null: everything) serves a later read that wants no more. */
function covers(kept: IndexWanted | null, wanted: IndexWanted | null): boolean {
  return kept === null || (wanted !== null && wantsNoMoreThan(wanted, kept));
}

export function createFileSource(config: FileSourceConfig): IdentitySource {
  let cache: { stamp: string; wanted: IndexWanted | null; read: FileRead } | null = null;
  const load = async (wanted: IndexWanted | null): Promise<FileRead> => {
    try {
      const s = await stat(config.path);
      const stamp = `${s.size}:${s.mtimeMs}`;
      if (cache?.stamp !== stamp || !covers(cache.wanted, wanted)) {
        // Dropped first, so a re-read never holds the old and the new copy at once.
        cache = null;
        cache = { stamp, wanted, read: await readIdentityFile(config, s.size, wanted) };
      } else if (cache.wanted === null && wanted !== null) {
        // A whole parse (the sync's re-run after a user was recorded mid-read) would otherwise be
        // held until the file changes: cut down to what is wanted, its strings let go of the text.
        const whole = cache.read;
        const identities = whole.identities.filter((i) => canMatch(i, wanted)).map(detached);
        cache = { stamp, wanted, read: { ...whole, identities } };
      }
      return cache.read;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        error instanceof FileTextError || code === undefined
          ? error instanceof Error
            ? error.message
            : String(error)
          : code;
      throw new IdentitySourceError(
        'unreadable',
        `cannot read IDENTITY_FILE ${config.path}: ${why}`,
        code !== undefined,
        {
          cause: error,
        },
      );
    }
  };
  return {
    name: 'file',
    kind: 'file',
    read: async () => (await load(null)).identities,
    async readKept(_signal, wanted): Promise<KeptRead> {
      const read = await load(wanted);
      return { identities: read.identities, summary: read.summary };
    },
    statusColumn: () => cache?.read.statusColumn ?? true,
    stats: emptyStats,
    async close() {},
  };
}

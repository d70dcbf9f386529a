/**
 * The identity file as spreadsheets and HR systems write it (issue 26 items 1, 5, 6, 9, 12; issue
 * 20 items 7 and 14): streamed with a size cap, its encoding detected, a byte-order mark on JSON
 * Lines, `SMTP:` prefixes, row numbers that are line numbers, and dates in several spellings.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FILE_COLUMNS, type FileSourceConfig } from '../../../src/config/identity-file.js';
import { CsvRowReader } from '../../../src/identity/csv.js';
import { createFileSource, parseIdentityFileText } from '../../../src/identity/file-source.js';
import { parseStatusDate } from '../../../src/parse/status-date.js';
import { summariseRead } from '../../../src/roster/identity-findings.js';
import { wantedKeys } from '../../../src/roster/identity-match.js';
import { aUser } from '../../helpers/builders.js';
import { aFileConfig, matchSettings } from '../../helpers/identity-unit.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

const dir = scratchDir('rw-file-read-');
let n = 0;

function fileWith(content: string | Buffer, name = `people-${++n}.csv`): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const config = aFileConfig;

const read = (c: FileSourceConfig) => createFileSource(c).read(new AbortController().signal);

describe('reading the file', () => {
  it('refuses a file over IDENTITY_FILE_MAX_BYTES with a message naming the limit (20.7)', async () => {
    const path = fileWith(`email,status\n${'a@x.com,active\n'.repeat(100)}`);
    await expect(read(config({ path, maxBytes: 1000 }))).rejects.toThrow(
      /the file is 1513 bytes, over IDENTITY_FILE_MAX_BYTES \(1000\)/,
    );
    expect(await read(config({ path, maxBytes: 2000 }))).toHaveLength(100);
  });

  it('streams a file larger than one read chunk, rows split across chunks', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `p${i}@x.com,"Person, ${i}",active`);
    const path = fileWith(`email,name,status\n${rows.join('\n')}\n`);
    const ids = await read(config({ path }));
    expect(ids).toHaveLength(20_000);
    expect(ids[19_999]).toMatchObject({
      emails: ['p19999@x.com'],
      displayName: 'Person, 19999',
      id: 'line 20001',
    });
  });

  it('accepts JSON Lines that start with a byte-order mark (20.14)', async () => {
    const path = fileWith('\ufeff{"email":"a@x.com","status":"active"}\n', 'bom.jsonl');
    expect(await read(config({ path, format: 'jsonl' }))).toMatchObject([
      { emails: ['a@x.com'], active: true },
    ]);
  });

  it('reads a Windows-1252 export (Excel\'s plain "CSV") as such, not as broken UTF-8 (26.6)', async () => {
    const path = fileWith(
      iconv.encode('email,name,status\njose@x.com,José Müller-Ñúñez,Active\n', 'windows-1252'),
    );
    expect(await read(config({ path }))).toMatchObject([{ displayName: 'José Müller-Ñúñez' }]);
  });

  it('says so for UTF-16 and semicolon-separated exports, not "no email column" (26.6)', async () => {
    const utf16 = fileWith(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('email,status\na@x.com,active\n', 'utf16le')]),
    );
    await expect(read(config({ path: utf16 }))).rejects.toThrow(
      /the file is UTF-16LE text .*export it as "CSV UTF-8"/,
    );
    const noBom = fileWith(Buffer.from('email,status\na@x.com,active\n', 'utf16le'));
    await expect(read(config({ path: noBom }))).rejects.toThrow(/UTF-16LE/);
    const semicolons = fileWith('email;name;status\na@x.com;A;active\n');
    await expect(read(config({ path: semicolons }))).rejects.toThrow(/separated by semicolons, not commas/);
  });

  it('fails when the status column IDENTITY_FILE_COLUMNS names is missing (26.1, 20.5)', async () => {
    const csv = fileWith('email,Employee State\na@x.com,Terminated\n');
    const c = config({
      path: csv,
      columns: { ...DEFAULT_FILE_COLUMNS, status: 'State' },
      statusColumnConfigured: true,
    });
    await expect(read(c)).rejects.toThrow(
      /there is no "State" status column, which IDENTITY_FILE_COLUMNS names/,
    );
    const jsonl = fileWith('{"email":"a@x.com","Employee State":"Terminated"}\n', 'x.jsonl');
    await expect(read({ ...c, path: jsonl, format: 'jsonl' })).rejects.toThrow(
      /there is no "State" status column/,
    );
  });
});

describe('the rows', () => {
  it('JSON Lines keys match in any case, as CSV headers do; a record without the status is unknown (26.1)', () => {
    const jsonl = '{"Email":"a@x.com","Status":"Terminated"}\n{"email":"b@x.com"}\n';
    const r = parseIdentityFileText(jsonl, config({ format: 'jsonl' }));
    expect(r.statusColumn).toBe(true);
    expect(r.identities.map((i) => [i.emails[0], i.active, i.status])).toEqual([
      ['a@x.com', false, 'Terminated'],
      ['b@x.com', null, '(empty)'],
    ]);
    expect(parseIdentityFileText('{"email":"a@x.com"}\n', config({ format: 'jsonl' })).statusColumn).toBe(
      false,
    );
  });

  it('an emptied status cell is unknown, not active; a file without the column says so (26.1)', () => {
    const r = parseIdentityFileText('email,status\na@x.com,\n', config());
    expect(r.identities[0]).toMatchObject({ active: null, status: '(empty)' });
    expect(parseIdentityFileText('email\na@x.com\n', config()).statusColumn).toBe(false);
  });

  it('takes SMTP:/smtp: prefixes off the addresses (26.5)', () => {
    const r = parseIdentityFileText(
      'email,emails,status\nSMTP:Jo@x.com,"smtp:jd@x.com;X500:/o=x"\n',
      config(),
    );
    expect(r.identities[0]?.emails).toEqual(['Jo@x.com', 'jd@x.com']);
  });

  it('the fallback id is the line a row starts on, after quoted line breaks too (26.12)', () => {
    const csv = 'email,name,status\na@x.com,"two\nlines",active\r\nb@x.com,B,active\n\nc@x.com,C,active\n';
    expect(parseIdentityFileText(csv, config()).identities.map((i) => i.id)).toEqual([
      'line 2',
      'line 4',
      'line 6',
    ]);
    const reader = new CsvRowReader();
    const rows = [...reader.push('a,"b\r\n'), ...reader.push('c"\nd,e'), ...reader.end()];
    expect(rows).toEqual([
      { cells: ['a', 'b\r\nc'], line: 1 },
      { cells: ['d', 'e'], line: 3 },
    ]);
  });

  it('status dates are parsed by IDENTITY_DATE_ORDER, zone-less times as UTC, epochs too (26.9)', () => {
    expect(parseStatusDate('01.12.2026', 'day-first')).toBe('2026-12-01T00:00:00.000Z');
    expect(parseStatusDate('12/01/2026', 'month-first')).toBe('2026-12-01T00:00:00.000Z');
    expect(parseStatusDate('2026-12-01 08:30', 'day-first')).toBe('2026-12-01T08:30:00.000Z');
    expect(parseStatusDate('2026-12-01T08:30:00+02:00', 'day-first')).toBe('2026-12-01T06:30:00.000Z');
    expect(parseStatusDate('1764547200', 'day-first')).toBe('2025-12-01T00:00:00.000Z');
    expect(parseStatusDate('1764547200000', 'day-first')).toBe('2025-12-01T00:00:00.000Z');
    expect(parseStatusDate('31.02.2026', 'day-first')).toBeNull();
    expect(parseStatusDate('soon', 'day-first')).toBeNull();
    const r = parseIdentityFileText(
      'email,status,status_changed_at\na@x.com,Terminated,01.12.2026\n',
      config({ dateOrder: 'day-first' }),
    );
    expect(r.identities[0]?.statusChangedAt).toBe('2026-12-01T00:00:00.000Z');
  });
});

describe('reading the file for the recorded users (issue 21)', () => {
  const signal = new AbortController().signal;
  const wanting = (...emails: string[]) =>
    wantedKeys(
      emails.map((email, i) => aUser(`u${i}`, { email })),
      matchSettings(),
    );

  it('keeps only the rows a user can match, streamed, and summarises every row', async () => {
    const rows = Array.from(
      { length: 20_000 },
      (_, i) => `p${i}@x.com,${i % 4 === 0 ? 'terminated' : 'active'}`,
    );
    const path = fileWith(`email,status\n${rows.join('\n')}\n`);
    const source = createFileSource(config({ path }));
    const kept = await source.readKept?.(signal, wanting('P7@x.com', 'p19996@x.com', 'nobody@x.com'));
    expect(kept?.identities.map((i) => i.emails[0])).toEqual(['p7@x.com', 'p19996@x.com']);
    const whole = await source.read(signal);
    expect(whole).toHaveLength(20_000);
    expect(kept?.summary).toEqual(summariseRead(whole));
    expect(kept?.summary).toMatchObject({ count: 20_000, active: 15_000, inactive: 5_000 });
  });

  it('reuses the kept rows while the file is unchanged and no more is wanted, and parses again for more', async () => {
    const path = fileWith('email,status\na@x.com,active\nb@x.com,terminated\nc@x.com,active\n');
    const source = createFileSource(config({ path }));
    const first = await source.readKept?.(signal, wanting('a@x.com', 'b@x.com'));
    const fewer = await source.readKept?.(signal, wanting('b@x.com'));
    // The same parse: identities kept for a and b serve a read that wants only b.
    expect(fewer?.identities).toBe(first?.identities);
    const more = await source.readKept?.(signal, wanting('b@x.com', 'c@x.com'));
    expect(more?.identities.map((i) => i.emails[0])).toEqual(['b@x.com', 'c@x.com']);
    expect(more?.summary.count).toBe(3);
  });
});

describe('the file source after a whole read (issue 21)', () => {
  const signal = new AbortController().signal;

  it('cuts a whole parse down to the wanted rows at the next kept read, without parsing again', async () => {
    const rows = Array.from(
      { length: 1_000 },
      (_, i) => `p${i}@x.com,${i % 4 === 0 ? 'terminated' : 'active'}`,
    );
    const path = fileWith(`email,status\n${rows.join('\n')}\n`);
    const source = createFileSource(config({ path }));
    // The sync's re-run (a user recorded while the sources were read) reads the file whole.
    const whole = await source.read(signal);
    expect(whole).toHaveLength(1_000);
    const wanted = wantedKeys(
      [aUser('a', { email: 'p3@x.com' }), aUser('b', { email: 'P998@x.com' })],
      matchSettings(),
    );
    const kept = await source.readKept?.(signal, wanted);
    expect(kept?.identities.map((i) => i.emails[0])).toEqual(['p3@x.com', 'p998@x.com']);
    expect(kept?.summary).toEqual(summariseRead(whole));
    // And the cache now holds the kept rows only: the next kept read hands over the same two.
    const again = await source.readKept?.(signal, wanted);
    expect(again?.identities).toBe(kept?.identities);
  });
});

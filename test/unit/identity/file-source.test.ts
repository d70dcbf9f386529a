import { describe, expect, it } from 'vitest';
import { readCsvRows } from '../../../src/identity/csv.js';
import { parseIdentityFile } from '../../../src/identity/file-source.js';
import { aFileConfig } from '../../helpers/identity-unit.js';

const config = aFileConfig;

describe('the CSV reader', () => {
  it('reads quotes, doubled quotes, separators and line breaks inside quotes, CRLF and a BOM', () => {
    const text = '\ufeffa,b,c\r\n"x, y","say ""hi""","two\nlines"\r\nplain,,last\n\n';
    expect([...readCsvRows(text)]).toEqual([
      ['a', 'b', 'c'],
      ['x, y', 'say "hi"', 'two\nlines'],
      ['plain', '', 'last'],
    ]);
  });

  it('rejects an unclosed quote instead of guessing', () => {
    expect(() => [...readCsvRows('a\n"open')]).toThrow(/not closed/);
  });
});

describe('the identity file', () => {
  it('maps columns case-insensitively and statuses through the mapping; unknown statuses are unknown', () => {
    const csv =
      'Email,Name,Status,Emails,ID\njo@x.com,Jo,TERMINATED,"jo@y.com;JO@X.COM",7\nan@x.com,An,on leave,,\n';
    expect(parseIdentityFile(csv, config())).toEqual([
      {
        source: 'file',
        id: '7',
        emails: ['jo@x.com', 'jo@y.com'],
        displayName: 'Jo',
        active: false,
        status: 'TERMINATED',
        statusChangedAt: null,
      },
      {
        source: 'file',
        id: 'line 3',
        emails: ['an@x.com'],
        displayName: 'An',
        active: null,
        status: 'on leave',
        statusChangedAt: null,
      },
    ]);
  });

  it('without a status column everyone listed is active; a file without the email column is refused', () => {
    expect(parseIdentityFile('email\na@x.com\n', config())[0]).toMatchObject({
      active: true,
      status: 'active',
    });
    expect(() => parseIdentityFile('mail\na@x.com\n', config())).toThrow(
      /no "email" column \(set IDENTITY_FILE_COLUMNS/,
    );
  });

  it('reads JSON Lines with arrays of addresses and names the bad line', () => {
    const jsonl = '{"email":"a@x.com","emails":["b@x.com"],"status":"Suspended"}\n\n{"email":"c@x.com"}\n';
    const ids = parseIdentityFile(jsonl, config({ format: 'jsonl' }));
    expect(ids.map((i) => [i.emails, i.active])).toEqual([
      [['a@x.com', 'b@x.com'], false],
      [['c@x.com'], null],
    ]);
    expect(() => parseIdentityFile('{"email":"a@x.com"}\nnot json\n', config({ format: 'jsonl' }))).toThrow(
      /line 2 is not valid JSON/,
    );
  });
});

/**
 * Text that versions before the fix (well-formed.ts) stored with a lone surrogate: better-sqlite3
 * wrote the code unit as three bytes that are not UTF-8 (ED A0..BF 80..BF), and SQLite reads them
 * back as three U+FFFD. A poll now fetches the same text with one U+FFFD in its place, so such a
 * column is read from its bytes the way a fetch makes it well-formed; else it would read as another
 * name on the first poll after the upgrade, and a key recorded that way could never be closed.
 */

import type Database from 'better-sqlite3';
import { getTableColumns, getTableName } from 'drizzle-orm';
import { memberships, teamFingerprints, teamHints, teams, users } from './schema.js';

/**
 * JSON keeps a lone surrogate as an escape (`\ud800`, the only way JSON.stringify writes one), so
 * JSON columns (policy steps, key targets) recorded by older versions may hold text a fetch now
 * no longer has; only rows that match are normalised again as they are read.
 */
export const LONE_SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** Whether `text` as read may be such a column: only then are its bytes worth reading. */
export function mayHoldLoneSurrogate(text: string): boolean {
  return text.includes('\ufffd');
}

/** The column's bytes as text, each encoded lone surrogate read as one U+FFFD. */
export function wellFormedStoredText(bytes: Uint8Array): string {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    const next = bytes[i + 1] ?? 0;
    const last = bytes[i + 2] ?? 0;
    // ED A0..BF xx encodes U+D800..U+DFFF; a surrogate pair is always written as four bytes.
    if (b === 0xed && next >= 0xa0 && next <= 0xbf && last >= 0x80 && last <= 0xbf) {
      out.push(0xef, 0xbf, 0xbd);
      i += 2;
    } else out.push(b);
  }
  return Buffer.from(out).toString('utf8');
}

/**
 * The roster's text columns, which the history keys and compares: a row an earlier version wrote
 * with a lone surrogate reads as three U+FFFD, the fetch now gives one, so its user would read as
 * removed and another added on every poll, and the old row, matched by no key, never close.
 */
const ROSTER_TABLES = [users, teams, memberships, teamFingerprints, teamHints];

/** Each roster table's text columns, by SQL name. */
function rosterText(): [string, string[]][] {
  return ROSTER_TABLES.map((table) => [
    getTableName(table),
    Object.values(getTableColumns(table))
      .filter((column) => column.columnType === 'SQLiteText')
      .map((column) => column.name),
  ]);
}

const ROSTER_TEXT_REPAIRED = 'roster_text_well_formed';

/**
 * Rewrites, once per database, the roster's text that earlier versions stored with lone
 * surrogates as the fetch now spells it (wellFormedStoredText). Only rows holding the byte ED are
 * looked at (Hangul also starts so, and is left as it is); a row whose repair would collide with
 * another current row (two lone surrogates in the same place) is left as it was. A meta row says
 * it is done, so later opens read one row.
 */
export function repairRosterText(sqlite: Database.Database): void {
  if (sqlite.prepare('SELECT 1 FROM meta WHERE key = ?').get(ROSTER_TEXT_REPAIRED) !== undefined) return;
  sqlite.transaction(() => {
    for (const [table, columns] of rosterText()) {
      for (const column of columns) {
        const rows = sqlite
          .prepare(
            `SELECT rowid, CAST(${column} AS BLOB) FROM ${table} WHERE instr(CAST(${column} AS BLOB), X'ED') > 0`,
          )
          .raw()
          .all() as [number, Uint8Array][];
        const set = sqlite.prepare(`UPDATE ${table} SET ${column} = ? WHERE rowid = ?`);
        for (const [rowid, bytes] of rows) {
          const text = wellFormedStoredText(bytes);
          if (text === Buffer.from(bytes).toString('utf8')) continue;
          try {
            set.run(text, rowid);
          } catch (error) {
            if ((error as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw error;
          }
        }
      }
    }
    sqlite.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(ROSTER_TEXT_REPAIRED, '1');
  })();
}

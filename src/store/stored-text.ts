/**
 * Text that versions before the fix (well-formed.ts) stored with a lone surrogate: better-sqlite3
 * wrote the code unit as three bytes that are not UTF-8 (ED A0..BF 80..BF), and SQLite reads them
 * back as three U+FFFD. A poll now fetches the same text with one U+FFFD in its place, so such a
 * column is read from its bytes the way a fetch makes it well-formed; else it would read as another
 * name on the first poll after the upgrade, and a key recorded that way could never be closed.
 */

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

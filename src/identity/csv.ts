/**
 * A small RFC 4180 CSV reader: quoted fields, doubled quotes, commas and line breaks inside
 * quotes, CRLF, LF or CR, and a UTF-8 byte-order mark (spreadsheet exports start with one). It is
 * fed text in chunks (`push`) and hands back the rows completed so far, so a large export is never
 * held whole; fields are sliced out of the text, never built character by character. Each row
 * carries the physical line it starts on, which differs from its row number after a quoted line break.
 */

export interface CsvRow {
  cells: string[];
  /** 1-based line of the file the row starts on. */
  line: number;
}

const UNCLOSED = 'a quoted field is not closed before the end of the file';

/** Line breaks (CRLF, LF or a lone CR) in text[from, to). */
function countBreaks(text: string, from: number, to: number): number {
  let breaks = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) breaks++;
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) breaks++;
  }
  return breaks;
}

const isEnd = (c: string | undefined) => c === ',' || c === '\n' || c === '\r';

/** One row from `start`; null when the text ends before the row does and more may come. */
function parseRow(
  text: string,
  start: number,
  final: boolean,
): { cells: string[]; next: number; breaks: number } | null {
  const n = text.length;
  let i = start;
  let quoted = false;
  const cells: string[] = [];
  for (;;) {
    let field: string;
    if (text[i] === '"') {
      quoted = true;
      let value = '';
      let from = i + 1;
      for (;;) {
        const quote = text.indexOf('"', from);
        if (quote < 0 || (quote + 1 >= n && !final)) {
          if (quote < 0 && final) throw new Error(UNCLOSED);
          return null;
        }
        value += text.slice(from, quote);
        if (text[quote + 1] === '"') {
          value += '"';
          from = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      field = value;
      // Anything between the closing quote and the separator is kept, as lenient readers do.
      const rest = i;
      while (i < n && !isEnd(text[i])) i++;
      field += text.slice(rest, i);
    } else {
      const from = i;
      while (i < n && !isEnd(text[i])) i++;
      field = text.slice(from, i);
    }
    cells.push(field);
    if (i < n && text[i] === ',') {
      i++;
      continue;
    }
    break;
  }
  if (i >= n) {
    if (!final) return null;
    return { cells, next: n, breaks: quoted ? countBreaks(text, start, n) : 0 };
  }
  if (text[i] === '\r') {
    if (i + 1 >= n && !final) return null;
    i++;
    if (text[i] === '\n') i++;
  } else i++;
  return { cells, next: i, breaks: quoted ? countBreaks(text, start, i) : 1 };
}

export class CsvRowReader {
  private buffer = '';
  private line = 1;
  private started = false;

  /** Rows completed by this chunk. */
  push(chunk: string): CsvRow[] {
    return this.parse(chunk, false);
  }

  /** The last rows, once the text has ended; throws on a quoted field left open. */
  end(): CsvRow[] {
    return this.parse('', true);
  }

  private parse(chunk: string, final: boolean): CsvRow[] {
    let text = this.buffer + chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const rows: CsvRow[] = [];
    let i = 0;
    while (i < text.length) {
      const row = parseRow(text, i, final);
      if (row === null) break;
      if (!(row.cells.length === 1 && row.cells[0] === '')) rows.push({ cells: row.cells, line: this.line });
      this.line += row.breaks;
      i = row.next;
    }
    this.buffer = text.slice(i);
    return rows;
  }
}

/** Every row of a whole text (tests and small inputs). */
export function* readCsvRows(text: string): Generator<string[]> {
  const reader = new CsvRowReader();
  for (const row of [...reader.push(text), ...reader.end()]) yield row.cells;
}

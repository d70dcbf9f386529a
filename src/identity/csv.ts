/**
 * A small RFC 4180 CSV reader: quoted fields, doubled quotes, commas and line breaks inside
 * quotes, CRLF or LF, and a UTF-8 byte-order mark (spreadsheet exports start with one). It yields
 * one row at a time and slices fields out of the text, so a 100,000-line export is never held
 * twice (as rows and as identities) and no field is built character by character.
 */
export function* readCsvRows(text: string): Generator<string[]> {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  while (i < n) {
    const row: string[] = [];
    for (;;) {
      let field: string;
      if (text[i] === '"') {
        let value = '';
        let from = i + 1;
        for (;;) {
          const quote = text.indexOf('"', from);
          if (quote < 0) throw new Error('a quoted field is not closed before the end of the file');
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
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') field += text[i++];
      } else {
        const start = i;
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') i++;
        field = text.slice(start, i);
      }
      row.push(field);
      if (i < n && text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    if (!(row.length === 1 && row[0] === '')) yield row;
  }
}

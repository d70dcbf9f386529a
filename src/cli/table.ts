/**
 * The one table style of the CLI (`runs`, `deliveries`, `coverage`, `identity`, `endpoints list`):
 * a header row, then one row per item, each column padded to its widest cell and two spaces
 * between columns; the last column is not padded. No tabs, so the columns line up whatever the
 * terminal's tab stops and however long a value is.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    header
      .map((_, column) => {
        const cell = cells[column] ?? '';
        return column === header.length - 1 ? cell : cell.padEnd(widths[column] ?? 0);
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

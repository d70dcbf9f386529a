/**
 * CSV (RFC 4180) of a page's table. Cells that a spreadsheet would run as a formula are prefixed
 * with an apostrophe, and misleading control characters are made visible, because names come
 * from VictorOps and may be hostile.
 */
import { neutralise } from './escape.js';
import type { TableBlock } from './model.js';

function csvCell(value: string): string {
  let safe = neutralise(value);
  if (/^[=+\-@\t\r]/.test(safe)) safe = `'${safe}`;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function renderCsv(table: TableBlock): string {
  const lines = [table.columns.map(csvCell).join(',')];
  for (const row of table.rows) lines.push(row.map((c) => csvCell(c.text)).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

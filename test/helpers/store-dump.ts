import type { Store } from '../../src/store/db.js';

/** The events' ids are random (UUIDs): left out of what is compared. */
export const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * A meta row as compared: the database's random key for its users' bytes' digests is left out,
 * and so are the digests taken with it (`user_list_entries`: the list digest they belong to and
 * how many there are stay), so two databases polled alike compare equal.
 */
function comparable(row: Record<string, unknown>): Record<string, unknown> {
  if (row.key === 'user_list_entries_key') return { ...row, value: 'random key' };
  if (row.key === 'user_list_entries' && typeof row.value === 'string') {
    const [digest, , , list] = row.value.split(' ');
    return { ...row, value: `${digest} (${list === '' ? 0 : (list?.split(',').length ?? 0)} digests)` };
  }
  return row;
}

/** Every table's rows (as JSON, sorted), the events' random ids left out: two stores compared whole. */
export function dumpStore(store: Store): Record<string, string[]> {
  const tables = store.sqlite
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .pluck()
    .all() as string[];
  const out: Record<string, string[]> = {};
  for (const table of tables) {
    const rows = store.sqlite.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[];
    out[table] = rows
      .map((row) => JSON.stringify(table === 'meta' ? comparable(row) : row).replace(UUID, 'id'))
      .sort();
  }
  return out;
}

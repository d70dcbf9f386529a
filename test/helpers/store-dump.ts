import type { Store } from '../../src/store/db.js';

/** The events' ids are random (UUIDs): left out of what is compared. */
export const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Every table's rows (as JSON, sorted), the events' random ids left out: two stores compared whole. */
export function dumpStore(store: Store): Record<string, string[]> {
  const tables = store.sqlite
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .pluck()
    .all() as string[];
  const out: Record<string, string[]> = {};
  for (const table of tables) {
    const rows = store.sqlite.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[];
    out[table] = rows.map((row) => JSON.stringify(row).replace(UUID, 'id')).sort();
  }
  return out;
}

/**
 * The `meta` table: one text value per key, each owned by the module whose state it is (a run a
 * cache vouches for, a marker, a memo). Raw SQL, as several of them are read on the poll's path.
 */
import type { Store } from './db.js';

export function readMeta(store: Store, key: string): string | null {
  const row = store.sqlite.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
    | { value: string }
    | undefined;
  return row === undefined ? null : row.value;
}

export function writeMeta(store: Store, key: string, value: string): void {
  store.sqlite
    .prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    )
    .run(key, value);
}

/** Whether there was a row to delete. */
export function deleteMeta(store: Store, key: string): boolean {
  return store.sqlite.prepare('DELETE FROM meta WHERE key = ?').run(key).changes > 0;
}

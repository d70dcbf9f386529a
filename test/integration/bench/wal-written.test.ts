import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resetWal, walWritten } from '../../../src/bench/wal-written.js';
import { openStore, type Store } from '../../../src/store/db.js';

describe('walWritten', () => {
  let dir = '';
  let store: Store | null = null;
  afterEach(() => {
    store?.close();
    store = null;
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('counts the pages a write appended to the WAL, by the table owning them, and only since the reset', () => {
    dir = mkdtempSync(join(tmpdir(), 'rw-wal-'));
    const path = join(dir, 'wal.db');
    store = openStore(path);
    store.sqlite.exec('CREATE TABLE wide (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const insert = store.sqlite.prepare('INSERT INTO wide (body) VALUES (?)');
    for (let i = 0; i < 40; i++) insert.run('x'.repeat(1000));
    resetWal(store);
    expect(walWritten(path, store)).toEqual({ bytes: 0, frames: 0, byName: {} });

    // One row in place: one page of `wide`, whatever the earlier inserts wrote.
    store.sqlite.prepare('UPDATE wide SET body = ? WHERE id = 1').run('y'.repeat(1000));
    const one = walWritten(path, store);
    expect(one.byName).toEqual({ wide: 1 });
    const pageSize = store.sqlite.pragma('page_size', { simple: true }) as number;
    expect(one.bytes).toBe(32 + one.frames * (24 + pageSize));

    // Every row: every leaf of `wide` (40 rows of ~1 KB on 4 KiB pages: at least 10) and its root.
    resetWal(store);
    store.sqlite.prepare('UPDATE wide SET body = ?').run('z'.repeat(1000));
    const all = walWritten(path, store);
    expect(all.byName.wide).toBeGreaterThanOrEqual(10);
    expect(all.frames).toBe(Object.values(all.byName).reduce((a, b) => a + b, 0));
  });
});

/**
 * A run's record (cycles/cycle.ts) runs in one transaction whose statement journal SQLite keeps in
 * memory (`inRecordTransaction`): the journal is a copy of each page a statement changes, kept so
 * the statement alone can be undone, which a record never does (any failure rolls the whole
 * transaction back). On a file it cost a 10% changed poll of 20,000 users 180 MiB of writes to
 * /var/tmp (issue 21, forty-fourth part). The setting holds only while the record runs.
 */
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { recordCycle } from '../../../src/cycles/cycle.js';
import { inRecordTransaction, inTransaction, type Store } from '../../../src/store/db.js';
import { createTempStore, type TempStore } from '../../helpers/delivery-fixtures.js';

let t: TempStore | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

function freshStore(): Store {
  t = createTempStore();
  return t.store;
}

const tempStore = (store: Store) => store.sqlite.pragma('temp_store', { simple: true });

/** SQLite's temporary files this process holds open (they are unlinked as soon as opened). */
function openTempFiles(): string[] {
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.includes('etilqs_')) open.push(target);
    } catch {
      // closed between the listing and the read
    }
  }
  return open;
}

/**
 * One statement that changes ~100 pages and may fail half-way (a unique index on the column it
 * updates), so SQLite journals it: past 64 KiB the journal goes to a file unless it is in memory.
 */
function journalledUpdate(store: Store): void {
  store.sqlite.exec('UPDATE journal_probe SET v = v + 100000');
}

function probeTable(store: Store): void {
  store.sqlite.exec('CREATE TABLE journal_probe (id INTEGER PRIMARY KEY, v INTEGER UNIQUE, pad TEXT)');
  const insert = store.sqlite.prepare('INSERT INTO journal_probe (v, pad) VALUES (?, ?)');
  inTransaction(store, () => {
    for (let i = 0; i < 2000; i++) insert.run(i, 'x'.repeat(200));
  });
}

// The journal's file is seen among the process's open files, which only Linux lists in /proc.
const procFds = existsSync('/proc/self/fd');

describe('the record transaction', () => {
  it.skipIf(!procFds)(
    'keeps the statement journal in memory while the record runs, and the setting after it',
    () => {
      const store = freshStore();
      probeTable(store);
      expect(tempStore(store)).toBe(0);
      let during: unknown;
      let filesDuring: string[] = [];
      inRecordTransaction(store, () => {
        journalledUpdate(store);
        during = tempStore(store);
        filesDuring = openTempFiles();
      });
      expect(during).toBe(2);
      expect(filesDuring).toEqual([]);
      expect(tempStore(store)).toBe(0);
      expect(store.sqlite.prepare('SELECT MIN(v) FROM journal_probe').pluck().get()).toBe(100000);
    },
  );

  it.skipIf(!procFds)('control: a plain transaction journals the same statement to a temporary file', () => {
    // Without this, the test above could pass on a SQLite that never journals the statement.
    const store = freshStore();
    probeTable(store);
    let filesDuring: string[] = [];
    inTransaction(store, () => {
      journalledUpdate(store);
      filesDuring = openTempFiles();
    });
    expect(filesDuring.length).toBeGreaterThan(0);
  });

  it('recordCycle records inside it', () => {
    const store = freshStore();
    const seen = recordCycle(
      store,
      {
        fetch: async () => null,
        record: () => ({ tempStore: tempStore(store), inTransaction: store.sqlite.inTransaction }),
        finish: (recorded) => recorded,
      },
      null,
    );
    expect(seen).toEqual({ tempStore: 2, inTransaction: true });
    expect(tempStore(store)).toBe(0);
  });

  it("gives back the connection's own setting when the record throws, and rolls it back", () => {
    const store = freshStore();
    probeTable(store);
    store.sqlite.pragma('temp_store = FILE');
    expect(() =>
      inRecordTransaction(store, () => {
        journalledUpdate(store);
        throw new Error('the record failed');
      }),
    ).toThrow('the record failed');
    expect(tempStore(store)).toBe(1);
    expect(store.sqlite.inTransaction).toBe(false);
    expect(store.sqlite.prepare('SELECT MIN(v) FROM journal_probe').pluck().get()).toBe(0);
  });

  it('inside an open transaction joins it and leaves the setting alone (where the journal goes was fixed at its BEGIN)', () => {
    const store = freshStore();
    let during: unknown;
    inTransaction(store, () => {
      inRecordTransaction(store, () => {
        during = tempStore(store);
      });
    });
    expect(during).toBe(0);
    expect(tempStore(store)).toBe(0);
  });

  it("keeps the record's own error when the store was closed under it (nothing left to restore)", () => {
    const store = freshStore();
    expect(() =>
      inRecordTransaction(store, () => {
        store.sqlite.close();
        throw new Error('the record failed as the store closed');
      }),
    ).toThrow('the record failed as the store closed');
    expect(store.sqlite.open).toBe(false);
  });
});

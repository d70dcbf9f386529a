/**
 * Opens the SQLite database, applies drizzle-kit migrations and sets the pragmas roster-watch
 * relies on. The only module that constructs a better-sqlite3 connection.
 */
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { NoDatabaseError, StoreError } from '../errors.js';
import { checkFileIdentity, type FileCheck, type FileIdentity, readFileIdentity } from './file-identity.js';
import * as schema from './schema.js';
import { repairStoredText } from './stored-text.js';

export type Db = BetterSQLite3Database<typeof schema>;

export interface Store {
  db: Db;
  sqlite: Database.Database;
  path: string;
  /** Device and inode of the file when it was opened (null for `:memory:`); see checkDatabaseFile. */
  identity?: FileIdentity | null;
  close(): void;
}

/** Whether `store.path` is still the file this connection has open. */
export function checkDatabaseFile(store: Store): FileCheck {
  return checkFileIdentity(store.path, store.identity ?? null);
}

/** Works from src/store (tests) and dist/store (built CLI): both sit two levels below the root. */
export const MIGRATIONS_FOLDER = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

export interface OpenStoreOptions {
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  readonly?: boolean;
  /**
   * Refuse to create a new database: audit commands read an existing history. They still
   * migrate it, so a newer roster-watch can read a database an older one wrote.
   */
  mustExist?: boolean;
}

export function openStore(path: string, options: OpenStoreOptions = {}): Store {
  const isMemory = path === ':memory:';
  if (!isMemory && !options.readonly) mkdirSync(dirname(resolve(path)), { recursive: true });
  if ((options.readonly || options.mustExist) && !isMemory && !existsSync(path)) {
    throw new StoreError(`no database at ${path}: run \`roster-watch poll\` first, or set DATABASE_PATH`);
  }
  // Only a file this open creates is made private: an existing history keeps the permissions its
  // owner gave it, and a reader who does not own it (`roster`, `history`) must not need chmod.
  const creating = !isMemory && !existsSync(path);
  // A history this user cannot write is read read-only (audit reads of someone else's file).
  const readonly = options.readonly === true || (options.mustExist === true && !isMemory && !writable(path));
  let sqlite: Database.Database;
  try {
    sqlite = new Database(path, { readonly });
  } catch (error) {
    throw new StoreError(`cannot open the database at ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    if (!isMemory && !readonly) {
      // The history is an audit record: readable by its owner only, from the start.
      if (creating) chmodSync(path, 0o600);
      sqlite.pragma('journal_mode = WAL');
    }
    // Litestream and concurrent readers (sqlite3 CLI, Datasette) need a generous busy timeout.
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('synchronous = NORMAL');
    const db = drizzle(sqlite, { schema });
    if (options.migrate !== false && !readonly) {
      migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
      repairStoredText(sqlite);
    }
    return {
      db,
      sqlite,
      path,
      // Read after SQLite opened (and maybe created) the file, so it is the file it has open.
      identity: isMemory ? null : readFileIdentity(path),
      close: () => {
        if (sqlite.open) sqlite.close();
      },
    };
  } catch (error) {
    sqlite.close();
    if (error instanceof StoreError) throw error;
    throw new StoreError(`cannot prepare the database at ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * How many of this build's migrations a history has not had yet (0 when it is up to date). A
 * history opened read-only is never migrated, so a reader that needs the newest schema (the web
 * view's pinned indexes) asks first and names the fix instead of failing on a missing index.
 */
export function pendingMigrations(store: Store): number {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
    entries: { when: number }[];
  };
  const table = store.sqlite
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'")
    .get();
  if (table === undefined) return journal.entries.length;
  const last = store.sqlite.prepare('SELECT max(created_at) AS at FROM __drizzle_migrations').get() as {
    at: number | null;
  };
  return journal.entries.filter((e) => e.when > Number(last.at ?? 0)).length;
}

/** The file beside the history that holds the VictorOps key's shared send schedule. */
export function rateBudgetPathFor(databasePath: string): string {
  return `${databasePath}.rate-budget`;
}

/**
 * Opens (creating it if needed) the small database file beside the history that holds the VictorOps
 * key's shared send schedule (src/store/rate-budget.ts), on a connection of its own. The schedule is
 * reserved a turn at a time, up to twice a second, by every process using the key; in the history
 * those writes waited for the history's write lock, held for as long as a poll records a roster,
 * and with better-sqlite3 the whole process waits with them. Here they wait only for each other
 * (one row, microseconds), and the history's WAL and its replicas no longer carry them. The file
 * has only a `meta` table of the history's shape, so the same queries serve both; it is created
 * only beside an existing history (a command that has none paces alone, as before).
 */
export function openRateBudgetFile(databasePath: string): Store {
  if (databasePath === ':memory:' || !existsSync(databasePath)) {
    throw new NoDatabaseError(`no database at ${databasePath}: the rate budget's file goes beside one`);
  }
  const path = rateBudgetPathFor(databasePath);
  const creating = !existsSync(path);
  let sqlite: Database.Database;
  try {
    sqlite = new Database(path);
  } catch (error) {
    throw new StoreError(`cannot open the rate budget file at ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    // The history's own mode: whoever may write the history (a group sharing it) shares its budget.
    if (creating) chmodSync(path, statSync(databasePath).mode & 0o777);
    sqlite.pragma('journal_mode = WAL');
    // Its transactions are one row each: a wait longer than this is a stuck process, not a queue.
    sqlite.pragma('busy_timeout = 2000');
    sqlite.pragma('synchronous = NORMAL');
    // drizzle has no form for CREATE TABLE; the shape is meta's in schema.ts.
    sqlite.exec('CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY NOT NULL, value text NOT NULL)');
    return {
      db: drizzle(sqlite, { schema }),
      sqlite,
      path,
      identity: readFileIdentity(path),
      close: () => {
        if (sqlite.open) sqlite.close();
      },
    };
  } catch (error) {
    sqlite.close();
    throw new StoreError(`cannot prepare the rate budget file at ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The page cache holds running on a connection (withPageCache): how many, the size before them, the size held. */
const pageCacheHolds = new WeakMap<Database.Database, { count: number; before: number; size: number }>();

/**
 * Runs `work` with this connection's SQLite page cache held to `kib` KiB, then gives it back its
 * size. better-sqlite3 builds SQLite with a 16 MB cache per connection, which a poll or a sync
 * fills with pages it writes or reads about once: 11 MB of an identity sync's peak RSS, and ~16
 * MiB of the daemon's 10% changed roster poll's (issue 21). Holds may overlap (the daemon runs a
 * roster poll, a policy poll and an identity sync on one connection, each awaiting its fetches):
 * while any holds it the cache is the smallest size asked for, and the size it had before the
 * first is given back when the last ends, whatever order they end in.
 */
export async function withPageCache<T>(store: Store, kib: number, work: () => Promise<T>): Promise<T> {
  const size = -Math.max(1, Math.floor(kib));
  const sqlite = store.sqlite;
  let held = pageCacheHolds.get(sqlite);
  if (held === undefined) {
    held = { count: 0, before: sqlite.pragma('cache_size', { simple: true }) as number, size };
    pageCacheHolds.set(sqlite, held);
  }
  held.count++;
  // Negative sizes are KiB: the larger of two negatives is the smaller cache.
  held.size = held.count === 1 ? size : Math.max(held.size, size);
  try {
    sqlite.pragma(`cache_size = ${held.size}`);
    return await work();
  } finally {
    held.count--;
    if (held.count === 0) {
      pageCacheHolds.delete(sqlite);
      // A shutdown that closed the store under a long sync: nothing to restore, and throwing here
      // would hide the sync's own error.
      if (sqlite.open) sqlite.pragma(`cache_size = ${held.before}`);
    }
  }
}

/** Runs `fn` in one synchronous IMMEDIATE transaction: everything commits or nothing does. */
export function inTransaction<T>(store: Store, fn: () => T): T {
  return store.sqlite.transaction(fn).immediate();
}

/**
 * inTransaction for a run's record (cycle.ts): thousands of single-row writes in one transaction,
 * with SQLite's statement journal held in memory while it runs (`temp_store = MEMORY`).
 *
 * SQLite copies every page a statement is about to change into a statement journal when the
 * statement could fail half-way inside a longer transaction (a write that fires a trigger, checks a
 * unique or foreign key, or updates a column its own WHERE reads: the record's closes, user versions
 * and events all do). The journal spills to a temporary file past 64 KiB and that file takes every
 * later statement's pages until the transaction ends, so a 10% changed poll of 20,000 users wrote
 * 46,000 pages (180 MiB) to /var/tmp, two write(2) calls each, for a copy read only to undo a
 * failed statement, after which a record is rolled back whole anyway. In memory the journal does
 * the same, truncated after each statement: it holds at most one statement's pages (issue 21,
 * forty-fourth part).
 *
 * Only while the record runs: `temp_store = MEMORY` also keeps sorts and temporary b-trees in
 * memory, without bound, and the history's readers (the web view, the audit commands) sort whole
 * tables. The records' own sorts are of the current users or roster (~1–3 MiB for 20,000 users).
 * Where the journal goes is fixed when the transaction begins, so the setting is made before it; a
 * record nested in an outer transaction keeps the connection's.
 */
export function inRecordTransaction<T>(store: Store, fn: () => T): T {
  const sqlite = store.sqlite;
  if (sqlite.inTransaction) return inTransaction(store, fn);
  const before = sqlite.pragma('temp_store', { simple: true }) as number;
  sqlite.pragma('temp_store = MEMORY');
  try {
    return inTransaction(store, fn);
  } finally {
    if (sqlite.open) sqlite.pragma(`temp_store = ${before}`);
  }
}

/**
 * Guards a write that must be part of its caller's transaction (a run's record): outside one, its
 * rows could commit without the rest of the run, which is exactly what a record must never do.
 */
export function requireTransaction(store: Store, what: string): void {
  if (!store.sqlite.inTransaction) throw new Error(`${what} must run inside the run's transaction`);
}

/**
 * Prepares a module's statements once per connection: preparing is the costly part of a query,
 * and the outbox runs the same few statements thousands of times per drain.
 */
export function statementsPerConnection<T>(prepare: (sqlite: Database.Database) => T): (store: Store) => T {
  const cache = new WeakMap<Database.Database, T>();
  return (store) => {
    let prepared = cache.get(store.sqlite);
    if (prepared === undefined) {
      prepared = prepare(store.sqlite);
      cache.set(store.sqlite, prepared);
    }
    return prepared;
  };
}

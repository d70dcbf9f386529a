import type { Store } from '../../src/store/db.js';

/** Runs `work` and returns its result with the SQL of every statement it prepared on `store`. */
export function withPreparedSql<T>(store: Store, work: () => T): { result: T; prepared: string[] } {
  const prepared: string[] = [];
  const prepare = store.sqlite.prepare.bind(store.sqlite);
  store.sqlite.prepare = ((sql: string) => {
    prepared.push(sql);
    return prepare(sql);
  }) as typeof store.sqlite.prepare;
  try {
    return { result: work(), prepared };
  } finally {
    store.sqlite.prepare = prepare;
  }
}

/**
 * The keep-alive pool the VictorOps client sends with, loaded from undici's own files rather than
 * `import { Pool } from 'undici'` (issue 21, docs/benchmarks.md "The CLI's start-up"). undici's
 * index evaluates all of undici (fetch, WebSocket, cookies, caches, mocks, EventSource) and its
 * cookie module makes Node load its own bundled copy of undici as well: about 200-300 ms of a
 * one-off poll's CPU for one Pool and one method.
 *
 * What is relied on (undici 7.x, whose package.json has no `exports` map, so its files resolve by
 * path): lib/dispatcher/pool.js exports the Pool class, and lib/api/api-request.js exports the
 * function undici's index copies onto Dispatcher.prototype as `request`, which dispatches through
 * `this.dispatch`. It is called with the pool as `this` instead of being copied onto the shared
 * prototype, so nothing of undici's is changed. test/unit/undici-pool.test.ts pins both: a request
 * through this pool reaches a local server and reads its answer, and the two files are the same
 * objects undici's index exports.
 */
import type { Dispatcher, Pool } from 'undici';

export type PoolOptions = ConstructorParameters<typeof Pool>[1];
export type PoolResponse = Dispatcher.ResponseData;

export interface RequestPool {
  request(options: Dispatcher.RequestOptions): Promise<PoolResponse>;
  close(): Promise<void>;
}

/**
 * The two files, imported on the first request (issue 21): the App imports the client for every
 * command, and `identity-sync`, `accept` or `migrate` never send to VictorOps; undici's pool and
 * its h1/h2 clients (`node:http2` included) are ~3 MB of RSS those commands carried.
 */
type RequestThrough = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<PoolResponse>;
let undiciFiles: Promise<{ PoolClass: typeof Pool; requestThrough: RequestThrough }> | null = null;

function loadUndiciFiles() {
  undiciFiles ??= Promise.all([
    import('undici/lib/dispatcher/pool.js'),
    import('undici/lib/api/api-request.js'),
  ]).then(([pool, request]) => ({ PoolClass: pool.default, requestThrough: request.default }));
  return undiciFiles;
}

export function createRequestPool(origin: string, options: PoolOptions): RequestPool {
  let opened: Promise<{ pool: Pool; requestThrough: RequestThrough }> | null = null;
  const open = () => {
    opened ??= loadUndiciFiles().then(({ PoolClass, requestThrough }) => ({
      pool: new PoolClass(origin, options),
      requestThrough,
    }));
    return opened;
  };
  return {
    request: async (requestOptions) => {
      const { pool, requestThrough } = await open();
      return requestThrough.call(pool, requestOptions);
    },
    close: async () => {
      if (opened !== null) await (await opened).pool.close();
    },
  };
}

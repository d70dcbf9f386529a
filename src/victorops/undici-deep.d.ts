// Types for the two undici files the VictorOps client loads by path instead of through undici's
// index (src/victorops/undici-pool.ts). undici 7 ships no declarations for its lib/ files; these
// give them the types undici's own index.d.ts declares for the same objects.
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici';

  const PoolClass: typeof Pool;
  export = PoolClass;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';

  function request(this: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  export = request;
}

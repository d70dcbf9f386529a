/**
 * The web view on 127.0.0.1, a free port, no sign-in and a silent log: what every web test starts,
 * with only what the test is about given in `options` (a pinned clock, a time zone, exemptions...).
 */
import { createSilentLogger } from '../../src/logger.js';
import type { Store } from '../../src/store/db.js';
import { startUiServer, type UiServer } from '../../src/web/serve.js';

type UiServerOptions = Parameters<typeof startUiServer>[0];

export function startTestUi(
  store: Store,
  options: Partial<Omit<UiServerOptions, 'store'>> = {},
): Promise<UiServer> {
  return startUiServer({
    store,
    auth: { kind: 'none' },
    host: '127.0.0.1',
    port: 0,
    logger: createSilentLogger(),
    ...options,
  });
}

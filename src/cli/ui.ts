/**
 * `roster-watch ui --db PATH`: serves the read-only web view of a recorded history, without
 * polling or delivering. The database is opened read-only; a non-loopback --host needs
 * UI_BASIC_AUTH_FILE or UI_TRUST_HEADER.
 */
import type { Command } from 'commander';
import { refuseExposure } from '../config/ui.js';
import { InvalidOptionError, StoreError } from '../errors.js';
import type { startUiServer } from '../web/serve.js';
import type { CliContext } from './context.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port > 65_535) {
    throw new InvalidOptionError(`--port must be a port number from 0 to 65535, got "${value}"`);
  }
  return port;
}

export function registerUiCommand(program: Command, ctx: CliContext): void {
  program
    .command('ui')
    .description('serve the read-only web view of a recorded history under /ui (no polling)')
    .option('--db <path>', 'the database file (default: DATABASE_PATH)')
    .option('--host <host>', 'the address to listen on', '127.0.0.1')
    .option('--port <n>', 'the port to listen on (default: HTTP_PORT)')
    .action(async (opts: { db?: string; host: string; port?: string }) => {
      const { createCliLogger, createReadApp, loadCliConfig } = await import('./setup.js');
      const config = loadCliConfig(ctx, false);
      const refusal = refuseExposure(opts.host, config.ui.auth);
      if (refusal !== null) throw new InvalidOptionError(`--host ${opts.host}: ${refusal}`);
      const port = opts.port === undefined ? config.service.httpPort : parsePort(opts.port);
      const logger = createCliLogger(config);
      const app = createReadApp(config);
      const store = app.openReadOnlyHistory(opts.db);
      const behind = app.schemaUpdatesBehind(store);
      if (behind > 0) {
        store.close();
        throw new StoreError(
          `the history at ${store.path} was written by an older roster-watch (${behind} schema update${behind === 1 ? '' : 's'} behind this one), and the web view opens it read-only: run \`roster-watch migrate\` with DATABASE_PATH set to it once (the daemon does this at start), or serve a migrated copy`,
        );
      }
      const { startUiServer } = await import('../web/serve.js');
      let server: Awaited<ReturnType<typeof startUiServer>>;
      try {
        server = await startUiServer({
          store,
          auth: config.ui.auth,
          timeZone: config.ui.timeZone,
          host: opts.host,
          port,
          logger,
          oncall: config.oncall,
          exemptions: config.identity.exemptions,
          reachExemptions: config.reach.exemptions,
        });
      } catch (error) {
        store.close();
        const code = (error as NodeJS.ErrnoException).code;
        throw new InvalidOptionError(
          `cannot listen on ${opts.host}:${port} (${code ?? (error as Error).message})${code === 'EADDRINUSE' ? ': choose another --port' : ''}`,
        );
      }
      ctx.out(`roster-watch web view of ${store.path} (read-only): ${server.url}`);
      const stop = new Promise<void>((resolveStop) => {
        ctx.signal.addEventListener('abort', () => resolveStop(), { once: true });
      });
      await stop;
      await server.close();
      store.close();
      await app.close();
    });
}

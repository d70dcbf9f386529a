/** `roster-watch endpoints`: delivery destinations, their state, and re-enabling after a 410. */

import type { Command } from 'commander';
import type { App } from '../app/types.js';
import { CliExit } from '../errors.js';
import { scrubText } from '../redact.js';
import type { CliContext } from './context.js';
import { formatTable } from './table.js';

/**
 * Endpoints are managed without VictorOps credentials; nothing but the store is opened. `enable`
 * writes an event, so it needs the poll's event source (VO_API_ID or EVENT_SOURCE), like `accept`.
 */
async function openEndpointsApp(ctx: CliContext, writesEvents = false): Promise<App> {
  const { createApp } = await import('../app.js');
  const { loadConfig } = await import('../config/load-config.js');
  const { loadEventWritingConfig } = await import('./setup.js');
  const { createLogger } = await import('../logger.js');
  const config = writesEvents
    ? loadEventWritingConfig(ctx)
    : loadConfig(ctx.env, { requireVictorOps: false });
  return createApp({ config, logger: createLogger({ level: config.logLevel, format: config.logFormat }) });
}

export function registerEndpointsCommand(program: Command, ctx: CliContext): void {
  const endpoints = program.command('endpoints').description('list, enable or disable delivery destinations');

  endpoints
    .command('list')
    .description('configured and known destinations with their state and outbox counts (never URLs)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const app = await openEndpointsApp(ctx);
      try {
        const rows = app.listDestinations();
        if (options.json) {
          ctx.exact(JSON.stringify(rows, null, 2));
          return;
        }
        if (rows.length === 0)
          ctx.err('no destinations: set WEBHOOK_URLS, ROSTER_WATCH_CONFIG or SLACK_WEBHOOK_URL');
        const table = rows.map((r) => [
          r.name,
          r.kind,
          r.disabledAt === null
            ? 'enabled'
            : `DISABLED since ${r.disabledAt} (${r.disabledReason === null ? 'no reason' : scrubText(r.disabledReason)})`,
          r.configured ? 'yes' : 'not any more',
          `pending ${r.pending} failed ${r.failed} dead ${r.dead} delivered ${r.delivered}`,
          r.events.join(','),
        ]);
        if (rows.length > 0)
          for (const line of formatTable(
            ['name', 'kind', 'state', 'configured', 'deliveries', 'events'],
            table,
          ))
            ctx.out(line);
      } finally {
        await app.close();
      }
    });

  endpoints
    .command('enable <name>')
    .description(
      're-enable a destination disabled after 410 Gone; its waiting deliveries go out on the next pass',
    )
    .action(async (name: string) => {
      const app = await openEndpointsApp(ctx, true);
      try {
        const result = app.enableDestination(name);
        if (result === 'unknown')
          throw new CliExit(2, `no destination named "${name}": see \`roster-watch endpoints list\``);
        if (result === 'not-disabled') {
          ctx.out(`${name} is already enabled`);
          return;
        }
        ctx.out(
          `${name} enabled: its waiting deliveries are sent by the next \`roster-watch deliver\` (or the service)`,
        );
        ctx.err(
          `to replay events it missed or that went dead meanwhile: roster-watch redeliver --since <ISO time it was disabled> --destination ${name}`,
        );
      } finally {
        await app.close();
      }
    });

  endpoints
    .command('disable <name>')
    .description('stop delivering to a destination; its deliveries wait until it is enabled again')
    .option('--reason <text>', 'why, shown by `endpoints list`', 'disabled by an operator')
    .action(async (name: string, options: { reason: string }) => {
      const app = await openEndpointsApp(ctx);
      try {
        if (!app.disableDestination(name, options.reason)) {
          throw new CliExit(
            2,
            `"${name}" is unknown or already disabled: see \`roster-watch endpoints list\``,
          );
        }
        ctx.out(`${name} disabled`);
      } finally {
        await app.close();
      }
    });
}

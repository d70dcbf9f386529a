/** `roster-watch deliveries`: what the outbox holds, newest first. */
import { type Command, Option } from 'commander';
import { CliExit } from '../errors.js';
import { scrubText } from '../redact.js';
import type { DeliveryRow, DeliveryStatus } from '../store/outbox-reads.js';
import type { CliContext } from './context.js';
import { formatTable } from './table.js';

const STATUSES: DeliveryStatus[] = ['pending', 'delivered', 'failed', 'dead'];

const HEADER = ['id', 'status', 'destination', 'what', 'event', 'attempts', 'when', 'last answer'];

function tableRow(row: DeliveryRow): string[] {
  const when = row.status === 'delivered' ? `delivered ${row.deliveredAt}` : `next ${row.nextAttemptAt}`;
  const last =
    row.lastStatusCode !== null || row.lastError !== null
      ? `${row.lastStatusCode ?? '-'} ${row.lastError === null ? '' : scrubText(row.lastError)}`.trimEnd()
      : '';
  return [
    String(row.id),
    row.status,
    row.destination,
    row.kind === 'digest' ? `digest of run ${row.runId}` : (row.eventType ?? '-'),
    row.eventId ?? '-',
    String(row.attempts),
    when,
    last,
  ];
}

export function registerDeliveriesCommand(program: Command, ctx: CliContext): void {
  program
    .command('deliveries')
    .description('list outbox deliveries, newest first')
    .addOption(new Option('--status <status>', 'only deliveries in this state').choices(STATUSES))
    .option('--destination <name>', 'only deliveries to this destination')
    .option('--limit <n>', 'at most this many rows', '50')
    .option('--json', 'print JSON (one array) instead of text')
    .action(
      async (options: { status?: DeliveryStatus; destination?: string; limit: string; json?: boolean }) => {
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) {
          throw new CliExit(2, `--limit must be a whole number from 1 to 100000, got "${options.limit}"`);
        }
        const { loadConfig } = await import('../config/load-config.js');
        const { createReadApp } = await import('./setup.js');
        const config = loadConfig(ctx.env, { requireVictorOps: false });
        const app = createReadApp(config);
        try {
          const rows = app.listDeliveries({
            limit,
            ...(options.status ? { status: options.status } : {}),
            ...(options.destination ? { destination: options.destination } : {}),
          });
          if (options.json) {
            // Rows an older version stored may still hold an echoed URL: scrubbed on the way out too.
            const scrubbed = rows.map((r) => ({
              ...r,
              lastError: r.lastError === null ? null : scrubText(r.lastError),
            }));
            ctx.exact(JSON.stringify(scrubbed, null, 2));
            return;
          }
          if (rows.length === 0) {
            ctx.err('no deliveries match');
            return;
          }
          for (const line of formatTable(HEADER, rows.map(tableRow))) ctx.out(line);
        } finally {
          await app.close();
        }
      },
    );
}

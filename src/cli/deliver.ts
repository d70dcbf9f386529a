/** `roster-watch deliver`: one pass over the outbox, for cron jobs and after a manual poll. */
import type { Command } from 'commander';
import type { PassSummary } from '../delivery/pass-totals.js';
import { CliExit } from '../errors.js';
import type { CliContext } from './context.js';

export function formatPassSummary(summary: PassSummary): string {
  const parts = [
    `delivered ${summary.delivered}`,
    `failed ${summary.failed} (will retry)`,
    `dead ${summary.dead}`,
  ];
  if (summary.errors > 0) parts.push(`errors ${summary.errors}`);
  const perDestination = Object.entries(summary.byDestination)
    .filter(([, d]) => d.attempted > 0)
    .map(([name, d]) => `${name} ${d.delivered}/${d.attempted}`);
  return `${parts.join(', ')}${perDestination.length > 0 ? ` · ${perDestination.join(', ')}` : ''}`;
}

export function registerDeliverCommand(program: Command, ctx: CliContext): void {
  program
    .command('deliver')
    .description('send every due outbox delivery once (webhooks and Slack), then exit')
    .addHelpText(
      'after',
      `
Failed deliveries are retried on later passes (DELIVERY_RETRY_SCHEDULE); rows are marked
delivered only after a 2xx answer, so an interrupted pass loses nothing.

Exit status:
  0  the pass ran (some deliveries may have failed and will be retried)
  1  a delivery went dead or an endpoint was disabled during this pass: it needs a person
     (see \`roster-watch deliveries --status dead\` and \`roster-watch endpoints list\`)
  2  configuration or usage error`,
    )
    .action(async () => {
      const { createApp } = await import('../app.js');
      const { createLogger } = await import('../logger.js');
      const { loadEventWritingConfig } = await import('./setup.js');
      const config = loadEventWritingConfig(ctx);
      const logger = createLogger({ level: config.logLevel, format: config.logFormat });
      const app = createApp({ config, logger });
      try {
        const { webhooks, slack, eventsFile } = config.delivery;
        if (webhooks.length === 0 && slack === null && eventsFile === null) {
          ctx.err(
            'no destinations configured: set WEBHOOK_URLS (+ WEBHOOK_SECRET), ROSTER_WATCH_CONFIG, SLACK_WEBHOOK_URL or EVENTS_FILE',
          );
        }
        // On SIGINT/SIGTERM the pass claims nothing new; sends in flight finish and are recorded.
        const summary = await app.deliverDue(ctx.signal);
        ctx.out(formatPassSummary(summary));
        const open = app.outboxCounts();
        const waiting = open.reduce((sum, d) => sum + d.pending + d.failed, 0);
        const dead = open.reduce((sum, d) => sum + d.dead, 0);
        if (waiting > 0 || dead > 0) {
          ctx.out(`outbox: ${waiting} waiting for a later attempt, ${dead} dead in total`);
        }
        for (const name of summary.skippedDisabled) {
          ctx.err(`${name} is disabled: re-enable it with \`roster-watch endpoints enable ${name}\``);
        }
        if (summary.dead > 0 || summary.disabledDuringPass.length > 0) {
          const reasons = [
            summary.dead > 0
              ? `${summary.dead} deliveries went dead (see \`roster-watch deliveries --status dead\`)`
              : '',
            summary.disabledDuringPass.length > 0
              ? `disabled after 410 Gone: ${summary.disabledDuringPass.join(', ')}`
              : '',
          ].filter((r) => r !== '');
          throw new CliExit(1, reasons.join('; '));
        }
      } finally {
        await app.close();
      }
    });
}

/** `roster-watch redeliver`: make deliveries due again, with the same event id (receivers dedupe on it). */

import type { Command } from 'commander';
import { CliExit } from '../errors.js';
import { parseSince, SINCE_HELP } from '../parse/option-dates.js';
import type { RequeueSelector } from '../store/outbox.js';
import type { CliContext } from './context.js';

export function registerRedeliverCommand(program: Command, ctx: CliContext): void {
  program
    .command('redeliver')
    .description('re-queue deliveries so the next `deliver` pass (or the daemon) sends them again')
    .option('--event <id>', "every delivery of this event (for a change event, also its run's Slack digest)")
    .option('--dead', 'every dead delivery')
    .option(
      '--since <when>',
      `every delivery of events at or after this time, delivered ones included: ${SINCE_HELP}`,
    )
    .option('--destination <name>', 'only deliveries to this destination')
    .addHelpText(
      'after',
      '\nGive exactly one of --event, --dead or --since. Re-queued deliveries keep their event id, so\nwebhook receivers see the same webhook-id and can deduplicate; the retry schedule starts again.',
    )
    .action(async (options: { event?: string; dead?: boolean; since?: string; destination?: string }) => {
      const chosen = [options.event !== undefined, options.dead === true, options.since !== undefined].filter(
        Boolean,
      );
      if (chosen.length !== 1) throw new CliExit(2, 'give exactly one of --event ID, --dead or --since WHEN');
      const { destination } = options;
      let selector: RequeueSelector;
      if (options.event !== undefined) selector = { eventId: options.event, destination };
      else if (options.dead) selector = { dead: true, destination };
      else selector = { sinceIso: parseSince(options.since ?? '', Date.now()), destination };
      const { loadConfig } = await import('../config/load-config.js');
      const { createReadApp } = await import('./setup.js');
      const config = loadConfig(ctx.env, { requireVictorOps: false });
      const app = createReadApp(config);
      try {
        // An unknown event or a bad selector is an OutboxError: exit 2 with one line (explain-error.ts).
        const count = app.redeliver(selector, Date.now());
        ctx.out(`re-queued ${count} deliveries`);
        if (count > 0)
          ctx.err('they are sent by the next `roster-watch deliver` (or by the running service)');
      } finally {
        await app.close();
      }
    });
}

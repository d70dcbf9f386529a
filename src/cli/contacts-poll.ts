/**
 * `contacts-poll`: one read of people's contact methods and personal paging policies (GET only),
 * the reachability findings it decides, then delivery.
 */
import type { Command } from 'commander';
import type { ContactsPollResult } from '../cycles/contacts-cycle.js';
import { CliExit } from '../errors.js';
import { isCoverageEvent } from '../roster/events.js';
import type { CliContext } from './context.js';

export function describeContactsResult(r: ContactsPollResult): string {
  const base = `run ${r.runId} (contacts): ${r.status}`;
  if (r.status === 'failed') return `${base}: ${r.error ?? 'unknown error'}`;
  const findings = r.events.filter((e) => isCoverageEvent(e.type)).length;
  const changes = r.events.length - findings;
  const failed =
    r.failed > 0
      ? `; ${r.failed} people could not be read and keep what was recorded (tried again next poll)`
      : '';
  return `${base}: read ${r.read} people (${r.planned.paged} who can be paged, ${r.planned.slice} in the rolling slice) in ${r.requests} requests, ${changes} contact changes, ${findings} reachability events${failed}`;
}

export function registerContactsCommands(program: Command, ctx: CliContext): void {
  program
    .command('contacts-poll')
    .description(
      "read people's contact methods and own paging policies once (hints only, never full numbers or addresses), update reachability findings, then deliver (exit 0 ok/partial, 1 failed)",
    )
    .option('--no-deliver', 'record only; leave deliveries for `roster-watch deliver` or the daemon')
    .action(async (opts: { deliver: boolean }) => {
      const { createApp } = await import('../app.js');
      const { createCliLogger, loadCliConfig } = await import('./setup.js');
      const config = loadCliConfig(ctx, true);
      const logger = createCliLogger(config);
      const app = createApp({ config, logger });
      try {
        const result = await app.pollContacts(ctx.signal);
        ctx.out(describeContactsResult(result));
        if (opts.deliver) await app.deliverDue(ctx.signal);
        if (result.status === 'failed')
          throw new CliExit(1, 'the contacts poll failed: nothing was changed in the history');
      } finally {
        await app.close();
      }
    });
}

/**
 * `roster-watch poll`, `accept` and `migrate`: the commands that write the audit history.
 */
import type { Command } from 'commander';
import type { PollResult } from '../cycles/poll-cycle.js';
import { CliExit } from '../errors.js';
import type { CliContext } from './context.js';

/** What the poll learnt about the membership hints, if anything worth a word. */
function describeHints(result: PollResult): string {
  const parts: string[] = [];
  if (result.verifyCatches > 0)
    parts.push(
      `${result.verifyCatches} found by verification (members swapped, count unchanged: the team list cannot show it)`,
    );
  if (result.hints === 'marked')
    parts.push(
      'the API contradicted its own member counts: membership hints unreliable, every team read from now on',
    );
  if (result.hints === 'trusted again') parts.push('membership hints trusted again');
  return parts.map((p) => `; ${p}`).join('');
}

function describeResult(result: PollResult): string {
  const base = `run ${result.runId}: ${result.status}`;
  switch (result.status) {
    case 'failed':
      return `${base}: ${result.error ?? 'unknown error'}`;
    case 'baseline':
      return `${base}: recorded ${result.fetched?.roster.users.length ?? 0} users and ${result.fetched?.roster.teams.length ?? 0} teams as the starting point`;
    case 'held':
      return `${base}: a mass removal is held back; see \`roster-watch history --type rosterwatch.guard.*\` and run \`roster-watch accept\` if it is real`;
    case 'partial':
      return `${base}: ${result.changes} changes; ${result.fetched?.failedScopes.length ?? 0} membership scopes could not be read and kept their previous state${describeHints(result)}`;
    default:
      return `${base}: ${result.changes} changes${describeHints(result)}`;
  }
}

export function registerPollCommands(program: Command, ctx: CliContext): void {
  program
    .command('poll')
    .description(
      'poll VictorOps once: record changes and events, then deliver them (exit 0 ok/partial/baseline/held, 1 failed)',
    )
    .option('--no-deliver', 'record only; leave deliveries for `roster-watch deliver` or the daemon')
    .action(async (opts: { deliver: boolean }) => {
      const { createRosterReadingApp } = await import('./setup.js');
      const { app, progress } = createRosterReadingApp(ctx);
      try {
        const result = await app.pollRoster(ctx.signal).finally(() => progress.finish());
        ctx.out(describeResult(result));
        if (opts.deliver) await app.deliverDue(ctx.signal);
        if (result.status === 'failed')
          throw new CliExit(1, 'the poll failed: nothing was changed in the history');
      } finally {
        await app.close();
      }
    });

  program
    .command('accept')
    .description('apply a mass removal that the guard is holding back, now')
    .action(async () => {
      const { createApp } = await import('../app.js');
      const { createCliLogger, loadEventWritingConfig } = await import('./setup.js');
      const config = loadEventWritingConfig(ctx);
      const logger = createCliLogger(config);
      const app = createApp({ config, logger });
      try {
        const accepted = app.acceptHeld();
        if (accepted.kind === 'nothing-held')
          throw new CliExit(1, 'nothing is held: there is no mass removal waiting for acceptance');
        if (accepted.kind === 'unloadable') throw new CliExit(1, 'the held change could not be loaded');
        ctx.out(describeResult(accepted.result));
        await app.deliverDue(ctx.signal);
      } finally {
        await app.close();
      }
    });

  program
    .command('migrate')
    .description('create the database or bring its schema up to date (also done at every start)')
    .action(async () => {
      const { createReadApp, loadCliConfig } = await import('./setup.js');
      const app = createReadApp(loadCliConfig(ctx, false));
      try {
        ctx.out(`database ready at ${app.migrate()}`);
      } finally {
        await app.close();
      }
    });
}

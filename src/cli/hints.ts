/** `roster-watch hints`: whether membership hints are followed, and trusting them again at once. */
import type { Command } from 'commander';
import type { CliContext } from './context.js';

export function registerHintsCommand(program: Command, ctx: CliContext): void {
  program
    .command('hints')
    .description('show whether polls follow the membership hints; --reset trusts them again at once')
    .option(
      '--reset',
      'clear the "hints unreliable" mark: the next polls follow the hints (and verify them) again',
    )
    .action(async (options: { reset?: boolean }) => {
      const { loadConfig } = await import('../config/load-config.js');
      const { createReadApp } = await import('./setup.js');
      const config = loadConfig(ctx.env, { requireVictorOps: false });
      const app = createReadApp(config);
      try {
        const { unreliable: mark, teamsWithHints } = app.hintsState();
        if (options.reset) {
          ctx.out(
            app.resetHints()
              ? 'the hints are trusted again: the next poll follows them and keeps verifying them'
              : 'nothing to reset: the hints were not marked unreliable',
          );
          return;
        }
        const setting = config.victorOps.membershipHints;
        const state =
          setting === 'off'
            ? 'off (MEMBERSHIP_HINTS=off): every poll reads every team'
            : mark
              ? `unreliable since ${mark.since} (team ${mark.teamSlug}'s member count contradicted the team list, run ${mark.runId}; last contradiction ${mark.lastContradictionAt ?? mark.since}): every poll reads every team until a whole verify interval passes without one; \`roster-watch hints --reset\` tries them again at once`
              : 'on: polls read changed teams plus a verification slice';
        ctx.out(`membership hints ${state}`);
        ctx.out(
          `teams with recorded hints: ${teamsWithHints}; verify interval ${config.victorOps.membershipVerifyIntervalMs / 60_000} min`,
        );
      } finally {
        await app.close();
      }
    });
}

/** `roster-watch fetch`: reads the live roster and prints it, storing nothing. */
import type { Command } from 'commander';
import { describeUser, rosterToJson } from '../roster/roster-json.js';
import type { CliContext } from './context.js';
import { formatTable } from './table.js';
import { teamLabels } from './team-names.js';

export function registerFetchCommand(program: Command, ctx: CliContext): void {
  program
    .command('fetch')
    .description(
      'fetch the current roster from VictorOps and print it, without storing it (checks credentials)',
    )
    .option('--json', 'print the roster as JSON: {"users": [...], "teams": [...]}')
    .action(async (opts: { json?: boolean }) => {
      const { createRosterReadingApp } = await import('./setup.js');
      const { app, progress } = createRosterReadingApp(ctx);
      try {
        const fetched = await app.fetchRoster(ctx.signal);
        progress.finish();
        const json = rosterToJson(fetched.roster);
        if (opts.json) {
          ctx.exact(JSON.stringify(json, null, 2));
        } else {
          const labels = teamLabels(json.teams);
          for (const user of json.users)
            ctx.out(
              `${describeUser(user)}  ${user.email ?? '-'}  [${user.teams.map((slug) => labels.get(slug) ?? slug).join(', ')}]`,
            );
          ctx.out('');
          for (const line of formatTable(
            ['team', 'slug'],
            json.teams.map((t) => [t.name, t.slug]),
          ))
            ctx.out(line);
        }
        const s = fetched.stats;
        ctx.err(
          `fetched ${json.users.length} users, ${json.teams.length} teams, ${fetched.roster.memberships.length} memberships by ${fetched.strategy} in ${s.requests} requests (${s.retries} retries, ${s.rateLimited} rate-limited)`,
        );
        for (const scope of fetched.failedScopes) {
          const name =
            scope.kind === 'user-teams'
              ? `teams of user ${scope.username}`
              : `members of team ${scope.teamSlug}`;
          ctx.err(`warning: could not read the ${name}: ${scope.reason}`);
        }
      } finally {
        progress.finish();
        await app.close();
      }
    });
}

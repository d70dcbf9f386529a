/**
 * The audit commands over the stored history: `roster`, `history`, `runs`. They only read the
 * database, so they need no VictorOps credentials.
 */
import type { Command } from 'commander';
import { parseInstant, parseSince, SINCE_HELP } from '../parse/option-dates.js';
import { type CloudEvent, isCoverageEvent } from '../roster/events.js';
import { describeUser, rosterToJson } from '../roster/roster-json.js';
import type { CliContext } from './context.js';
import { formatTable } from './table.js';
import { resolveTeam, teamLabels } from './team-names.js';

const RUNS_HEADER = [
  'run',
  'kind',
  'started',
  'status',
  'strategy',
  'requests',
  'retries',
  'limited',
  'users',
  'changes',
  'error',
];

export function registerAuditCommands(program: Command, ctx: CliContext): void {
  program
    .command('roster')
    .description('print the recorded roster now, or as it was at any past moment')
    .option('--at <iso>', 'the moment to reconstruct, such as 2026-03-03T12:00:00Z (default: now)')
    .option('--json', 'print JSON: {"at", "users": [...], "teams": [...]}')
    .action(async (opts: { at?: string; json?: boolean }) => {
      const { createReadApp, loadCliConfig } = await import('./setup.js');
      const config = loadCliConfig(ctx, false);
      const at = opts.at === undefined ? new Date().toISOString() : parseInstant(opts.at, '--at');
      const app = createReadApp(config);
      try {
        const json = rosterToJson(app.rosterAt(at), at);
        if (opts.json) return ctx.exact(JSON.stringify(json, null, 2));
        ctx.out(`roster at ${at}: ${json.users.length} users, ${json.teams.length} teams`);
        const teamNames = teamLabels(json.teams);
        for (const u of json.users) {
          const teams = u.teams.map((slug) => teamNames.get(slug) ?? slug).join(', ');
          ctx.out(`  ${describeUser(u)}  ${u.email ?? '-'}  [${teams}]`);
        }
      } finally {
        await app.close();
      }
    });

  program
    .command('history')
    .description('print recorded events, oldest first')
    .option('--user <username>', 'events about this user (including their memberships)')
    .option('--team <team>', 'events about this team (including its memberships): its name or slug')
    .option('--type <type>', 'an event type, or a prefix pattern such as victorops.user.*')
    .option('--since <when>', SINCE_HELP)
    .option('--until <iso>', 'an ISO time (exclusive)')
    .option('--limit <n>', 'at most this many events')
    .option('--json', 'print a JSON array of the CloudEvents')
    .action(
      async (opts: {
        user?: string;
        team?: string;
        type?: string;
        since?: string;
        until?: string;
        limit?: string;
        json?: boolean;
      }) => {
        const { createReadApp, loadCliConfig, parsePositiveInt } = await import('./setup.js');
        const config = loadCliConfig(ctx, false);
        const now = Date.now();
        const since = opts.since === undefined ? undefined : parseSince(opts.since, now);
        const until = opts.until === undefined ? undefined : parseInstant(opts.until, '--until');
        const limit = opts.limit === undefined ? undefined : parsePositiveInt(opts.limit, '--limit');
        const app = createReadApp(config);
        try {
          // A team's name or its slug: the names are those of the recorded roster now.
          const team =
            opts.team === undefined
              ? undefined
              : resolveTeam(app.rosterAt(new Date(now).toISOString()).teams, opts.team);
          const query = { user: opts.user, team, type: opts.type, since, until, limit };
          const events = app.queryEvents(query);
          if (opts.json) return ctx.exact(JSON.stringify(events, null, 2));
          if (events.length === 0) return ctx.out('no events match');
          const labels = teamLabels(app.rosterAt(new Date(now).toISOString()).teams);
          for (const e of events) ctx.out(describeEvent(e, labels));
        } finally {
          await app.close();
        }
      },
    );

  program
    .command('runs')
    .description('print recent poll runs (roster and policy), newest first')
    .option('--limit <n>', 'how many runs', '20')
    .option('--json', 'print JSON')
    .action(async (opts: { limit: string; json?: boolean }) => {
      const { createReadApp, loadCliConfig, parsePositiveInt } = await import('./setup.js');
      const config = loadCliConfig(ctx, false);
      const limit = parsePositiveInt(opts.limit, '--limit');
      const app = createReadApp(config);
      try {
        const runs = app.listRuns(limit);
        if (opts.json) return ctx.exact(JSON.stringify(runs, null, 2));
        if (runs.length === 0) return ctx.out('no runs recorded yet');
        const rows = runs.map((r) => [
          String(r.id),
          r.kind,
          r.startedAt,
          r.status,
          r.strategy ?? '-',
          String(r.requests),
          String(r.retries),
          String(r.rateLimited),
          String((r.kind === 'policy' ? r.policyCount : r.userCount) ?? '-'),
          String(r.changeCount),
          r.error ?? (r.failedScopes.length > 0 ? `${r.failedScopes.length} scopes failed` : ''),
        ]);
        for (const line of formatTable(RUNS_HEADER, rows)) ctx.out(line);
      } finally {
        await app.close();
      }
    });
}

/**
 * One readable line per event for the `history` table. `teams` labels a team slug by its name
 * (teamLabels); a team it does not know is shown by its slug.
 */
export function describeEvent(event: CloudEvent, teams: ReadonlyMap<string, string> = new Map()): string {
  const teamName = (slug: string) => teams.get(slug) ?? slug;
  const d = event.data as Record<string, unknown>;
  const team = d.team as { name: string; slug: string } | undefined;
  let detail = '';
  switch (event.type) {
    case 'victorops.user.changed':
    case 'victorops.team.changed':
      detail = (d.changes as { field: string; before: unknown; after: unknown }[])
        .map((c) => `${c.field}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`)
        .join('; ');
      break;
    case 'victorops.membership.added':
    case 'victorops.membership.removed':
      detail = team ? `${team.name} (${team.slug})` : '';
      break;
    case 'victorops.user.added':
    case 'victorops.user.removed':
    case 'victorops.user.invited':
    case 'victorops.user.registered':
    case 'victorops.user.invite_withdrawn': {
      const user = d.user as {
        username: string;
        firstName: string | null;
        lastName: string | null;
        email: string | null;
      };
      detail = `${describeUser(user)} ${user.email ?? ''}`.trim();
      break;
    }
    case 'victorops.policy.added':
    case 'victorops.policy.removed': {
      const policy = d.policy as { name: string; teamSlug: string };
      detail = `'${policy.name}' (team ${teamName(policy.teamSlug)})`;
      break;
    }
    case 'victorops.policy.changed': {
      const after = d.after as { name: string; teamSlug: string };
      detail = `'${after.name}' (team ${teamName(after.teamSlug)}): `;
      detail += (d.changes as { field: string; before: unknown; after: unknown }[])
        .map((c) => `${c.field}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`)
        .join('; ');
      break;
    }
    default:
      // Coverage findings carry their own sentence; other notices print their data.
      detail = isCoverageEvent(event.type)
        ? `${String(d.state)}: ${String(d.message)}`
        : JSON.stringify(event.data);
  }
  return `${event.time}  #${Number(event.sequence)}  ${event.type.padEnd(28)}  ${event.subject}  ${detail}`;
}

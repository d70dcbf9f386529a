/**
 * The on-call commands over the recorded schedule reads: `oncall-report` (hours per person ×
 * team × policy, split into business hours, out-of-hours, weekend and holidays) and `oncall-at`
 * (who was on call at an instant, with the override that applied).
 */
import type { Command } from 'commander';
import type { App } from '../app/types.js';
import { CliExit, InvalidOptionError } from '../errors.js';
import { parseInstant } from '../parse/option-dates.js';
import type { OncallAtEntry } from '../roster/oncall-intervals.js';
import { flattenOncallRow, ONCALL_REPORT_COLUMNS, type OncallReport } from '../roster/oncall-report.js';
import { describeTargets } from '../roster/routing-keys.js';
import { renderCsv } from '../web/csv.js';
import type { CliContext } from './context.js';

const HEADINGS = [
  'username',
  'name',
  'team',
  'policy',
  'hours',
  'business',
  'out-of-hours',
  'weekend',
  'holiday',
  'override',
];

function reportTable(report: OncallReport): string[] {
  const rows = report.rows.map((r) =>
    flattenOncallRow(r).map((v) => (typeof v === 'number' ? v.toFixed(2) : v)),
  );
  const totals = [4, 5, 6, 7, 8, 9].map((i) =>
    report.rows.reduce((sum, r) => sum + Number(flattenOncallRow(r)[i] ?? 0), 0).toFixed(2),
  );
  const all = [HEADINGS, ...rows, ['total', '', '', '', ...totals]];
  const widths = HEADINGS.map((_, i) => Math.max(...all.map((r) => String(r[i] ?? '').length)));
  const line = (r: (string | number)[]) =>
    r
      .map((v, i) => (i >= 4 ? String(v).padStart(widths[i] ?? 0) : String(v).padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return all.map(line);
}

function reportCsv(report: OncallReport): string {
  return renderCsv({
    kind: 'table',
    id: 'oncall',
    caption: '',
    columns: [...ONCALL_REPORT_COLUMNS],
    rows: report.rows.map((r) => flattenOncallRow(r).map((v) => ({ text: String(v) }))),
    empty: '',
  });
}

function describeAt(e: OncallAtEntry): string {
  const rotation = [e.rotationName, e.shiftName].filter((n) => n !== '').join(' / ');
  const override = e.overrideFor === null ? '' : ` (override for ${e.overrideFor})`;
  return `${e.teamName} · ${e.policyName} (${e.policySlug}) · ${rotation}: ${e.username}${override}, ${e.start} – ${e.end}`;
}

/**
 * `--routing-key`: the policy slugs the key targeted at `atIso`, as recorded then. A key never
 * read, or an instant before the first read, cannot be answered (exit 1); a key not recorded at
 * that instant is a mistake in the option (exit 2, with the keys that were).
 */
function routingKeyTargets(app: App, key: string, atIso: string): { slugs: Set<string>; text: string } {
  const recorded = app.routingKeysAt(atIso);
  if (recorded.firstReadAt === null)
    throw new CliExit(
      1,
      '--routing-key: routing keys have not been read yet (run `policy-poll` to record them)',
    );
  if (atIso < recorded.firstReadAt)
    throw new CliExit(
      1,
      `--routing-key: routing keys were first read at ${recorded.firstReadAt}; nothing is recorded for ${atIso}`,
    );
  const found = recorded.keys.find((k) => k.routingKey === key);
  if (found === undefined) {
    const known = recorded.keys.map((k) => k.routingKey).join(', ');
    throw new InvalidOptionError(
      `--routing-key: "${key}" was not a routing key at ${atIso} (recorded then: ${known === '' ? 'none' : known})`,
    );
  }
  return { slugs: new Set(found.targets.map((t) => t.policySlug)), text: describeTargets(found.targets) };
}

export function registerOncallCommands(program: Command, ctx: CliContext): void {
  program
    .command('oncall-report')
    .description(
      'on-call hours per person × team × policy from the recorded schedule reads, split by ONCALL_TIMEZONE into business hours, weekday out-of-hours, weekend and holidays (a future window answers from the latest read)',
    )
    .requiredOption('--from <time>', 'start of the window (ISO date or instant; a date is midnight UTC)')
    .requiredOption('--to <time>', 'end of the window, exclusive')
    .option('--team <slug>', 'only this team')
    .option('--policy <slug>', 'only this escalation policy')
    .option('--json', 'print {"from","to","timeZone","rows":[…]}')
    .option('--csv', 'print CSV, one row per person × team × policy')
    .action(
      async (opts: {
        from: string;
        to: string;
        team?: string;
        policy?: string;
        json?: boolean;
        csv?: boolean;
      }) => {
        const fromIso = parseInstant(opts.from, '--from');
        const toIso = parseInstant(opts.to, '--to');
        if (!(fromIso < toIso))
          throw new InvalidOptionError(`--from (${fromIso}) must be before --to (${toIso})`);
        if (opts.json && opts.csv) throw new InvalidOptionError('--json and --csv: choose one');
        const { createReadApp, loadCliConfig } = await import('./setup.js');
        const app = createReadApp(loadCliConfig(ctx, false));
        try {
          const report = app.oncallReport({
            fromIso,
            toIso,
            teamSlug: opts.team,
            policySlug: opts.policy,
          });
          if (opts.json) return ctx.exact(JSON.stringify(report, null, 2));
          if (opts.csv) return ctx.exact(reportCsv(report).trimEnd());
          ctx.out(`on-call hours from ${report.from} to ${report.to} (split in ${report.timeZone}):`);
          if (report.rows.length === 0)
            return ctx.out(
              'nobody was on call in that window by the recorded schedules (run `policy-poll` to record them)',
            );
          for (const line of reportTable(report)) ctx.out(line);
        } finally {
          await app.close();
        }
      },
    );

  program
    .command('oncall-at <time>')
    .description(
      'who was (or will be) on call at an instant for each escalation policy, by the latest schedule read taken before it, with the override that applied',
    )
    .option('--team <slug>', 'only this team')
    .option('--policy <slug>', 'only this escalation policy')
    .option(
      '--routing-key <key>',
      'only the policies this routing key targeted at that instant, by the recorded routing keys',
    )
    .option(
      '--json',
      'print a JSON array of {team, policy, rotation, shift, username, overrideFor, start, end, readAt}',
    )
    .action(
      async (time: string, opts: { team?: string; policy?: string; routingKey?: string; json?: boolean }) => {
        const atIso = time.trim() === 'now' ? new Date().toISOString() : parseInstant(time, '<time>');
        const { createReadApp, loadCliConfig } = await import('./setup.js');
        const app = createReadApp(loadCliConfig(ctx, false));
        try {
          const key =
            opts.routingKey === undefined ? undefined : routingKeyTargets(app, opts.routingKey, atIso);
          const entries = app
            .oncallAt(atIso)
            .filter(
              (e) =>
                (opts.team === undefined || e.teamSlug === opts.team) &&
                (opts.policy === undefined || e.policySlug === opts.policy) &&
                (key === undefined || key.slugs.has(e.policySlug)),
            );
          if (opts.json) return ctx.exact(JSON.stringify(entries, null, 2));
          if (key !== undefined) ctx.out(`routing key ${opts.routingKey} at ${atIso}: ${key.text}`);
          if (entries.length === 0)
            return ctx.out(
              key?.slugs.size === 0
                ? 'it had no targets: alerts to it reached nobody'
                : `nobody on call at ${atIso} by the recorded schedules (run \`policy-poll\` to record them)`,
            );
          ctx.out(`on call at ${atIso}:`);
          for (const e of entries) ctx.out(describeAt(e));
        } finally {
          await app.close();
        }
      },
    );
}

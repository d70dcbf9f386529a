/**
 * The coverage audit commands: `policy-poll` (one policy poll), `coverage` (the open findings)
 * and `offboard-check <username>` (a read-only offboarding preflight, GET requests only).
 */

import type { Command } from 'commander';
import type { PolicyListWait, PolicyPollResult } from '../cycles/policy-cycle.js';
import { CliExit } from '../errors.js';
import { describeFinding } from '../roster/coverage-events.js';
import { isCoverageEvent } from '../roster/events.js';
import type { CliContext } from './context.js';
import { formatTable } from './table.js';

/** The policies listed but not read in this poll, by slug: they are unknown, not gone. */
function unread(result: PolicyPollResult): string {
  const slugs = (result.fetched?.failedScopes ?? []).flatMap((f) => (f.kind === 'policy' ? [f.slug] : []));
  if (slugs.length === 0) return '';
  return `; listed but unreadable (unknown until read, not gone; tried again next poll): ${slugs.join(', ')}`;
}

/** The routing keys read, or why they were not: a failed read keeps the recorded keys. */
function routingKeysNote(result: PolicyPollResult): string {
  const failed = (result.fetched?.failedScopes ?? []).find((f) => f.kind === 'routing-keys');
  if (failed)
    return `; the routing keys could not be read (kept as recorded, none reported removed): ${failed.reason}`;
  const keys = result.fetched?.routingKeys;
  return keys ? `, ${keys.length} routing keys` : '';
}

function describePolicyResult(result: PolicyPollResult): string {
  const base = `run ${result.runId} (policy): ${result.status}`;
  const findings = result.events.filter((e) => isCoverageEvent(e.type)).length;
  const counts = `${result.fetched?.policies.length ?? 0} policies, ${result.changes} policy changes, ${findings} coverage events`;
  switch (result.status) {
    case 'failed':
      return `${base}: ${result.error ?? 'unknown error'}`;
    case 'partial':
      return `${base}: ${counts}${routingKeysNote(result)}; ${result.fetched?.failedScopes.length ?? 0} policies, schedules or routing-key lists could not be read and kept their previous state${unread(result)}`;
    default:
      return `${base}: ${counts}${routingKeysNote(result)}${unread(result)}`;
  }
}

/** Why `policy-poll` is waiting and for how long: the list was read recently (doctor, a poll, the daemon). */
export function describeListWait(wait: PolicyListWait): string {
  const agoS = Math.max(0, Math.round((wait.intervalMs - wait.waitMs) / 1000));
  return `the VictorOps policy list was read ${agoS} s ago (by doctor, a poll or the daemon), and VictorOps documents a limit of one call a minute on it (POLICY_LIST_MIN_INTERVAL_MS=${wait.intervalMs}): waiting ${Math.ceil(wait.waitMs / 1000)} s before reading it (Ctrl-C to stop; --no-wait refuses instead)`;
}

export function registerCoverageCommands(program: Command, ctx: CliContext): void {
  program
    .command('policy-poll')
    .description(
      'poll escalation policies and on-call schedules once, update coverage findings, then deliver (exit 0 ok/partial/baseline, 1 failed, or with --no-wait the policy list was read too recently)',
    )
    .option('--no-deliver', 'record only; leave deliveries for `roster-watch deliver` or the daemon')
    .option(
      '--no-wait',
      'when the policy list was read less than POLICY_LIST_MIN_INTERVAL_MS ago (VictorOps allows one call a minute), refuse instead of waiting',
    )
    .option('--wait', 'wait out the policy list interval (the default; kept for scripts)')
    .action(async (opts: { deliver: boolean; wait?: boolean }) => {
      const { createApp } = await import('../app.js');
      const { createCliLogger, loadCliConfig } = await import('./setup.js');
      const config = loadCliConfig(ctx, true);
      const logger = createCliLogger(config);
      const app = createApp({
        config,
        logger,
        whenListTooSoon: opts.wait === false ? 'refuse' : 'wait',
        onPolicyListWait: (wait) => ctx.err(describeListWait(wait)),
      });
      try {
        const result = await app.pollPolicies(ctx.signal);
        ctx.out(describePolicyResult(result));
        if (opts.deliver) await app.deliverDue(ctx.signal);
        if (result.status === 'failed')
          throw new CliExit(1, 'the policy poll failed: nothing was changed in the history');
      } finally {
        await app.close();
      }
    });

  program
    .command('coverage')
    .description('print the open coverage findings (from the database; run `policy-poll` to refresh them)')
    .option('--json', 'print a JSON array: [{"kind", "key", "firstSeen", "message", "finding"}]')
    .action(async (opts: { json?: boolean }) => {
      const { createReadApp, loadCliConfig } = await import('./setup.js');
      const app = createReadApp(loadCliConfig(ctx, false));
      try {
        const open = app.openFindings().map((o) => ({
          kind: o.finding.kind,
          key: o.finding.key,
          firstSeen: o.firstSeen,
          message: describeFinding(o.finding),
          finding: o.finding,
        }));
        if (opts.json) return ctx.exact(JSON.stringify(open, null, 2));
        if (open.length === 0 && !app.hasPolicyPoll())
          return ctx.out(
            'no policy poll has run yet, so coverage is unknown: run `roster-watch policy-poll` (or the daemon, `roster-watch run`) first',
          );
        if (open.length === 0) return ctx.out('no open coverage findings');
        ctx.out(`${open.length} open coverage finding${open.length === 1 ? '' : 's'}:`);
        const rows = open.map((f) => [f.kind, f.firstSeen, f.message]);
        for (const line of formatTable(['kind', 'first seen', 'what to do'], rows)) ctx.out(line);
      } finally {
        await app.close();
      }
    });

  program
    .command('offboard-check <username>')
    .description(
      "read-only offboarding preflight: the user's teams, policy steps and upcoming shifts, and what to do before deleting them (exit 0 safe to delete, 3 references remain, 4 cannot tell: no policies could be read or are recorded, 1 error)",
    )
    .option('--json', 'print the report as JSON')
    .action(async (username: string, opts: { json?: boolean }) => {
      const { runOffboardCheck } = await import('./offboard-check.js');
      await runOffboardCheck(ctx, username, opts.json === true);
    });
}

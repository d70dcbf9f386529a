/**
 * The identity commands: `identity-sync` (read every configured source once, record findings,
 * deliver) and `identity` (the open findings, from the database).
 */
import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import type { IdentitySyncResult } from '../cycles/identity-cycle.js';
import { CliExit } from '../errors.js';
import { describeExemption, describeIdentityFinding, sourceLabel } from '../roster/identity-events.js';
import { describeUnknownStatuses, type UnknownStatus } from '../roster/identity-findings.js';
import { findExemption } from '../roster/identity-match.js';
import type { CliContext } from './context.js';
import { formatTable } from './table.js';

const NO_SOURCE =
  'no identity source is configured: set IDENTITY_FILE, LDAP_URL, OKTA_ORG_URL, ENTRA_TENANT_ID or GOOGLE_WORKSPACE_CREDENTIALS_FILE (see docs/identity.md)';

function unknownLine(count: number, values: readonly UnknownStatus[]): string {
  return `${count} identit${count === 1 ? 'y has a status' : 'ies have statuses'} not recognised (${describeUnknownStatuses(values, count)}): unknown is not active; map them with IDENTITY_FILE_STATUS_MAP`;
}

function describeSync(result: IdentitySyncResult): string[] {
  const opened = result.diff.appeared.length;
  const resolved = result.diff.resolved.length;
  const lines = [
    `run ${result.runId} (identity): ${result.status}: ${opened} findings opened, ${resolved} resolved, ${result.diff.appeared.length + result.diff.still.length} open`,
  ];
  for (const s of result.sources) {
    lines.push(`  ${s.name}: ${s.verdict}, ${s.read} identities${s.error ? ` (${s.error})` : ''}`);
    if (s.unknownCount > 0) lines.push(`    ${unknownLine(s.unknownCount, s.unknownStatuses)}`);
  }
  for (const c of result.conflicts)
    lines.push(
      `  ${c.username}: ${sourceLabel(c.source)} has records that disagree (${c.statuses.join(', ')}); took ${c.taken.status} (${c.rule === 'newest' ? 'the newest by status date' : 'no dates: active wins'})`,
    );
  if (result.usersFrozen)
    lines.push(
      '  a source could not be trusted: per-user findings kept their last state (nothing opened or resolved)',
    );
  return lines;
}

export function registerIdentityCommands(program: Command, ctx: CliContext): void {
  program
    .command('identity-sync')
    .description(
      'read every configured identity source once, reconcile it with the recorded VictorOps users, record findings, then deliver (exit 0 ok or held, 1 a source failed, 2 configuration)',
    )
    .option('--no-deliver', 'record only; leave deliveries for `roster-watch deliver` or the daemon')
    .action(async (opts: { deliver: boolean }) => {
      const { createApp } = await import('../app.js');
      const { createCliLogger, loadCliConfig } = await import('./setup.js');
      const config = loadCliConfig(ctx, false);
      const logger = createCliLogger(config);
      const app = createApp({ config, logger });
      try {
        const result = await app.syncIdentity(ctx.signal);
        if (result === null) throw new CliExit(2, NO_SOURCE);
        for (const line of describeSync(result)) ctx.out(line);
        if (opts.deliver) await app.deliverDue(ctx.signal);
        if (result.status === 'failed')
          throw new CliExit(1, 'an identity source could not be read: see identity.source_failing');
      } finally {
        await app.close();
      }
    });

  program
    .command('identity')
    .description('print the open identity findings (from the database; run `identity-sync` to refresh them)')
    .option('--json', 'print a JSON array: [{"kind", "username", "key", "firstSeen", "message", "finding"}]')
    .action(async (opts: { json?: boolean }) => {
      const { createReadApp, loadCliConfig } = await import('./setup.js');
      const config = loadCliConfig(ctx, false);
      const app = createReadApp(config);
      const now = new Date(systemClock.now()).toISOString();
      try {
        const open = app.openIdentityFindings().map((o) => ({
          kind: o.finding.kind,
          username: o.finding.username,
          key: o.finding.key,
          firstSeen: o.firstSeen,
          message: describeIdentityFinding(o.finding, now),
          finding: o.finding,
        }));
        if (opts.json) return ctx.exact(JSON.stringify(open, null, 2));
        if (open.length === 0) ctx.out('no open identity findings');
        else {
          ctx.out(`${open.length} open identity finding${open.length === 1 ? '' : 's'}:`);
          const rows = open.map((f) => [f.kind, f.firstSeen, f.message]);
          for (const line of formatTable(['kind', 'first seen', 'what to do'], rows)) ctx.out(line);
        }
        for (const s of app.identitySourceStates())
          if (s.unknownCount > 0)
            ctx.out(`${sourceLabel(s.name)}: ${unknownLine(s.unknownCount, s.unknownStatuses)}`);
        const exemptions = config.identity.exemptions;
        if (exemptions.length > 0)
          for (const user of app.rosterAt(now).users) {
            const e = findExemption(exemptions, user.username);
            if (e) ctx.out(`${user.username}: ${describeExemption(e)}`);
          }
      } finally {
        await app.close();
      }
    });
}

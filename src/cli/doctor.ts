/**
 * `roster-watch doctor`: the first command to run against a real org. Checks the configuration,
 * the credentials and every endpoint class once (GET only), then says how big the org is and what
 * a poll will cost. Exit 0: all good; 1: a check failed; 2: configuration.
 */
import type { Command } from 'commander';
import { createVictorOpsClientFromConfig, openConfiguredStore } from '../app.js';
import { systemClock } from '../clock.js';
import { CliExit } from '../errors.js';
import { redactUrl } from '../redact.js';
import { claimPolicyListCall, loadCurrentPolicies } from '../store/policies.js';
import { runDoctorChecks } from '../victorops/doctor.js';
import type { CliContext } from './context.js';
import { createCliLogger, loadCliConfig } from './setup.js';

const MARK = { ok: 'ok  ', fail: 'FAIL', skip: 'skip' } as const;

export function registerDoctorCommand(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description('check the configuration, credentials and every VictorOps endpoint once (GET only)')
    .action(async () => {
      // A configuration problem ends here with exit 2, before any request.
      const config = loadCliConfig(ctx, true);
      // Scheme and host only, as everywhere a URL is printed: a URL can carry credentials.
      ctx.out(
        `${MARK.ok} configuration: VO_BASE_URL ${redactUrl(config.victorOps.baseUrl)}, VO_MAX_RPS ${config.victorOps.maxRps}`,
      );
      const logger = createCliLogger(config);
      let store: ReturnType<typeof openConfiguredStore> | null = null;
      try {
        store = openConfiguredStore(config);
        ctx.out(`${MARK.ok} database: ${config.databasePath}`);
      } catch (error) {
        ctx.out(
          `${MARK.fail} database: ${error instanceof Error ? error.message : String(error)}: set DATABASE_PATH to a writable file`,
        );
      }
      const client = createVictorOpsClientFromConfig(config, { logger });
      try {
        const opened = store;
        const report = await runDoctorChecks({
          client,
          membershipSource: config.victorOps.membershipSource,
          maxRps: config.victorOps.maxRps,
          daysForward: config.coverage.daysForward,
          // Claimed in the database like a poll's, so doctor never makes a running daemon's next
          // policy list call exceed VictorOps' once-a-minute limit.
          claimPolicyList: () =>
            opened === null
              ? { ok: true }
              : claimPolicyListCall(opened, systemClock.now(), config.coverage.policyListMinIntervalMs),
          recordedPolicySlugs: opened === null ? [] : loadCurrentPolicies(opened).map((p) => p.slug),
          signal: ctx.signal,
        });
        for (const check of report.checks) ctx.out(`${MARK[check.status]} ${check.name}: ${check.detail}`);
        for (const line of report.summary) ctx.out(line);
        if (!report.ok || store === null) throw new CliExit(1, 'a check failed: see the FAIL lines above');
      } finally {
        await client.close();
        store?.close();
      }
    });
}

/**
 * `roster-watch doctor`: the first command to run against a real org. Checks the configuration,
 * the credentials and every endpoint class once (GET only), then says how big the org is and what
 * a poll will cost, printing each check (and each retry) as it happens. Every check has a deadline of
 * a few seconds, so doctor ends within 30 s however the org fails to answer. Exit 0: all good; 1: a
 * check failed; 2: configuration.
 */
import type { Command } from 'commander';
import { CliExit } from '../errors.js';
import { redactUrl } from '../redact.js';
import type { CliContext } from './context.js';
import { describeRetry } from './progress.js';

const MARK = { ok: 'ok  ', fail: 'FAIL', skip: 'skip' } as const;

export function registerDoctorCommand(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description('check the configuration, credentials and every VictorOps endpoint once (GET only)')
    .action(async () => {
      const { createApp } = await import('../app.js');
      const { createCliLogger, loadCliConfig } = await import('./setup.js');
      // A configuration problem ends here with exit 2, before any request.
      const config = loadCliConfig(ctx, true);
      // Scheme and host only, as everywhere a URL is printed: a URL can carry credentials.
      ctx.out(
        `${MARK.ok} configuration: VO_BASE_URL ${redactUrl(config.victorOps.baseUrl)}, VO_MAX_RPS ${config.victorOps.maxRps}`,
      );
      const logger = createCliLogger(config);
      const app = createApp({ config, logger });
      try {
        // Printed as it happens: a slow or failing org shows where doctor is, never a blank screen.
        const { databaseError, report } = await app.doctor(ctx.signal, {
          onDatabase: (error) =>
            ctx.out(
              error === null
                ? `${MARK.ok} database: ${config.databasePath}`
                : `${MARK.fail} database: ${error}: set DATABASE_PATH to a writable file`,
            ),
          onCheck: (check) => ctx.out(`${MARK[check.status]} ${check.name}: ${check.detail}`),
          onRetry: (info) => ctx.out(`     ${describeRetry(info)}`),
        });
        for (const line of report.summary) ctx.out(line);
        if (!report.ok || databaseError !== null)
          throw new CliExit(1, 'a check failed: see the FAIL lines above');
      } finally {
        await app.close();
      }
    });
}

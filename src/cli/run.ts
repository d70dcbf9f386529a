/**
 * `roster-watch run`: the daemon in the foreground. The first SIGTERM or SIGINT stops it
 * gracefully (exit 0); a second one means "now" and exits 130 without waiting. A stop that had
 * to be forced (SHUTDOWN_TIMEOUT_MS ran out) or that the daemon started itself because it cannot
 * go on (its database file was replaced) exits 1, so an orchestrator sees it was not clean.
 */
import type { Command } from 'commander';
import type { Daemon } from '../service/daemon.js';
import type { CliContext } from './context.js';

/** How long the process may linger after a clean stop before it is ended anyway. */
const EXIT_GRACE_MS = 2_000;

export function registerRunCommand(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description(
      'run as a service: poll on POLL_SCHEDULE, deliver continuously, serve /healthz, /readyz and /metrics on HTTP_HOST:HTTP_PORT',
    )
    .action(async () => {
      const { createApp } = await import('../app.js');
      const { startDaemon } = await import('../service/daemon.js');
      const { createCliLogger, loadCliConfig } = await import('./setup.js');
      const config = loadCliConfig(ctx, true);
      const logger = createCliLogger(config);
      let daemon: Daemon | null = null;
      let stopReason: string | null = null;
      let signals = 0;
      // Installed before start-up, so a signal during start-up also ends in a graceful stop.
      const onSignal = (signal: NodeJS.Signals) => {
        signals += 1;
        if (signals > 1) {
          logger.warn({ signal }, 'second signal: exiting now without waiting');
          process.exit(130);
        }
        stopReason = `received ${signal}`;
        void daemon?.stop(stopReason);
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      daemon = await startDaemon({
        config,
        logger,
        parts: await createApp({ config, logger }).daemonParts(),
      });
      if (stopReason !== null) void daemon.stop(stopReason);
      const result = await daemon.done;
      if (result.forced || result.fatal) process.exitCode = 1;
      // Everything is closed, so the process should end by itself; this unref'd timer only fires
      // if a stray handle (a library's socket or timer) would otherwise keep it running.
      setTimeout(() => process.exit(process.exitCode ?? 0), result.forced ? 0 : EXIT_GRACE_MS).unref();
    });
}

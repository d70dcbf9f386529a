#!/usr/bin/env node
/**
 * The CLI boundary: registers the commands and turns every failure into one readable line and
 * an exit code (0 ok, 1 the work failed, 2 configuration or usage). No stack trace unless
 * LOG_LEVEL=debug.
 *
 * Registering a command (name, options, help) loads none of its work: every action imports what
 * it runs (`await import('../app.js')`, `./setup.js`, the daemon, the simulator, the web view)
 * when it runs, so `poll` loads neither the web view nor the simulator, and `--help` loads no
 * package but commander (issue 21: 52 instead of 94 MB RSS at start;
 * test/e2e/cli-lazy-modules.test.ts holds it).
 */
// First: the V8 memory setting applies before the commands' modules load (see the file).
import './runtime-memory-first.js';
import { Command } from 'commander';
import { registerAuditCommands } from './cli/audit.js';
import { registerContactsCommands } from './cli/contacts-poll.js';
import type { CliContext } from './cli/context.js';
import { registerCoverageCommands } from './cli/coverage.js';
import { registerDeliverCommand } from './cli/deliver.js';
import { registerDeliveriesCommand } from './cli/deliveries.js';
import { registerDemoCommand } from './cli/demo.js';
import { registerDoctorCommand } from './cli/doctor.js';
import { registerEndpointsCommand } from './cli/endpoints.js';
import { explainError } from './cli/explain-error.js';
import { registerFetchCommand } from './cli/fetch.js';
import { registerHintsCommand } from './cli/hints.js';
import { registerIdentityCommands } from './cli/identity.js';
import { registerOncallCommands } from './cli/oncall.js';
import { registerPollCommands } from './cli/poll.js';
import { toPrintable } from './cli/printable.js';
import { registerReceiveCommand } from './cli/receive.js';
import { registerRedeliverCommand } from './cli/redeliver.js';
import { registerRunCommand } from './cli/run.js';
import { registerSimulateCommand } from './cli/simulate.js';
import { registerUiCommand } from './cli/ui.js';
import { readProcessEnv } from './config/process-env.js';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('roster-watch')
    .description(
      'Watches a VictorOps (Splunk On-Call) roster and reports drift in users, teams and memberships.',
    )
    .version(readProcessEnv().npm_package_version ?? '0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerDoctorCommand(program, ctx);
  registerFetchCommand(program, ctx);
  registerPollCommands(program, ctx);
  registerCoverageCommands(program, ctx);
  registerContactsCommands(program, ctx);
  registerOncallCommands(program, ctx);
  registerIdentityCommands(program, ctx);
  registerAuditCommands(program, ctx);
  registerDeliverCommand(program, ctx);
  registerDeliveriesCommand(program, ctx);
  registerRedeliverCommand(program, ctx);
  registerEndpointsCommand(program, ctx);
  registerHintsCommand(program, ctx);
  registerReceiveCommand(program, ctx);
  registerRunCommand(program, ctx);
  registerSimulateCommand(program);
  registerDemoCommand(program, ctx);
  registerUiCommand(program, ctx);
  for (const command of program.commands) command.exitOverride();
  return program;
}

async function main(): Promise<void> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    // A second signal means "now": the person is not waiting for a graceful stop.
    if (signals > 1) process.exit(130);
    controller.abort(new Error(`received ${signal}`));
  };
  const ctx: CliContext = {
    env: readProcessEnv(),
    out: (text) => process.stdout.write(`${toPrintable(text)}\n`),
    exact: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    stderrIsTTY: process.stderr.isTTY === true,
    signal: controller.signal,
  };
  // `roster-watch history | head` closes stdout early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const program = buildProgram(ctx);
  // Long-running commands (run, simulate, receive, demo) install their own handlers.
  const command = process.argv[2];
  if (!['run', 'simulate', 'receive', 'demo'].includes(command ?? '')) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    const { lines, exitCode } = explainError(error, readProcessEnv().LOG_LEVEL === 'debug');
    for (const line of lines) process.stderr.write(`${line}\n`);
    process.exitCode = exitCode;
  }
}

await main();

/**
 * The one place that decides what a person reads when a command fails, and the exit code
 * (0 ok, 1 the work failed, 2 configuration or usage). Keyed by the error's class name, so adding
 * an error class to src/errors.ts without saying how the CLI reports it fails the typecheck.
 */
import { CommanderError } from 'commander';
import { type AppError, isAppError } from '../errors.js';
import { scrubSecrets } from '../redact.js';

export interface Explained {
  lines: string[];
  exitCode: number;
}

type ExplainByName = { [N in AppError['name']]: (error: Extract<AppError, { name: N }>) => Explained };

const oneLine = (error: Error, exitCode: number): Explained => ({
  lines: [`error: ${error.message}`],
  exitCode,
});

const EXPLAIN: ExplainByName = {
  ConfigError: (e) => ({
    lines: ['configuration error:', ...e.problems.map((p) => `  - ${p}`)],
    exitCode: 2,
  }),
  InvalidOptionError: (e) => oneLine(e, 2),
  CliExit: (e) => ({ lines: e.message ? [`error: ${e.message}`] : [], exitCode: e.exitCode }),
  VictorOpsError: (e) => ({
    lines: [`error: could not fetch the roster from VictorOps: ${e.message}`],
    exitCode: 1,
  }),
  PolicyListTooSoonError: (e) => oneLine(e, 1),
  NoRosterError: (e) => oneLine(e, 1),
  StoreError: (e) => oneLine(e, 1),
  IdentitySourceError: (e) => oneLine(e, 1),
  PollAbortedError: (e) => oneLine(e, 1),
  OutboxError: (e) => oneLine(e, 2),
  HttpServerError: (e) => oneLine(e, 1),
  // Shown by the web view as its status; one that escapes to a command is still one line.
  PageError: (e) => oneLine(e, 1),
  SimOrgError: (e) => oneLine(e, 1),
};

/**
 * What a person reads, with every configured secret cut out of every line (src/redact.ts): this is
 * where an error becomes text for the terminal.
 */
export function explainError(error: unknown, debug: boolean): Explained {
  const explained = explainUnscrubbed(error, debug);
  return { ...explained, lines: explained.lines.map(scrubSecrets) };
}

function explainUnscrubbed(error: unknown, debug: boolean): Explained {
  if (isAppError(error)) return (EXPLAIN[error.name] as (e: AppError) => Explained)(error);
  if (error instanceof CommanderError) {
    // Commander has already printed its own message (usage errors, --help, --version).
    const ok =
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.code === 'commander.help';
    return { lines: [], exitCode: ok ? 0 : 2 };
  }
  const message = error instanceof Error ? error.message : String(error);
  const lines = [`error: ${message}`];
  if (debug && error instanceof Error && error.stack) lines.push(error.stack);
  else lines.push('(set LOG_LEVEL=debug for details)');
  return { lines, exitCode: 1 };
}

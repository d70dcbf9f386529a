/**
 * What every CLI command receives. Commands are thin: they load config, build what they need
 * through `app.ts`, call into the domain and print. Only `src/cli.ts` decides exit codes.
 */
import type { Env } from '../config/reader.js';

export interface CliContext {
  env: Env;
  /** One human-readable line to stdout; control characters are shown, not sent to the terminal. */
  out(text: string): void;
  /** Output printed exactly as given: `--json` documents, or text the caller made printable itself. */
  exact(text: string): void;
  /** One line to stderr (progress, human notices). */
  err(text: string): void;
  /** True when stderr is a terminal (live progress instead of log lines). */
  stderrIsTTY: boolean;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

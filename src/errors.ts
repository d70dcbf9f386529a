/**
 * Every error roster-watch raises on purpose, on the ground floor so any layer can throw one and
 * only the CLI boundary decides what a person reads and the exit code (src/cli/explain-error.ts).
 * Each carries a `code` (what went wrong, stable for logs and tests) and `retryable` (whether the
 * same call later can succeed). Messages never contain a secret.
 */
import { scrubSecrets } from './redact.js';

/** The common shape; `name` tells the classes apart so the CLI's mapping can be exhaustive. */
export abstract class RosterWatchError extends Error {
  abstract override readonly name: AppError['name'];
  abstract readonly code: string;
  abstract readonly retryable: boolean;
  /** The message loses every configured secret here, whatever a server echoed into it. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message === undefined ? undefined : scrubSecrets(message), options);
  }
}

export type AppError =
  | ConfigError
  | InvalidOptionError
  | CliExit
  | StoreError
  | VictorOpsError
  | IdentitySourceError
  | PolicyListTooSoonError
  | NoRosterError
  | PollAbortedError
  | OutboxError
  | HttpServerError
  | PageError
  | SimOrgError;

export function isAppError(error: unknown): error is AppError {
  return error instanceof RosterWatchError;
}

/** Thrown with every problem found; the CLI prints `problems` one per line and exits 2. */
export class ConfigError extends RosterWatchError {
  override readonly name = 'ConfigError';
  readonly code = 'config';
  readonly retryable = false;
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** A bad option value: exit code 2 with this one line. */
export class InvalidOptionError extends RosterWatchError {
  override readonly name = 'InvalidOptionError';
  readonly code = 'usage';
  readonly retryable = false;
}

/** Thrown by a command to end with a specific exit code and a one-line message. */
export class CliExit extends RosterWatchError {
  override readonly name = 'CliExit';
  readonly code = 'exit';
  readonly retryable = false;
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

export class StoreError extends RosterWatchError {
  override readonly name = 'StoreError';
  readonly code = 'store';
  readonly retryable = false;
}

/**
 * There is no history (database file) at the path: the expected case for a command run before
 * anything was recorded, told apart by type from a history that is there but cannot be used.
 */
export class NoDatabaseError extends StoreError {}

export type VictorOpsErrorCode =
  | 'auth'
  | 'rate_limited'
  | 'http'
  | 'not_found'
  | 'malformed'
  | 'shape'
  | 'too_large'
  | 'timeout'
  | 'network'
  | 'deadline'
  | 'aborted';

/**
 * A failure of the VictorOps adapter: the request path (never headers) and whether retrying can
 * help. Messages are safe to show a person: they never contain the key.
 */
export class VictorOpsError extends RosterWatchError {
  override readonly name = 'VictorOpsError';
  readonly code: VictorOpsErrorCode;
  readonly retryable: boolean;
  readonly path: string | undefined;
  readonly status: number | undefined;
  /** Milliseconds the server asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: VictorOpsErrorCode,
    message: string,
    options: { retryable: boolean; path?: string; status?: number; retryAfterMs?: number; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable;
    this.path = options.path;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export type IdentitySourceErrorCode =
  | 'unreadable'
  | 'auth'
  | 'unreachable'
  | 'bad-response'
  | 'rate-limited'
  | 'timeout';

export class IdentitySourceError extends RosterWatchError {
  override readonly name = 'IdentitySourceError';
  constructor(
    readonly code: IdentitySourceErrorCode,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The policy list was read less than POLICY_LIST_MIN_INTERVAL_MS ago (by any process). */
export class PolicyListTooSoonError extends RosterWatchError {
  override readonly name = 'PolicyListTooSoonError';
  readonly code = 'too_soon';
  readonly retryable = true;
  constructor(
    readonly retryInMs: number,
    intervalMs: number,
  ) {
    super(
      `the VictorOps policy list was read less than ${intervalMs} ms ago (POLICY_LIST_MIN_INTERVAL_MS; VictorOps allows about one call a minute): try again in ${Math.ceil(retryInMs / 1000)} s, or leave out --no-wait to wait`,
    );
  }
}

/** Identity reconciliation needs the VictorOps roster it reconciles. */
export class NoRosterError extends RosterWatchError {
  override readonly name = 'NoRosterError';
  readonly code = 'no_roster';
  readonly retryable = false;
  constructor(then = '`roster-watch identity-sync`') {
    super(`no VictorOps roster is recorded yet: run \`roster-watch poll\` first, then ${then}`);
  }
}

/** Thrown when a poll is cancelled; nothing was written, so the next poll simply starts over. */
export class PollAbortedError extends RosterWatchError {
  override readonly name = 'PollAbortedError';
  readonly code = 'aborted';
  readonly retryable = true;
  constructor() {
    super('the poll was cancelled before it was recorded; nothing was written');
  }
}

/** A redelivery that names no event or an unreadable time: a usage problem, exit 2. */
export class OutboxError extends RosterWatchError {
  override readonly name = 'OutboxError';
  readonly retryable = false;
  constructor(
    readonly code: 'unknown-event' | 'bad-selector',
    message: string,
  ) {
    super(message);
  }
}

/** The health/metrics/web server could not listen (the port is taken, the host is not ours). */
export class HttpServerError extends RosterWatchError {
  override readonly name = 'HttpServerError';
  readonly code = 'http';
  readonly retryable = false;
}

/** A web page's bad parameter (400) or unknown entity (404): the web view shows it as that status. */
export class PageError extends RosterWatchError {
  override readonly name = 'PageError';
  readonly code: 'bad_request' | 'not_found';
  readonly retryable = false;
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
    this.code = status === 400 ? 'bad_request' : 'not_found';
  }
}

/** The simulated org's domain errors; its API routes turn each code into the status the real API uses. */
export type SimOrgErrorCode =
  | 'user-not-found'
  | 'team-not-found'
  | 'policy-not-found'
  | 'username-taken'
  | 'slug-taken'
  | 'replacement-not-found'
  | 'not-a-member'
  | 'invalid-shift'
  | 'routing-key-not-found'
  | 'invalid-routing-key';

export class SimOrgError extends RosterWatchError {
  override readonly name = 'SimOrgError';
  readonly retryable = false;
  constructor(
    readonly code: SimOrgErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Typed failures of the VictorOps adapter. Each carries a code, the request path (never headers)
 * and whether retrying can help. Messages are safe to show a person: they never contain the key.
 */
export type VictorOpsErrorCode =
  | 'auth'
  | 'rate_limited'
  | 'http'
  | 'not_found'
  | 'malformed'
  | 'too_large'
  | 'timeout'
  | 'network'
  | 'deadline'
  | 'aborted';

export class VictorOpsError extends Error {
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
    this.name = 'VictorOpsError';
    this.code = code;
    this.retryable = options.retryable;
    this.path = options.path;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A short, single-line excerpt of a response body for error messages. */
export function excerpt(body: string, max = 120): string {
  const oneLine = body.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

/**
 * Keeps only what is safe from a low-level error (name, code, message) so a cause chain can never
 * carry request options or headers into a log line.
 */
export function sanitizeCause(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const safe = new Error(error.message);
  safe.name = error.name;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') (safe as Error & { code: string }).code = code;
  return safe;
}

/** Helpers for the VictorOps adapter's error messages (the error class itself lives in src/errors.ts). */

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

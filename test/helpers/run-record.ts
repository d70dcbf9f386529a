/** A finished run as tests record it: one request, no counts, no change, no error. */
import type { NewRun, RunKind } from '../../src/store/runs.js';

export function quietRun(kind: RunKind, at: string): NewRun {
  const stats = { requests: 1, retries: 0, rateLimited: 0 };
  return {
    kind,
    startedAt: at,
    finishedAt: at,
    status: 'ok',
    strategy: null,
    stats,
    counts: null,
    failedScopes: [],
    changeCount: 0,
    error: null,
    rosterHash: null,
  };
}

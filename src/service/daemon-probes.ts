/**
 * The daemon's probes as pure judgements over a snapshot: what /readyz and /healthz answer, given
 * what the daemon read at one moment. The daemon takes the snapshot (database, clock, counters,
 * its jobs' running polls); these functions only judge it, so every answer is testable without a
 * running daemon.
 */
import type { LastSuccess } from '../app/reads.js';
import { assessLiveness, assessReadiness, type ProbeResult } from './http-server.js';

/** What the daemon's readiness is judged on, read at one moment. */
export interface DaemonReadinessSnapshot {
  nowMs: number;
  startedAtMs: number;
  intervalMs: number;
  /** Whether the path still names the database file the daemon has open; null once it is closed. */
  file: { ok: true } | { ok: false; reason: string } | null;
  /** The last successful poll from the database, or why the database cannot tell. */
  lastSuccess: LastSuccess;
  pollsFinishedSinceStart: number;
  stopping: boolean;
}

/**
 * Not ready while the database file was replaced or deleted (the probe names the file problem,
 * even during the shutdown that problem starts); otherwise assessReadiness's rules.
 */
export function judgeDaemonReadiness(snapshot: DaemonReadinessSnapshot): ProbeResult {
  if (snapshot.file !== null && !snapshot.file.ok) return snapshot.file;
  const last = snapshot.lastSuccess;
  return assessReadiness({
    nowMs: snapshot.nowMs,
    startedAtMs: snapshot.startedAtMs,
    intervalMs: snapshot.intervalMs,
    database: last.ok ? { ok: true } : last,
    lastSuccessAtMs: last.ok ? last.atMs : null,
    pollsFinishedSinceStart: snapshot.pollsFinishedSinceStart,
    stopping: snapshot.stopping,
  });
}

/** One scheduled job as liveness sees it: when its running poll started (monotonic ms), if one runs. */
export interface JobLivenessSnapshot {
  label: string;
  pollStartedAtMs: number | null;
  stuckAfterMs: number;
}

/** Alive unless a job's running poll has run past its limit, measured on the monotonic clock. */
export function judgeDaemonLiveness(
  jobs: readonly JobLivenessSnapshot[],
  monotonicNowMs: number,
): ProbeResult {
  return assessLiveness({
    polls: jobs.map((job) => ({
      label: job.label,
      runningMs: job.pollStartedAtMs === null ? null : monotonicNowMs - job.pollStartedAtMs,
      limitMs: job.stuckAfterMs,
    })),
  });
}

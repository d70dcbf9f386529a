/**
 * Live fetch progress on stderr: a single rewritten line on a terminal, a plain line every
 * few seconds otherwise. Never on stdout, which belongs to --json output.
 */
import type { RetryInfo } from '../victorops/client.js';
import type { FetchProgress } from '../victorops/fetch-roster.js';
import type { CliContext } from './context.js';

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function describeProgress(p: FetchProgress): string {
  const rate = p.elapsedMs > 0 ? (p.done / p.elapsedMs) * 1000 : 0;
  const left = rate > 0 ? ((p.planned - p.done) / rate) * 1000 : 0;
  const strategy = p.strategy ? ` by ${p.strategy}` : '';
  return `fetching roster${strategy}: ${p.done}/${p.planned} requests, ${rate.toFixed(1)} req/s, ~${formatDuration(left)} left`;
}

/** One retry as `doctor`, `poll` and `fetch` print it: `GET /v1/user: retrying 2/3 in 1.2 s after 403…`. */
export function describeRetry(info: RetryInfo): string {
  return `GET ${info.path.split('?')[0]}: retrying ${info.retry}/${info.of} in ${(info.delayMs / 1000).toFixed(1)} s after ${info.cause}…`;
}

export function createProgressReporter(ctx: CliContext, intervalMs = 5_000) {
  let lastPrint = 0;
  let drewLine = false;
  return {
    /** On a terminal, each retry gets a line of its own above the live progress line. */
    onRetry(info: RetryInfo) {
      if (!ctx.stderrIsTTY) return;
      process.stderr.write(`${drewLine ? '\r\x1b[2K' : ''}${describeRetry(info)}\n`);
      drewLine = false;
    },
    onProgress(p: FetchProgress) {
      if (ctx.stderrIsTTY) {
        process.stderr.write(`\r\x1b[2K${describeProgress(p)}`);
        drewLine = true;
        return;
      }
      if (p.elapsedMs - lastPrint >= intervalMs && p.done < p.planned) {
        lastPrint = p.elapsedMs;
        ctx.err(describeProgress(p));
      }
    },
    finish() {
      if (drewLine) process.stderr.write('\r\x1b[2K');
      drewLine = false;
    },
  };
}

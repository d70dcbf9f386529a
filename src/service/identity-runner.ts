/**
 * The daemon's identity part, in one place: the sources, the scheduled sync (IDENTITY_SCHEDULE, no
 * overlap), a sync as soon as the export file changes, and the per-source metrics. The daemon only
 * starts it, runs it once after the start-up polls, and stops it.
 */
import type { Registry } from 'prom-client';
import type { DaemonParts } from '../app/types.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/load-config.js';
import { PollAbortedError } from '../errors.js';
import type { Logger } from '../logger.js';
import { watchIdentityFile } from './identity-file-watch.js';
import { registerIdentityMetrics } from './identity-metrics.js';
import { type CreateTicker, createPollScheduler } from './scheduler.js';

export interface IdentityRunnerDeps {
  config: Config;
  /** The sync and its sources, built by the composition root. */
  identity: DaemonParts['identity'];
  /** The per-source states and open findings, for the metrics. */
  reads: Pick<DaemonParts['reads'], 'identitySourceStates' | 'openIdentityFindingsByKind'>;
  logger: Logger;
  clock: Clock;
  registry: Registry;
  /** Wakes the outbox dispatcher when a sync recorded events. */
  notify: () => void;
  createTicker?: CreateTicker | undefined;
}

export interface IdentityRunner {
  /** The cron expression, or "off". */
  schedule: string;
  start(): void;
  /** One sync now (skipped if one is running); a no-op when identity syncs are off. */
  runNow(): Promise<void>;
  /** Stops watching and scheduling, cancels a running sync, closes the sources' connections. */
  stop(): Promise<void>;
}

export function createIdentityRunner(deps: IdentityRunnerDeps): IdentityRunner {
  const { config, logger, clock, identity, reads } = deps;
  const metrics = registerIdentityMetrics({
    registry: deps.registry,
    sources: identity.sourceNames,
    sourceStates: reads.identitySourceStates,
    openFindings: reads.openIdentityFindingsByKind,
  });
  const sync = async (signal: AbortSignal): Promise<void> => {
    try {
      const result = await identity.sync(signal);
      metrics.recordSync(result.status);
      if (result.events.length > 0) deps.notify();
      // Like "poll finished": an operator sees each sync (also one the export file's change started).
      logger.info({ status: result.status, events: result.events.length }, 'identity sync finished');
    } catch (error) {
      if (error instanceof PollAbortedError) throw error;
      // Source failures are recorded as findings by the sync; this is anything else (no roster
      // yet, the database refusing the commit), so nothing was recorded.
      metrics.recordSync('failed');
      logger.error({ err: error }, 'identity sync failed and could not be recorded');
    }
  };
  const schedule = config.identity.schedule;
  const scheduler =
    schedule === null
      ? null
      : createPollScheduler({
          expression: schedule.expression,
          jitterMs: 0,
          clock,
          logger: logger.child({ poll: 'identity' }),
          poll: sync,
          createTicker: deps.createTicker,
        });
  let stopWatching: () => void = () => undefined;
  return {
    schedule: schedule?.expression ?? 'off',
    start() {
      if (scheduler === null) return;
      scheduler.start();
      const file = config.identity.file;
      if (file !== null && file.watchMs > 0)
        stopWatching = watchIdentityFile(file.path, file.watchMs, () => void scheduler.runNow());
    },
    async runNow() {
      await scheduler?.runNow();
    },
    async stop() {
      stopWatching();
      await scheduler?.stop({ abort: true });
      await identity.closeSources();
    },
  };
}

/**
 * The daemon's orderly stop, in one place: no new polls, then no new deliveries, then the probes
 * and the web view, then the connections. Past SHUTDOWN_TIMEOUT_MS what is left is closed at once.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';

export interface DaemonStopResult {
  reason: string;
  /** True when the shutdown timeout ran out and connections and the database were closed anyway. */
  forced: boolean;
  /** True when the daemon stopped itself because it cannot go on (its database file was replaced). */
  fatal: boolean;
}

/** The daemon's parts as the shutdown stops them, in this order. */
export interface ShutdownSteps {
  /** No new polls: the schedulers stop (aborting a running poll), and the identity runner. */
  stopPolls(): Promise<unknown>;
  /** No new deliveries: the dispatcher lets the sends in flight finish. */
  stopDeliveries(): Promise<void>;
  /** The health, metrics and web view server stops accepting and waits for its connections. */
  closeHttp(): Promise<void>;
  closeClient(): Promise<void>;
  /** The web view's read-only connection and the database. */
  closeStores(): void;
  /** After the timeout: ends the server's open connections at once. */
  destroyHttp(): void;
}

export async function shutDown(
  reason: string,
  fatal: boolean,
  deps: { logger: Logger; clock: Clock; timeoutMs: number; steps: ShutdownSteps },
): Promise<DaemonStopResult> {
  const { logger, clock, timeoutMs, steps } = deps;
  logger.info(
    { reason, timeoutMs },
    'stopping: no new polls; cancelling the running poll and finishing deliveries',
  );
  const graceful = (async () => {
    await steps.stopPolls();
    await steps.stopDeliveries();
    await steps.closeHttp();
    await steps.closeClient();
    steps.closeStores();
  })().then(
    () => 'graceful' as const,
    (error: unknown) => {
      logger.error({ err: error }, 'error during shutdown; closing what is left');
      return 'error' as const;
    },
  );
  const timer = new AbortController();
  const expired = clock.sleep(timeoutMs, timer.signal).then(
    () => 'timeout' as const,
    () => 'cancelled' as const,
  );
  const outcome = await Promise.race([graceful, expired]);
  timer.abort();
  if (outcome === 'graceful') {
    logger.info({ reason }, 'stopped cleanly');
    return { reason, forced: false, fatal };
  }
  // Every commit is one synchronous transaction, so closing now cannot leave a partial run;
  // deliveries still in flight keep their lease and are sent again after the restart.
  if (outcome === 'timeout')
    logger.warn({ timeoutMs }, 'shutdown timed out: closing connections and the database now');
  steps.destroyHttp();
  void steps.closeClient().catch(() => undefined);
  steps.closeStores();
  return { reason, forced: true, fatal };
}

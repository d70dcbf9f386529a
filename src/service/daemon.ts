/**
 * `roster-watch run`: the long-running service. It runs the parts the App built (DaemonParts: the
 * polls, the identity sync, the outbox dispatcher and the database reads its probes and metrics
 * need) on the cron schedulers, serves the health, metrics and web view, and owns the orderly
 * shutdown. It reads no environment and touches no store module: everything comes from Config and
 * the App.
 */
import type { DaemonParts } from '../app/types.js';
import { type Clock, monotonicNow, systemClock } from '../clock.js';
import type { Config } from '../config/load-config.js';
import { PollAbortedError } from '../errors.js';
import type { Logger } from '../logger.js';
import { policyPollCost, scheduleThatFits } from '../roster/policy-poll-cost.js';
import type { Store } from '../store/db.js';
import { createUiHandler } from '../web/router.js';
import { assessReadiness, type HttpServer, type ProbeResult, startHttpServer } from './http-server.js';
import { createIdentityRunner } from './identity-runner.js';
import { createServiceMetrics, type ServiceMetrics } from './metrics.js';
import { type CreateTicker, createPollScheduler, type PollScheduler } from './scheduler.js';

/** Past the fetch deadline (which ends every fetch) by this much, a running poll means a stuck loop. */
const STUCK_POLL_MARGIN_MS = 60_000;

export interface DaemonDeps {
  config: Config;
  logger: Logger;
  clock?: Clock;
  parts: DaemonParts;
  /** Replaces node-cron's ticks (tests). */
  createTicker?: CreateTicker;
  /** In [0, 1), for the poll jitter. */
  random?: () => number;
}

export interface DaemonStopResult {
  reason: string;
  /** True when the shutdown timeout ran out and connections and the database were closed anyway. */
  forced: boolean;
  /** True when the daemon stopped itself because it cannot go on (its database file was replaced). */
  fatal: boolean;
}

export interface Daemon {
  /** The port the health server listens on. */
  port: number;
  /** Starts a graceful shutdown (once; later calls return the same promise). */
  stop(reason: string): Promise<DaemonStopResult>;
  /** Settles when the daemon has stopped, whoever asked. */
  done: Promise<DaemonStopResult>;
  /**
   * Settles when the start-up polls (roster, then policies, then identities) have, or at once with
   * POLL_ON_START off: what a test awaits instead of watching the database until they show up.
   */
  startupPolls: Promise<void>;
}

interface Parts {
  config: Config;
  logger: Logger;
  clock: Clock;
  dispatcher: DaemonParts['dispatcher'];
  metrics: ServiceMetrics;
  pollRoster: DaemonParts['pollRoster'];
  pollPolicies: DaemonParts['pollPolicies'];
  /** False (and the daemon stopping, exit 1) when the database file is no longer the one open. */
  databaseFileIsOurs(): boolean;
}

/** One scheduled poll: record it, feed the metrics, wake the dispatcher when there is news. */
function createPoll(parts: Parts, onFinished: () => void): (signal: AbortSignal) => Promise<void> {
  const { logger, clock, dispatcher, metrics } = parts;
  return async (signal) => {
    if (!parts.databaseFileIsOurs()) return;
    const startedMs = monotonicNow(clock);
    try {
      const result = await parts.pollRoster(signal);
      metrics.recordPoll(result, clock.now());
      if (result.events.length > 0) dispatcher.notify();
    } catch (error) {
      if (error instanceof PollAbortedError) throw error;
      // VictorOps failures are recorded as failed runs by the cycle; this is anything else
      // (such as the database refusing the commit), so nothing was recorded.
      metrics.recordPoll(
        { status: 'failed', durationMs: monotonicNow(clock) - startedMs, events: [] },
        clock.now(),
      );
      logger.error({ err: error }, 'poll failed and could not be recorded');
    }
    onFinished();
  };
}

/**
 * One scheduled policy poll; it shares the VictorOps client (and so the key's budget, behind the
 * roster polls) with roster polls. A poll longer than its schedule's interval says so, with the
 * interval that would fit: its ticks are being deferred.
 */
function createPolicyPoll(parts: Parts, intervalMs: number): (signal: AbortSignal) => Promise<void> {
  const { logger, dispatcher, metrics } = parts;
  return async (signal) => {
    if (!parts.databaseFileIsOurs()) return;
    try {
      const result = await parts.pollPolicies(signal);
      metrics.recordPolicyPoll(result.status, result.durationMs);
      if (result.durationMs > intervalMs) {
        const fitsMinutes = Math.ceil((result.durationMs * 1.25) / 60_000);
        logger.warn(
          { durationMs: result.durationMs, scheduleIntervalMs: intervalMs },
          `the policy poll took longer than POLICY_SCHEDULE's interval: ticks that come while one runs are deferred until it ends; a schedule of every ${fitsMinutes} min or more fits this org`,
        );
      }
      if (result.events.length > 0) dispatcher.notify();
    } catch (error) {
      if (error instanceof PollAbortedError) throw error;
      metrics.recordPolicyPoll('failed');
      logger.error({ err: error }, 'policy poll failed and could not be recorded');
    }
  };
}

/**
 * Schedule by cost: a policy poll of the org as last recorded, at the budget's pace, against
 * POLICY_SCHEDULE's interval. Longer than the interval, ticks would be deferred poll after poll, so
 * the daemon says so at start-up with the schedule that fits. It does not stretch the schedule
 * itself: deferred ticks already keep polls from overlapping, and a configured schedule that
 * silently ran at another pace would surprise whoever set it.
 */
export function warnWhenPolicyScheduleTooShort(
  config: Config,
  scope: { policies: number; teams: number } | null,
  logger: Logger,
): void {
  const schedule = config.coverage.schedule;
  if (schedule === null || scope === null) return;
  const pacedRps = config.victorOps.maxRps * config.victorOps.ratePace;
  const cost = policyPollCost(scope, pacedRps);
  if (cost.seconds * 1000 <= schedule.intervalMs) return;
  const fits = scheduleThatFits(cost.seconds);
  logger.warn(
    {
      policySchedule: schedule.expression,
      scheduleIntervalMs: schedule.intervalMs,
      estimatedPolicyPollMs: Math.round(cost.seconds * 1000),
      requests: cost.requests,
      recommendedPolicySchedule: fits.expression,
    },
    `POLICY_SCHEDULE is shorter than a policy poll of this org (${cost.requests} requests, about ${Math.ceil(cost.seconds)} s at ${pacedRps.toFixed(1)} requests a second): ticks that come while one runs are deferred; POLICY_SCHEDULE='${fits.expression}' fits`,
  );
}

export async function startDaemon(deps: DaemonDeps): Promise<Daemon> {
  const { config, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const startedAtMs = clock.now();
  const { dispatcher, reads, victorOps } = deps.parts;
  const initial = reads.lastSuccess();
  const metrics = createServiceMetrics({
    destinations: deps.parts.destinationNames,
    outboxCounts: reads.outboxCounts,
    victorOpsStats: () => victorOps.stats(),
    victorOpsStatsByJob: () => victorOps.statsByJob(),
    jobNames: victorOps.jobNames,
    victorOpsShapeErrors: () => victorOps.shapeErrors(),
    endpointClasses: victorOps.endpointClasses,
    lastSuccessAtMs: initial.ok ? initial.atMs : null,
    openFindings: reads.openFindingsByKind,
    hintsUnreliable: reads.hintsUnreliable,
  });
  dispatcher.onOutcome((destination, outcome) => metrics.recordDelivery(destination, outcome));
  const identity = createIdentityRunner({
    config,
    identity: deps.parts.identity,
    reads,
    logger,
    clock,
    registry: metrics.registry,
    notify: () => dispatcher.notify(),
    ...(deps.createTicker ? { createTicker: deps.createTicker } : {}),
  });

  let pollsFinished = 0;
  let stopping = false;
  // Set once the stop function exists; a replaced database file is found before that only by a poll.
  let stopFatally: (reason: string) => void = () => undefined;
  const databaseFileIsOurs = (): boolean => {
    const file = reads.checkFile();
    if (file.ok) return true;
    if (!stopping) {
      logger.fatal(
        { database: reads.databasePath },
        `${file.reason}; stopping with exit code 1 so the orchestrator restarts roster-watch on the real file`,
      );
      stopFatally(file.reason);
    }
    return false;
  };
  const parts: Parts = {
    config,
    logger,
    clock,
    dispatcher,
    metrics,
    pollRoster: deps.parts.pollRoster,
    pollPolicies: deps.parts.pollPolicies,
    databaseFileIsOurs,
  };
  const scheduler = createPollScheduler({
    expression: config.service.schedule.expression,
    jitterMs: config.service.jitterMs,
    clock,
    logger,
    poll: createPoll(parts, () => {
      pollsFinished += 1;
    }),
    onTickSkipped: () => metrics.recordSkippedTick(),
    ...(deps.random ? { random: deps.random } : {}),
    ...(deps.createTicker ? { createTicker: deps.createTicker } : {}),
  });
  // Policies have a schedule (and a no-overlap flag) of their own: an hourly policy poll must
  // neither wait for nor delay the roster polls.
  const policySchedule = config.coverage.schedule;
  const policyScheduler: PollScheduler | null =
    policySchedule === null
      ? null
      : createPollScheduler({
          expression: policySchedule.expression,
          jitterMs: 0,
          clock,
          logger: logger.child({ poll: 'policy' }),
          poll: createPolicyPoll(parts, policySchedule.intervalMs),
          whenBusy: 'defer',
          onTickDeferred: () => metrics.recordPolicyTick('deferred'),
          onTickSkipped: () => metrics.recordPolicyTick('skipped'),
          ...(deps.createTicker ? { createTicker: deps.createTicker } : {}),
        });

  const liveness = (): ProbeResult => {
    // Monotonic: a wall clock stepped forward must not make a healthy poll look stuck.
    const runningMs = (startedMs: number | null) =>
      startedMs === null ? 0 : monotonicNow(clock) - startedMs;
    const since = scheduler.pollStartedAtMs();
    const limitMs = config.victorOps.fetchDeadlineMs + config.service.jitterMs + STUCK_POLL_MARGIN_MS;
    if (since !== null && runningMs(since) > limitMs) {
      const seconds = Math.round(runningMs(since) / 1000);
      return {
        ok: false,
        reason: `a poll has been running for ${seconds} s, past its fetch deadline: the loop is stuck`,
      };
    }
    // A policy poll may first wait out the policy list interval, then fetches under the same deadline.
    const policySince = policyScheduler?.pollStartedAtMs() ?? null;
    const policyLimitMs =
      config.coverage.policyListMinIntervalMs + config.victorOps.fetchDeadlineMs + STUCK_POLL_MARGIN_MS;
    if (policySince !== null && runningMs(policySince) > policyLimitMs) {
      const seconds = Math.round(runningMs(policySince) / 1000);
      return {
        ok: false,
        reason: `a policy poll has been running for ${seconds} s, past its fetch deadline: the loop is stuck`,
      };
    }
    return { ok: true, body: { status: 'ok' } };
  };
  const readiness = (): ProbeResult => {
    // Checked here too, so a replaced file ends the process even between two polls; the probe
    // names the file problem rather than the shutdown it starts.
    const file = reads.isOpen() ? reads.checkFile() : null;
    if (file !== null && !file.ok) {
      databaseFileIsOurs();
      return file;
    }
    const last = reads.lastSuccess();
    return assessReadiness({
      nowMs: clock.now(),
      startedAtMs,
      intervalMs: config.service.schedule.intervalMs,
      database: last.ok ? { ok: true } : last,
      lastSuccessAtMs: last.ok ? last.atMs : null,
      pollsFinishedSinceStart: pollsFinished,
      stopping,
    });
  };

  let http: HttpServer;
  // The web view reads through a read-only connection of its own: it cannot write by mistake.
  let uiStore: Store | null = null;
  try {
    uiStore = config.ui.enabled ? deps.parts.openUiStore() : null;
    http = await startHttpServer({
      host: config.service.httpHost,
      port: config.service.httpPort,
      logger,
      liveness,
      readiness,
      metrics,
      ui:
        uiStore === null
          ? undefined
          : createUiHandler({
              store: uiStore,
              auth: config.ui.auth,
              timeZone: config.ui.timeZone,
              oncall: config.oncall,
              exemptions: config.identity.exemptions,
            }),
    });
  } catch (error) {
    uiStore?.close();
    await dispatcher.stop();
    await deps.parts.closeClient();
    deps.parts.closeStore();
    throw error;
  }

  dispatcher.start();
  scheduler.start();
  policyScheduler?.start();
  identity.start();
  logger.info(
    {
      schedule: config.service.schedule.expression,
      intervalMs: config.service.schedule.intervalMs,
      jitterMs: config.service.jitterMs,
      pollOnStart: config.service.pollOnStart,
      policySchedule: policySchedule?.expression ?? 'off',
      identitySchedule: identity.schedule,
      http: `${config.service.httpHost}:${http.port}`,
      ui: config.ui.enabled
        ? `http://${config.service.httpHost}:${http.port}/ui (${config.ui.auth.kind === 'none' ? 'no authentication' : config.ui.auth.kind})`
        : 'off',
      database: reads.databasePath,
    },
    'roster-watch is running',
  );
  try {
    warnWhenPolicyScheduleTooShort(config, reads.recordedPolicyScope(), logger);
  } catch (error) {
    logger.debug({ err: error }, 'could not cost the policy poll from the recorded org');
  }
  // The start-up policy poll follows the first roster poll, so its findings see a current roster.
  // The identity sync follows both, so exposure reflects the current policies and schedules.
  const startupPolls = config.service.pollOnStart
    ? scheduler
        .runNow()
        .then(() => policyScheduler?.runNow())
        .then(() => identity.runNow())
    : Promise.resolve();

  let resolveDone: (result: DaemonStopResult) => void = () => undefined;
  const done = new Promise<DaemonStopResult>((resolve) => {
    resolveDone = resolve;
  });
  let stopPromise: Promise<DaemonStopResult> | null = null;

  async function shutdown(reason: string, fatal: boolean): Promise<DaemonStopResult> {
    stopping = true;
    const timeoutMs = config.service.shutdownTimeoutMs;
    logger.info(
      { reason, timeoutMs },
      'stopping: no new polls; cancelling the running poll and finishing deliveries',
    );
    // Order matters: no new poll, then no new deliveries, then the probes, then the connections.
    const graceful = (async () => {
      await Promise.all([
        scheduler.stop({ abort: true }),
        policyScheduler?.stop({ abort: true }),
        identity.stop(),
      ]);
      await dispatcher.stop();
      await http.close();
      await deps.parts.closeClient();
      uiStore?.close();
      deps.parts.closeStore();
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
    http.destroy();
    void deps.parts.closeClient().catch(() => undefined);
    uiStore?.close();
    deps.parts.closeStore();
    return { reason, forced: true, fatal };
  }

  const stop = (reason: string, fatal: boolean): Promise<DaemonStopResult> => {
    stopPromise ??= shutdown(reason, fatal).then((result) => {
      resolveDone(result);
      return result;
    });
    return stopPromise;
  };
  stopFatally = (reason) => void stop(reason, true);
  return { port: http.port, done, startupPolls, stop: (reason) => stop(reason, false) };
}

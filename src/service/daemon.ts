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
import type { Logger } from '../logger.js';
import { policyPollCost, scheduleThatFits } from '../roster/policy-poll-cost.js';
import type { Store } from '../store/db.js';
import { createUiHandler } from '../web/router.js';
import {
  assessLiveness,
  assessReadiness,
  type HttpServer,
  type ProbeResult,
  startHttpServer,
} from './http-server.js';
import { createIdentityRunner } from './identity-runner.js';
import { createServiceMetrics } from './metrics.js';
import type { CreateTicker } from './scheduler.js';
import { createScheduledJobs, type Parts } from './schedules.js';
import { type DaemonStopResult, shutDown } from './shutdown.js';

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

export type { DaemonStopResult };

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
    createTicker: deps.createTicker,
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
    pollContacts: deps.parts.pollContacts,
    databaseFileIsOurs,
  };
  const jobs = createScheduledJobs(parts, {
    onRosterPollFinished: () => {
      pollsFinished += 1;
    },
    random: deps.random,
    createTicker: deps.createTicker,
  });

  const liveness = (): ProbeResult => {
    // Monotonic: a wall clock stepped forward must not make a healthy poll look stuck.
    const runningMs = (startedMs: number | null) =>
      startedMs === null ? null : monotonicNow(clock) - startedMs;
    return assessLiveness({
      polls: jobs.map((job) => ({
        label: job.label,
        runningMs: runningMs(job.scheduler.pollStartedAtMs()),
        limitMs: job.stuckAfterMs,
      })),
    });
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
              reachExemptions: config.reach.exemptions,
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
  for (const job of jobs) job.scheduler.start();
  identity.start();
  logger.info(
    {
      schedule: config.service.schedule.expression,
      intervalMs: config.service.schedule.intervalMs,
      jitterMs: config.service.jitterMs,
      pollOnStart: config.service.pollOnStart,
      policySchedule: config.coverage.schedule?.expression ?? 'off',
      contactsSchedule: config.contacts.schedule?.expression ?? 'off',
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
  // The start-up polls run in the jobs' order (the policy poll after the roster poll, so its findings
  // see a current roster); the identity sync follows them all, so exposure reflects current policies.
  const startupPolls = config.service.pollOnStart
    ? jobs
        .reduce<Promise<unknown>>(
          (previous, job) => previous.then(() => job.scheduler.runNow()),
          Promise.resolve(),
        )
        .then(() => identity.runNow())
    : Promise.resolve();

  let resolveDone: (result: DaemonStopResult) => void = () => undefined;
  const done = new Promise<DaemonStopResult>((resolve) => {
    resolveDone = resolve;
  });
  let stopPromise: Promise<DaemonStopResult> | null = null;

  const shutdown = (reason: string, fatal: boolean): Promise<DaemonStopResult> => {
    stopping = true;
    // Order matters (shutdown.ts): no new poll, then no new deliveries, then the probes, then the connections.
    return shutDown(reason, fatal, {
      logger,
      clock,
      timeoutMs: config.service.shutdownTimeoutMs,
      steps: {
        stopPolls: () =>
          Promise.all([...jobs.map((job) => job.scheduler.stop({ abort: true })), identity.stop()]),
        stopDeliveries: () => dispatcher.stop(),
        closeHttp: () => http.close(),
        closeClient: () => deps.parts.closeClient(),
        closeStores: () => {
          uiStore?.close();
          deps.parts.closeStore();
        },
        destroyHttp: () => http.destroy(),
      },
    });
  };

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

/**
 * `roster-watch run`: the long-running service. It runs the parts the App built (DaemonParts: the
 * polls, the identity sync, the outbox dispatcher and the database reads its probes and metrics
 * need) on the cron schedulers, serves the health, metrics and web view, and owns the orderly
 * shutdown. It reads no environment and touches no store module: everything comes from Config and
 * the App.
 */
import type { DaemonReads } from '../app/reads.js';
import type { DaemonParts } from '../app/types.js';
import { type Clock, monotonicNow, systemClock } from '../clock.js';
import type { Config } from '../config/load-config.js';
import type { Logger } from '../logger.js';
import { policyPollCost, scheduleThatFits } from '../roster/policy-poll-cost.js';
import type { Store } from '../store/db.js';
import { createUiHandler } from '../web/router.js';
import { judgeDaemonLiveness, judgeDaemonReadiness } from './daemon-probes.js';
import { type HttpServer, type ProbeResult, startHttpServer } from './http-server.js';
import { createIdentityRunner, type IdentityRunner } from './identity-runner.js';
import { createServiceMetrics, type ServiceMetrics } from './metrics.js';
import type { CreateTicker } from './scheduler.js';
import { createScheduledJobs, type ScheduledJob } from './schedules.js';
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

/** What the daemon's parts share while it runs: the counters readiness judges, and the fatal stop. */
interface DaemonState {
  pollsFinished: number;
  stopping: boolean;
  /** Set once the stop function exists; a replaced database file is found before that only by a poll. */
  stopFatally: (reason: string) => void;
}

function createDaemonMetrics(parts: DaemonParts, lastSuccessAtMs: number | null): ServiceMetrics {
  const { reads, victorOps } = parts;
  const metrics = createServiceMetrics({
    destinations: parts.destinationNames,
    outboxCounts: reads.outboxCounts,
    victorOpsStats: () => victorOps.stats(),
    victorOpsStatsByJob: () => victorOps.statsByJob(),
    jobNames: victorOps.jobNames,
    victorOpsShapeErrors: () => victorOps.shapeErrors(),
    endpointClasses: victorOps.endpointClasses,
    lastSuccessAtMs,
    openFindings: reads.openFindingsByKind,
    hintsUnreliable: reads.hintsUnreliable,
  });
  parts.dispatcher.onOutcome((destination, outcome) => metrics.recordDelivery(destination, outcome));
  return metrics;
}

/** True while the path names the open database file; otherwise logs once and stops with exit code 1. */
function guardDatabaseFile(reads: DaemonReads, logger: Logger, state: DaemonState): () => boolean {
  return () => {
    const file = reads.checkFile();
    if (file.ok) return true;
    if (!state.stopping) {
      logger.fatal(
        { database: reads.databasePath },
        `${file.reason}; stopping with exit code 1 so the orchestrator restarts roster-watch on the real file`,
      );
      state.stopFatally(file.reason);
    }
    return false;
  };
}

interface ProbeDeps {
  config: Config;
  clock: Clock;
  reads: DaemonReads;
  jobs: readonly ScheduledJob[];
  state: DaemonState;
  startedAtMs: number;
  databaseFileIsOurs: () => boolean;
}

/** The probes: each takes a snapshot and has it judged (daemon-probes.ts). */
function createProbes(deps: ProbeDeps): { liveness: () => ProbeResult; readiness: () => ProbeResult } {
  const { clock, reads, state } = deps;
  const liveness = (): ProbeResult =>
    // Monotonic: a wall clock stepped forward must not make a healthy poll look stuck.
    judgeDaemonLiveness(
      deps.jobs.map((job) => ({
        label: job.label,
        pollStartedAtMs: job.scheduler.pollStartedAtMs(),
        stuckAfterMs: job.stuckAfterMs,
      })),
      monotonicNow(clock),
    );
  const readiness = (): ProbeResult => {
    // Checked here too, so a replaced file ends the process even between two polls.
    const file = reads.isOpen() ? reads.checkFile() : null;
    const fileProblem = file !== null && !file.ok;
    if (fileProblem) deps.databaseFileIsOurs();
    return judgeDaemonReadiness({
      nowMs: clock.now(),
      startedAtMs: deps.startedAtMs,
      intervalMs: deps.config.service.schedule.intervalMs,
      file,
      lastSuccess: fileProblem ? file : reads.lastSuccess(),
      pollsFinishedSinceStart: state.pollsFinished,
      stopping: state.stopping,
    });
  };
  return { liveness, readiness };
}

/**
 * The health, metrics and web view server. The web view reads through a read-only connection of its
 * own: it cannot write by mistake. When the server cannot start, the parts are closed before the error.
 */
async function serveHttp(
  deps: DaemonDeps,
  metrics: ServiceMetrics,
  probes: ReturnType<typeof createProbes>,
): Promise<{ http: HttpServer; uiStore: Store | null }> {
  const { config, parts } = deps;
  let uiStore: Store | null = null;
  try {
    uiStore = config.ui.enabled ? parts.openUiStore() : null;
    const http = await startHttpServer({
      host: config.service.httpHost,
      port: config.service.httpPort,
      logger: deps.logger,
      ...probes,
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
    return { http, uiStore };
  } catch (error) {
    uiStore?.close();
    await parts.dispatcher.stop();
    await parts.closeClient();
    parts.closeStore();
    throw error;
  }
}

function logRunning(deps: DaemonDeps, identitySchedule: string, port: number): void {
  const { config, logger } = deps;
  const reads = deps.parts.reads;
  logger.info(
    {
      schedule: config.service.schedule.expression,
      intervalMs: config.service.schedule.intervalMs,
      jitterMs: config.service.jitterMs,
      pollOnStart: config.service.pollOnStart,
      policySchedule: config.coverage.schedule?.expression ?? 'off',
      contactsSchedule: config.contacts.schedule?.expression ?? 'off',
      identitySchedule,
      http: `${config.service.httpHost}:${port}`,
      ui: config.ui.enabled
        ? `http://${config.service.httpHost}:${port}/ui (${config.ui.auth.kind === 'none' ? 'no authentication' : config.ui.auth.kind})`
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
}

/**
 * The start-up polls run in the jobs' order (the policy poll after the roster poll, so its findings
 * see a current roster); the identity sync follows them all, so exposure reflects current policies.
 */
function runStartupPolls(
  config: Config,
  jobs: readonly ScheduledJob[],
  identity: IdentityRunner,
): Promise<void> {
  if (!config.service.pollOnStart) return Promise.resolve();
  return jobs
    .filter((job) => job.runOnStart)
    .reduce<Promise<unknown>>(
      (previous, job) => previous.then(() => job.scheduler.runNow()),
      Promise.resolve(),
    )
    .then(() => identity.runNow());
}

interface Running {
  jobs: readonly ScheduledJob[];
  identity: IdentityRunner;
  http: HttpServer;
  uiStore: Store | null;
}

/** The stop function (once: later calls share the first one's promise) and the promise it settles. */
function createStop(
  deps: DaemonDeps & { clock: Clock },
  state: DaemonState,
  running: Running,
): { stop: (reason: string, fatal: boolean) => Promise<DaemonStopResult>; done: Promise<DaemonStopResult> } {
  const { jobs, identity, http, uiStore } = running;
  const parts = deps.parts;
  let resolveDone: (result: DaemonStopResult) => void = () => undefined;
  const done = new Promise<DaemonStopResult>((resolve) => {
    resolveDone = resolve;
  });
  let stopPromise: Promise<DaemonStopResult> | null = null;
  const shutdown = (reason: string, fatal: boolean): Promise<DaemonStopResult> => {
    state.stopping = true;
    // Order matters (shutdown.ts): no new poll, then no new deliveries, then the probes, then the connections.
    return shutDown(reason, fatal, {
      logger: deps.logger,
      clock: deps.clock,
      timeoutMs: deps.config.service.shutdownTimeoutMs,
      steps: {
        stopPolls: () =>
          Promise.all([...jobs.map((job) => job.scheduler.stop({ abort: true })), identity.stop()]),
        stopDeliveries: () => parts.dispatcher.stop(),
        closeHttp: () => http.close(),
        closeClient: () => parts.closeClient(),
        closeStores: () => {
          uiStore?.close();
          parts.closeStore();
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
  return { stop, done };
}

export async function startDaemon(deps: DaemonDeps): Promise<Daemon> {
  const { config, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const startedAtMs = clock.now();
  const { dispatcher, reads } = deps.parts;
  const initial = reads.lastSuccess();
  const metrics = createDaemonMetrics(deps.parts, initial.ok ? initial.atMs : null);
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
  const state: DaemonState = { pollsFinished: 0, stopping: false, stopFatally: () => undefined };
  const databaseFileIsOurs = guardDatabaseFile(reads, logger, state);
  const { pollRoster, pollPolicies, pollContacts } = deps.parts;
  const jobs = createScheduledJobs(
    {
      config,
      logger,
      clock,
      dispatcher,
      metrics,
      pollRoster,
      pollPolicies,
      pollContacts,
      databaseFileIsOurs,
    },
    {
      onRosterPollFinished: () => {
        state.pollsFinished += 1;
      },
      random: deps.random,
      createTicker: deps.createTicker,
    },
  );
  const probes = createProbes({ config, clock, reads, jobs, state, startedAtMs, databaseFileIsOurs });
  const { http, uiStore } = await serveHttp(deps, metrics, probes);

  dispatcher.start();
  for (const job of jobs) job.scheduler.start();
  identity.start();
  logRunning(deps, identity.schedule, http.port);
  const startupPolls = runStartupPolls(config, jobs, identity);
  const { stop, done } = createStop({ ...deps, clock }, state, { jobs, identity, http, uiStore });
  state.stopFatally = (reason) => void stop(reason, true);
  return { port: http.port, done, startupPolls, stop: (reason) => stop(reason, false) };
}

/**
 * The daemon's scheduled jobs as one list: each job's poll (record it, feed the metrics, wake the
 * dispatcher), its scheduler, and how long it may run before liveness calls the loop stuck. The
 * daemon starts, runs at start-up, probes and stops them in this order. A new job is one entry.
 */
import type { DaemonParts } from '../app/types.js';
import { type Clock, monotonicNow } from '../clock.js';
import type { Config } from '../config/load-config.js';
import { PollAbortedError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ServiceMetrics } from './metrics.js';
import { type CreateTicker, createPollScheduler, type PollScheduler } from './scheduler.js';

/** Past the fetch deadline (which ends every fetch) by this much, a running poll means a stuck loop. */
const STUCK_POLL_MARGIN_MS = 60_000;

export interface ScheduledJob {
  /** How liveness names a poll of this job that runs too long. */
  label: string;
  scheduler: PollScheduler;
  /** A poll running longer than this (monotonic ms) is a stuck loop. */
  stuckAfterMs: number;
  /** Run once at start-up (POLL_ON_START), in the list's order, before its schedule's first tick. */
  runOnStart: boolean;
}

export interface Parts {
  config: Config;
  logger: Logger;
  clock: Clock;
  dispatcher: DaemonParts['dispatcher'];
  metrics: ServiceMetrics;
  pollRoster: DaemonParts['pollRoster'];
  pollPolicies: DaemonParts['pollPolicies'];
  pollContacts: DaemonParts['pollContacts'];
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

/** One scheduled contacts poll: bulk work on the shared budget, behind roster and policy polls. */
function createContactsPoll(parts: Parts): (signal: AbortSignal) => Promise<void> {
  const { logger, dispatcher, metrics } = parts;
  return async (signal) => {
    if (!parts.databaseFileIsOurs()) return;
    try {
      const result = await parts.pollContacts(signal);
      metrics.recordContactsPoll(result.status, result.read);
      if (result.events.length > 0) dispatcher.notify();
    } catch (error) {
      if (error instanceof PollAbortedError) throw error;
      metrics.recordContactsPoll('failed', 0);
      // Before the first roster poll there is nobody to read: said once per tick, not a crash.
      logger.error({ err: error }, 'contacts poll failed and could not be recorded');
    }
  };
}

export function createScheduledJobs(
  parts: Parts,
  deps: {
    onRosterPollFinished: () => void;
    random?: (() => number) | undefined;
    createTicker?: CreateTicker | undefined;
  },
): ScheduledJob[] {
  const { config, clock, logger, metrics } = parts;
  const jobs: ScheduledJob[] = [
    {
      label: 'a poll',
      scheduler: createPollScheduler({
        expression: config.service.schedule.expression,
        jitterMs: config.service.jitterMs,
        clock,
        logger,
        poll: createPoll(parts, deps.onRosterPollFinished),
        onTickSkipped: () => metrics.recordSkippedTick(),
        random: deps.random,
        createTicker: deps.createTicker,
      }),
      stuckAfterMs: config.victorOps.fetchDeadlineMs + config.service.jitterMs + STUCK_POLL_MARGIN_MS,
      runOnStart: true,
    },
  ];
  // Policies have a schedule (and a no-overlap flag) of their own: an hourly policy poll must
  // neither wait for nor delay the roster polls.
  const policySchedule = config.coverage.schedule;
  if (policySchedule !== null) {
    jobs.push({
      label: 'a policy poll',
      scheduler: createPollScheduler({
        expression: policySchedule.expression,
        jitterMs: 0,
        clock,
        logger: logger.child({ poll: 'policy' }),
        poll: createPolicyPoll(parts, policySchedule.intervalMs),
        whenBusy: 'defer',
        onTickDeferred: () => metrics.recordPolicyTick('deferred'),
        onTickSkipped: () => metrics.recordPolicyTick('skipped'),
        createTicker: deps.createTicker,
      }),
      // A policy poll may first wait out the policy list interval, then fetches under the same deadline.
      stuckAfterMs:
        config.coverage.policyListMinIntervalMs + config.victorOps.fetchDeadlineMs + STUCK_POLL_MARGIN_MS,
      runOnStart: true,
    });
  }
  // Contacts polls are off unless CONTACTS_SCHEDULE is set; their own no-overlap flag, like policies.
  const contactsSchedule = config.contacts.schedule;
  if (contactsSchedule !== null) {
    jobs.push({
      label: 'a contacts poll',
      scheduler: createPollScheduler({
        expression: contactsSchedule.expression,
        jitterMs: 0,
        clock,
        logger: logger.child({ poll: 'contacts' }),
        poll: createContactsPoll(parts),
        whenBusy: 'defer',
        createTicker: deps.createTicker,
      }),
      // Bulk work of two requests a person, one on a 1 request/s endpoint: its length grows with
      // the org and waits behind every roster and policy poll, so no length of it means "stuck".
      stuckAfterMs: Number.POSITIVE_INFINITY,
      // Not at start-up: it reads everyone the first time (hours for a large org, at one
      // paging-policy read a second), so it waits for its schedule instead of delaying the
      // identity sync that follows the start-up polls.
      runOnStart: false,
    });
  }
  return jobs;
}

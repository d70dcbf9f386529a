/**
 * The composition root: builds every part from a Config. No other module reads process.env.
 */
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config/load-config.js';
import { createDispatcher, type Dispatcher } from './delivery/dispatcher.js';
import type { PassSummary } from './delivery/pass-totals.js';
import { destinationSpecsFromConfig, planDeliveries } from './delivery/routing.js';
import { createIdentitySources } from './identity/sources-from-config.js';
import type { Logger } from './logger.js';
import { describeRequestPlan } from './roster/membership-hints.js';
import type { FetchedRoster } from './roster/types.js';
import type { IdentityCycleDeps } from './service/identity-cycle.js';
import type { PolicyCycleDeps } from './service/policy-cycle.js';
import type { PollCycleDeps } from './service/poll-cycle.js';
import { openStore, type Store } from './store/db.js';
import type { StoredEvent } from './store/events.js';
import { enqueueDeliveries, syncDestinations } from './store/outbox.js';
import { loadHintState } from './store/team-hints.js';
import { createVictorOpsClient, type VictorOpsClient } from './victorops/client.js';
import { fetchPolicies, POLICY_LIST_PATH } from './victorops/fetch-policies.js';
import { type FetchProgress, fetchRoster } from './victorops/fetch-roster.js';

export interface AppDeps {
  logger: Logger;
  clock?: Clock;
  onFetchProgress?: (progress: FetchProgress) => void;
}

export function createVictorOpsClientFromConfig(config: Config, deps: AppDeps): VictorOpsClient {
  const vo = config.victorOps;
  return createVictorOpsClient({
    baseUrl: vo.baseUrl,
    apiId: vo.apiId,
    apiKey: vo.apiKey,
    maxRps: vo.maxRps,
    concurrency: vo.concurrency,
    timeoutMs: vo.timeoutMs,
    maxRetries: vo.maxRetries,
    maxBodyBytes: vo.maxResponseBytes,
    clock: deps.clock ?? systemClock,
    onRetry: (info) => deps.logger.debug(info, 'retrying a VictorOps request'),
    endpointMinIntervalMs: { [POLICY_LIST_PATH]: config.coverage.policyListMinIntervalMs },
  });
}

export function createPolicyPollDeps(
  config: Config,
  store: Store,
  client: VictorOpsClient,
  deps: AppDeps & { enqueue?: PolicyCycleDeps['enqueue']; whenListTooSoon: 'wait' | 'refuse' },
): PolicyCycleDeps {
  const clock = deps.clock ?? systemClock;
  return {
    store,
    clock,
    logger: deps.logger,
    source: config.eventSource,
    policyListMinIntervalMs: config.coverage.policyListMinIntervalMs,
    pollFailingAfter: config.pollFailingAfter,
    oncallDaysForward: config.coverage.daysForward,
    whenListTooSoon: deps.whenListTooSoon,
    fetchPolicies: (teams, signal) =>
      fetchPolicies({
        client,
        clock,
        teams,
        daysForward: config.coverage.daysForward,
        concurrency: config.victorOps.concurrency,
        deadlineMs: config.victorOps.fetchDeadlineMs,
        signal,
      }),
    ...(deps.enqueue ? { enqueue: deps.enqueue } : {}),
  };
}

/**
 * Fetches the live roster with the configured strategy, pacing and deadline. With a store, the
 * recorded membership hints decide which teams are read (`fetch`, which records nothing, reads all).
 */
export function createRosterFetcher(
  config: Config,
  client: VictorOpsClient,
  deps: AppDeps & { store?: Store },
): (signal: AbortSignal) => Promise<FetchedRoster> {
  const clock = deps.clock ?? systemClock;
  const vo = config.victorOps;
  return (signal) =>
    fetchRoster({
      client,
      clock,
      source: vo.membershipSource,
      concurrency: vo.concurrency,
      deadlineMs: vo.fetchDeadlineMs,
      signal,
      ...(deps.store
        ? {
            hints: loadHintState(deps.store, {
              setting: vo.membershipHints,
              verifyIntervalMs: vo.membershipVerifyIntervalMs,
              nowMs: clock.now(),
            }),
          }
        : {}),
      onPlan: (plan) => {
        const requests =
          2 + (plan.mode === 'hinted' ? plan.changed.length + plan.verify.length : plan.scopes);
        deps.logger.info({ requestsPlanned: requests, plan: plan.mode }, describeRequestPlan(plan));
      },
      ...(deps.onFetchProgress ? { onProgress: deps.onFetchProgress } : {}),
    });
}

export function openConfiguredStore(config: Config): Store {
  return openStore(config.databasePath);
}

export function createPollDeps(
  config: Config,
  store: Store,
  fetch: (signal: AbortSignal) => Promise<FetchedRoster>,
  deps: AppDeps & { enqueue?: PollCycleDeps['enqueue'] },
): PollCycleDeps {
  return {
    store,
    clock: deps.clock ?? systemClock,
    logger: deps.logger,
    source: config.eventSource,
    guard: config.guard,
    pollFailingAfter: config.pollFailingAfter,
    oncallDaysForward: config.coverage.daysForward,
    fetchRoster: fetch,
    ...(deps.enqueue ? { enqueue: deps.enqueue } : {}),
  };
}

/**
 * Records the configured destinations and returns the in-transaction hook that adds one outbox
 * row per event and matching destination (plus Slack digests) next to the events themselves.
 */
export function createOutboxEnqueuer(
  config: Config,
  store: Store,
  clock: Clock = systemClock,
): (events: StoredEvent[], runId: number) => void {
  const specs = destinationSpecsFromConfig(config.delivery);
  syncDestinations(store, specs);
  return (events) => {
    if (specs.length === 0) return;
    enqueueDeliveries(store, planDeliveries(events, specs), clock.now());
  };
}

export function createConfiguredDispatcher(
  config: Config,
  store: Store,
  logger: Logger,
  clock: Clock = systemClock,
): Dispatcher {
  return createDispatcher({ store, config, logger, clock, source: config.eventSource });
}

/** One delivery pass over everything due now (the end of `poll`, and `accept`). */
export async function deliverPendingOnce(
  config: Config,
  store: Store,
  logger: Logger,
): Promise<PassSummary | null> {
  if (config.delivery.webhooks.length === 0 && config.delivery.slack === null) return null;
  const dispatcher = createConfiguredDispatcher(config, store, logger);
  try {
    return await dispatcher.runOnce();
  } finally {
    await dispatcher.stop();
  }
}

/** Identity sources and the sync's dependencies; `sources` is empty when none is configured. */
export function createIdentitySyncDeps(
  config: Config,
  store: Store,
  deps: AppDeps & { enqueue?: IdentityCycleDeps['enqueue'] },
): IdentityCycleDeps {
  const clock = deps.clock ?? systemClock;
  const id = config.identity;
  return {
    store,
    clock,
    logger: deps.logger,
    source: config.eventSource,
    guard: config.guard,
    settings: {
      rule: id.matchRule,
      explicit: new Map(Object.entries(id.explicit)),
      exemptions: id.exemptions,
    },
    sources: createIdentitySources(id, { clock }),
    ...(deps.enqueue ? { enqueue: deps.enqueue } : {}),
  };
}

/**
 * The composition root: builds every part from a Config. `createApp` is what commands, the daemon,
 * the benchmarks and the tests call; the builders below are private to it, so nothing else can
 * assemble a poll, a dispatcher or a client of its own. Its shape is in src/app/types.ts, the
 * reads it hands out in src/app/reads.ts.
 */

import { builtOnce } from './app/built-once.js';
import { createDaemonReads, createHistoryReads } from './app/reads.js';
import type { App, CreateAppOptions } from './app/types.js';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config/load-config.js';
import { type ContactsCycleDeps, runContactsPollCycle } from './cycles/contacts-cycle.js';
import { type IdentityCycleDeps, runIdentitySync } from './cycles/identity-cycle.js';
import { gatherOffboardFacts } from './cycles/offboard-facts.js';
import { type PolicyCycleDeps, type PolicyListWait, runPolicyPollCycle } from './cycles/policy-cycle.js';
import { acceptHeldChange, logRequestPlan, type PollCycleDeps, runPollCycle } from './cycles/poll-cycle.js';
import type { Dispatcher } from './delivery/dispatcher.js';
import { NoDatabaseError } from './errors.js';
import type { Logger } from './logger.js';
import { type DestinationSpec, destinationSpecsFromConfig } from './roster/delivery-plan.js';
import { openRateBudgetFile, openStore, pendingMigrations, type Store, withPageCache } from './store/db.js';
import { loadOpenHold } from './store/guard-holds.js';
import { disableDestination, enableDestination, syncDestinations } from './store/outbox.js';
import { listDestinationStates, pendingCountsByDestination } from './store/outbox-reads.js';
import {
  claimPolicyListCall,
  loadCurrentPolicies,
  markPolicyListSent,
  type PolicyListPermit,
  releasePolicyListClaim,
} from './store/policies.js';
import { holdSharedSlots, reserveSharedSlot, withdrawSharedWaiter } from './store/rate-budget.js';
import { createVictorOpsClient, type RetryInfo, type VictorOpsClient } from './victorops/client.js';
import { runDoctorChecks } from './victorops/doctor.js';
import { ENDPOINT_CLASSES, endpointClassIntervalsMs } from './victorops/endpoint-class.js';
import { fetchPersonContacts } from './victorops/fetch-contacts.js';
import { fetchPolicies } from './victorops/fetch-policies.js';
import { type FetchProgress, fetchRoster } from './victorops/fetch-roster.js';
import { JOB_NAMES, runAsJob } from './victorops/job-context.js';
import {
  createLocalSlots,
  createRateBudget,
  rateBudgetKeyId,
  type SharedSlots,
} from './victorops/rate-budget.js';

/** SQLite's page cache (KiB) while a roster or policy poll runs, one-off or the daemon's: 2 MB, as an identity sync's. */
const POLL_PAGE_CACHE_KIB = 2000;

interface AppDeps {
  logger: Logger;
  clock?: Clock;
  onFetchProgress?: ((progress: FetchProgress) => void) | undefined;
  onRetry?: (info: RetryInfo) => void;
}

/**
 * The key's send schedule in the rate budget's file beside the database, so every process using
 * the key on that database shares one budget; `store` is asked at each turn and is null when this
 * process has no database to share it through (then it paces alone).
 */
function createStoreSlots(store: () => Store | null, keyId: string): SharedSlots {
  const alone = createLocalSlots();
  return {
    reserve(request) {
      const shared = store();
      return shared ? reserveSharedSlot(shared, keyId, request) : alone.reserve(request);
    },
    hold(untilMs, nowMs, maxAheadMs) {
      const shared = store();
      if (shared) holdSharedSlots(shared, keyId, untilMs, nowMs, maxAheadMs);
      else alone.hold(untilMs, nowMs, maxAheadMs);
    },
    withdraw(waiterId) {
      const shared = store();
      if (shared) withdrawSharedWaiter(shared, keyId, waiterId);
      else alone.withdraw(waiterId);
    },
  };
}

function createVictorOpsClientFromConfig(
  config: Config,
  deps: AppDeps,
  budgetStore: () => Store | null,
  historyStore: () => Store | null,
  lead: () => boolean,
): VictorOpsClient {
  const vo = config.victorOps;
  const clock = deps.clock ?? systemClock;
  let warned = false;
  const budget = createRateBudget({
    maxRps: vo.maxRps,
    pace: vo.ratePace,
    backgroundShare: vo.backgroundShare,
    clock,
    shared: createStoreSlots(budgetStore, rateBudgetKeyId(vo.apiId, vo.apiKey)),
    lead,
    onSharedError: (error) => {
      const log = warned ? deps.logger.debug.bind(deps.logger) : deps.logger.warn.bind(deps.logger);
      warned = true;
      log(
        { err: error instanceof Error ? error.message : String(error) },
        'could not reach the shared rate budget in the database: pacing this request alone',
      );
    },
  });
  return createVictorOpsClient({
    baseUrl: vo.baseUrl,
    apiId: vo.apiId,
    apiKey: vo.apiKey,
    maxRps: vo.maxRps,
    concurrency: vo.concurrency,
    timeoutMs: vo.timeoutMs,
    maxRetries: vo.maxRetries,
    maxBodyBytes: vo.maxResponseBytes,
    clock,
    budget,
    onRetry: (info) => {
      const { error: _error, ...logged } = info;
      deps.logger.debug(logged, 'retrying a VictorOps request');
      deps.onRetry?.(info);
    },
    endpointMinIntervalMs: endpointClassIntervalsMs(config.coverage.policyListMinIntervalMs),
    onSend: (endpoint) => {
      if (endpoint !== 'v1/policies') return;
      try {
        const store = historyStore();
        if (store) markPolicyListSent(store, clock.now());
      } catch (error) {
        // The claim made before the wait still stands; only its time is less exact.
        deps.logger.debug(
          { err: error instanceof Error ? error.message : String(error) },
          'could not record the policy list call',
        );
      }
    },
  });
}

/** What every cycle is wired with the same way: the history, the clock, the log, the event source and the destinations. */
function cycleBasics(
  config: Config,
  store: Store,
  deps: AppDeps & { destinations: readonly DestinationSpec[] },
) {
  return {
    store,
    clock: deps.clock ?? systemClock,
    logger: deps.logger,
    source: config.eventSource,
    destinations: deps.destinations,
  };
}

function createPolicyPollDeps(
  config: Config,
  store: Store,
  client: VictorOpsClient,
  deps: AppDeps & {
    destinations: readonly DestinationSpec[];
    whenListTooSoon: 'wait' | 'refuse';
    onListWait?: ((wait: PolicyListWait) => void) | undefined;
  },
): PolicyCycleDeps {
  const base = cycleBasics(config, store, deps);
  const { clock } = base;
  return {
    ...base,
    policyListMinIntervalMs: config.coverage.policyListMinIntervalMs,
    pollFailingAfter: config.pollFailingAfter,
    oncallDaysForward: config.coverage.daysForward,
    reachExemptions: config.reach.exemptions,
    whenListTooSoon: deps.whenListTooSoon,
    onListWait: deps.onListWait,
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
  };
}

function createContactsPollDeps(
  config: Config,
  store: Store,
  client: VictorOpsClient,
  deps: AppDeps & { destinations: readonly DestinationSpec[] },
): ContactsCycleDeps {
  return {
    ...cycleBasics(config, store, deps),
    settings: config.contacts,
    reachExemptions: config.reach.exemptions,
    concurrency: config.victorOps.concurrency,
    daysForward: config.coverage.daysForward,
    fetchPerson: (username, signal) => fetchPersonContacts(client, username, signal),
    stats: () => client.stats(),
  };
}

/**
 * Fetches the live roster with the configured strategy, pacing and deadline. The roster cycle's
 * fetch half hands it the recorded hints and the plan's log line (`fetch`, which records nothing,
 * passes no hints and reads all).
 */
function createRosterFetcher(
  config: Config,
  client: VictorOpsClient,
  deps: AppDeps,
): PollCycleDeps['fetchRoster'] {
  const vo = config.victorOps;
  return (signal, plan) =>
    fetchRoster({
      client,
      clock: deps.clock ?? systemClock,
      source: vo.membershipSource,
      concurrency: vo.concurrency,
      deadlineMs: vo.fetchDeadlineMs,
      signal,
      ...(plan.hints ? { hints: plan.hints } : {}),
      ...(plan.knownUsers ? { knownUsers: plan.knownUsers } : {}),
      ...(plan.userEntryKey ? { userEntryKey: plan.userEntryKey } : {}),
      onPlan: plan.onPlan,
      onProgress: deps.onFetchProgress,
    });
}

function openConfiguredStore(config: Config): Store {
  return openStore(config.databasePath);
}

function createPollDeps(
  config: Config,
  store: Store,
  fetch: PollCycleDeps['fetchRoster'],
  deps: AppDeps & { destinations: readonly DestinationSpec[] },
): PollCycleDeps {
  return {
    ...cycleBasics(config, store, deps),
    guard: config.guard,
    pollFailingAfter: config.pollFailingAfter,
    oncallDaysForward: config.coverage.daysForward,
    reachExemptions: config.reach.exemptions,
    fetchRoster: fetch,
    membershipHints: {
      setting: config.victorOps.membershipHints,
      verifyIntervalMs: config.victorOps.membershipVerifyIntervalMs,
    },
  };
}

/**
 * The configured destinations, recorded by name and kind (URLs and secrets stay in config). Every
 * recorded run plans its outbox rows for these in its own transaction.
 */
function syncConfiguredDestinations(config: Config, store: Store): DestinationSpec[] {
  const specs = destinationSpecsFromConfig(config.delivery);
  syncDestinations(store, specs);
  return specs;
}

/**
 * The senders (Slack's client, webhook signing, their HTTP agents) are imported when something
 * delivers: `poll --no-deliver` and the read commands never load them (issue 21).
 */
async function createConfiguredDispatcher(
  config: Config,
  store: Store,
  logger: Logger,
  clock: Clock = systemClock,
): Promise<Dispatcher> {
  const { createDispatcher } = await import('./delivery/dispatcher.js');
  return createDispatcher({ store, config, logger, clock, source: config.eventSource });
}

/**
 * Identity sources and the sync's dependencies; `sources` is empty when none is configured. The
 * adapters (ldapts, chardet, iconv-lite, the Okta and Graph clients) are imported here, when a
 * sync or the daemon needs them, and only those of the configured kinds: a one-off `poll` never
 * loads them, a sync of a file loads the file's alone (issue 21).
 */
async function createIdentitySyncDeps(
  config: Config,
  store: Store,
  deps: AppDeps & { destinations: readonly DestinationSpec[] },
): Promise<IdentityCycleDeps> {
  const base = cycleBasics(config, store, deps);
  const id = config.identity;
  const { createIdentitySources } = await import('./identity/sources-from-config.js');
  const sources = await createIdentitySources(id, { clock: base.clock });
  return {
    ...base,
    guard: config.guard,
    settings: {
      rule: id.matchRule,
      explicit: new Map(Object.entries(id.explicit)),
      exemptions: id.exemptions,
    },
    sources,
  };
}

/**
 * The application. Nothing is opened until an operation needs it: `fetch` and `doctor` work
 * without a writable database, `accept` and `identity-sync` without VictorOps credentials. The
 * first operation that opens the store records the configured destinations, once; every run
 * plans its outbox rows for them in its own transaction.
 */
export function createApp(options: CreateAppOptions): App {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  // Who hears of retries: the CLI's printer (poll, fetch), and doctor's while it runs.
  const retryListeners = new Set<(info: RetryInfo) => void>();
  if (options.onRetry) retryListeners.add(options.onRetry);
  const deps: AppDeps = {
    logger,
    clock,
    onFetchProgress: options.onFetchProgress,
    onRetry: (info) => {
      for (const listener of retryListeners) listener(info);
    },
  };
  let opened: { store: Store; destinations: DestinationSpec[] } | null = null;
  const storeParts = () => {
    if (opened) return opened;
    const store = openConfiguredStore(config);
    try {
      opened = { store, destinations: syncConfiguredDestinations(config, store) };
    } catch (error) {
      store.close();
      throw error;
    }
    return opened;
  };
  // The audit commands read through a connection that records no destinations (and so needs no
  // delivery configuration); an App that already opened the store reads through that one.
  let reader: Store | null = null;
  const readConnection = (mustExist: boolean): Store => {
    if (opened) return opened.store;
    reader ??= openStore(config.databasePath, mustExist ? { mustExist: true } : {});
    return reader;
  };
  // The budget shares the key's schedule through a small file beside the history this App uses
  // (openRateBudgetFile says why not in it); a command run where there is no history yet (`fetch`,
  // `doctor` before anything was recorded) paces alone.
  let budgetFile: Store | null | undefined;
  const storeForBudget = (): Store | null => {
    if (budgetFile === undefined) {
      try {
        budgetFile = openRateBudgetFile(config.databasePath);
      } catch (error) {
        budgetFile = null;
        // No history yet is the expected case; a history whose budget file cannot be opened means
        // this process paces alone beside others on the key, which its operator must hear about.
        if (!(error instanceof NoDatabaseError))
          logger.warn(
            { err: (error as Error).message },
            'could not open the shared rate budget beside the history: this process paces alone, and other processes on the same VictorOps key may draw 403s',
          );
      }
    }
    return budgetFile;
  };
  // The policy list's call record stays in the history (claimed inside a poll's own transactions).
  const storeForPolicyList = (): Store | null => {
    if (opened) return opened.store;
    try {
      return readConnection(true);
    } catch {
      return null;
    }
  };
  let client: VictorOpsClient | null = null;
  // The daemon's work ranks ahead of the same kind of work in a one-shot beside it (its roster
  // polls before a `fetch`'s reads); a one-shot still gets a turn within MAX_YIELD_MS.
  let isDaemon = false;
  const victorOps = () => {
    client ??= createVictorOpsClientFromConfig(
      config,
      deps,
      storeForBudget,
      storeForPolicyList,
      () => isDaemon,
    );
    return client;
  };
  const asRosterJob = <T>(work: () => Promise<T>) => runAsJob({ job: 'roster', priority: 'roster' }, work);
  const asPolicyJob = <T>(work: () => Promise<T>) => runAsJob({ job: 'policy', priority: 'policy' }, work);
  // Contact reads are background work: roster and policy polls beside them keep their turns.
  const asContactsJob = <T>(work: () => Promise<T>) => runAsJob({ job: 'contacts', priority: 'bulk' }, work);
  // Built on first use (their modules load only then), once even when two jobs ask at the same moment.
  const identityDeps = builtOnce(() => {
    const { store, destinations } = storeParts();
    return createIdentitySyncDeps(config, store, { ...deps, destinations });
  });
  const configuredDispatcher = builtOnce(() =>
    createConfiguredDispatcher(config, storeParts().store, logger, clock),
  );
  const pollDeps = (fetch: PollCycleDeps['fetchRoster']) => {
    const { store, destinations } = storeParts();
    return createPollDeps(config, store, fetch, { ...deps, destinations });
  };
  // Each poll wired once: the one-off commands and the daemon's jobs run the same operations.
  const rosterPoll = () => {
    storeParts(); // the database before the client, as every poll opens them
    const rosterDeps = pollDeps(createRosterFetcher(config, victorOps(), deps));
    return (signal: AbortSignal) => asRosterJob(() => runPollCycle(rosterDeps, signal));
  };
  // A poll reads and writes each page of the history it touches about once, so SQLite's 16 MB page
  // cache per connection only adds to its peak RSS (issue 21): a one-off poll's, and the daemon's,
  // whose 10% changed roster poll of a 20,000-user org peaked at 135–142 MiB with the full cache
  // and 119–125 with 2 MB (docs/benchmarks.md "Lean polls", forty-seventh part).
  const withPollPageCache =
    <R>(poll: (signal: AbortSignal) => Promise<R>) =>
    (signal: AbortSignal) =>
      withPageCache(storeParts().store, POLL_PAGE_CACHE_KIB, () => poll(signal));
  const oneOffRosterPoll = (signal: AbortSignal) => withPollPageCache(rosterPoll())(signal);
  const policyPoll = (whenListTooSoon: 'wait' | 'refuse') => {
    const { store, destinations } = storeParts();
    const policyDeps = createPolicyPollDeps(config, store, victorOps(), {
      ...deps,
      destinations,
      whenListTooSoon,
      onListWait: options.onPolicyListWait,
    });
    return (signal: AbortSignal) => asPolicyJob(() => runPolicyPollCycle(policyDeps, signal));
  };
  // A policy poll likewise: a 20,000-user org's unchanged policy poll peaked at 131–137 MiB with
  // the full cache, 108–112 with 2 MB (docs/benchmarks.md "Lean polls", forty-second part).
  const oneOffPolicyPoll = (signal: AbortSignal) =>
    withPollPageCache(policyPoll(options.whenListTooSoon ?? 'refuse'))(signal);
  const contactsPoll = () => {
    const { store, destinations } = storeParts();
    const contactsDeps = createContactsPollDeps(config, store, victorOps(), { ...deps, destinations });
    return (signal: AbortSignal) => asContactsJob(() => runContactsPollCycle(contactsDeps, signal));
  };
  return {
    fetchRoster: (signal) =>
      createRosterFetcher(
        config,
        victorOps(),
        deps,
      )(signal, {
        hints: undefined,
        onPlan: (plan) => logRequestPlan(logger, plan),
      }),
    pollRoster: oneOffRosterPoll,
    pollPolicies: oneOffPolicyPoll,
    pollContacts: (signal) => contactsPoll()(signal),
    async syncIdentity(signal) {
      const identity = await identityDeps();
      if (identity.sources.length === 0) return null;
      return runIdentitySync(identity, signal);
    },
    acceptHeld() {
      if (!loadOpenHold(storeParts().store)) return { kind: 'nothing-held' };
      const noFetch = () => Promise.reject(new Error('accept applies the held roster and fetches nothing'));
      const result = acceptHeldChange(pollDeps(noFetch));
      return result ? { kind: 'accepted', result } : { kind: 'unloadable' };
    },
    async deliverDue(signal) {
      const active = await configuredDispatcher();
      const onAbort = () => void active.stop();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        return await active.runOnce();
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    outboxCounts: () => pendingCountsByDestination(storeParts().store),
    async doctor(signal, progress) {
      let store: Store | null = null;
      let databaseError: string | null = null;
      try {
        store = storeParts().store;
      } catch (error) {
        databaseError = error instanceof Error ? error.message : String(error);
      }
      progress?.onDatabase?.(databaseError);
      const onRetry = progress?.onRetry;
      if (onRetry) retryListeners.add(onRetry);
      let permit: PolicyListPermit | null = null;
      const report = await runDoctorChecks({
        client: victorOps(),
        membershipSource: config.victorOps.membershipSource,
        maxRps: config.victorOps.maxRps,
        ratePace: config.victorOps.ratePace,
        daysForward: config.coverage.daysForward,
        // Claimed in the database like a poll's, so doctor never makes a running daemon's next
        // policy list call exceed VictorOps' once-a-minute limit.
        claimPolicyList: () => {
          if (store === null) return { ok: true };
          permit = claimPolicyListCall(store, clock.now(), config.coverage.policyListMinIntervalMs);
          return permit;
        },
        recordedPolicySlugs: store === null ? [] : loadCurrentPolicies(store).map((p) => p.slug),
        signal,
        onCheck: progress?.onCheck,
        subscribeRetries: (listener) => {
          retryListeners.add(listener);
          return () => retryListeners.delete(listener);
        },
        clock,
      }).finally(() => {
        if (onRetry) retryListeners.delete(onRetry);
        // A check whose deadline ended it before the list request was sent gives its claim back.
        if (store !== null && permit !== null) releasePolicyListClaim(store, permit);
      });
      return { databaseError, report };
    },
    listDestinations() {
      const { store, destinations } = storeParts();
      return listDestinationStates(store).map((state) => {
        const spec = destinations.find((d) => d.name === state.name);
        return { ...state, configured: spec !== undefined, events: spec?.events ?? [] };
      });
    },
    disableDestination: (name, reason) => disableDestination(storeParts().store, name, reason, clock.now()),
    enableDestination: (name) => {
      const { store, destinations } = storeParts();
      return enableDestination(store, name, {
        source: config.eventSource,
        nowMs: clock.now(),
        notify: destinations,
      });
    },
    offboardCheck: (username, signal) =>
      gatherOffboardFacts(
        { config, store: storeParts().store, client: victorOps(), clock },
        username,
        signal,
      ),
    async daemonParts() {
      isDaemon = true;
      const { store, destinations } = storeParts();
      const vo = victorOps();
      let dispatcher: Dispatcher;
      try {
        dispatcher = await configuredDispatcher();
      } catch (error) {
        void vo.close();
        store.close();
        throw error;
      }
      const syncDeps = await identityDeps();
      return {
        destinationNames: destinations.map((d) => d.name),
        dispatcher,
        victorOps: {
          stats: () => vo.stats(),
          statsByJob: () => vo.statsByJob(),
          jobNames: JOB_NAMES,
          shapeErrors: () => vo.shapeErrors(),
          budgetTimings: () => vo.budget.timings(),
          endpointClasses: ENDPOINT_CLASSES,
        },
        pollRoster: withPollPageCache(rosterPoll()),
        pollPolicies: withPollPageCache(policyPoll('wait')),
        pollContacts: contactsPoll(),
        identity: {
          sourceNames: syncDeps.sources.map((s) => s.name),
          sync: (signal) => runIdentitySync(syncDeps, signal),
          closeSources: async () => {
            await Promise.all(syncDeps.sources.map((s) => s.close()));
          },
        },
        reads: createDaemonReads(store),
        openUiStore: () => openStore(config.databasePath, { readonly: true }),
        closeClient: () => vo.close(),
        closeStore: () => {
          store.close();
          budgetFile?.close();
        },
      };
    },
    migrate() {
      openStore(config.databasePath).close();
      return config.databasePath;
    },
    openReadOnlyHistory: (path) => openStore(path ?? config.databasePath, { readonly: true }),
    schemaUpdatesBehind: (history) => pendingMigrations(history),
    ...createHistoryReads(
      { existing: () => readConnection(true), anyway: () => readConnection(false) },
      config.oncall,
    ),
    async close() {
      try {
        await configuredDispatcher.built()?.stop();
        await client?.close();
        const identity = identityDeps.built();
        if (identity) await Promise.all(identity.sources.map((s) => s.close()));
      } finally {
        opened?.store.close();
        reader?.close();
        budgetFile?.close();
      }
    },
  };
}

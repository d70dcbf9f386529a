/**
 * The App's shape: the operations createApp (src/app.ts) hands back, and the parts it builds for
 * the daemon. Types only; src/app.ts re-exports them for its callers.
 */
import type { Clock } from '../clock.js';
import type { Config } from '../config/load-config.js';
import type { ContactsPollResult } from '../cycles/contacts-cycle.js';
import type { IdentitySyncResult } from '../cycles/identity-cycle.js';
import type { OffboardFacts } from '../cycles/offboard-facts.js';
import type { PolicyListWait, PolicyPollResult } from '../cycles/policy-cycle.js';
import type { PollResult } from '../cycles/poll-cycle.js';
import type { Dispatcher } from '../delivery/dispatcher.js';
import type { PassSummary } from '../delivery/pass-totals.js';
import type { Logger } from '../logger.js';
import type { FetchedRoster } from '../roster/types.js';
import type { Store } from '../store/db.js';
import type { enableDestination } from '../store/outbox.js';
import type { listDestinationStates, pendingCountsByDestination } from '../store/outbox-reads.js';
import type { RetryInfo, VictorOpsClient } from '../victorops/client.js';
import type { DoctorCheck, DoctorReport } from '../victorops/doctor.js';
import type { FetchProgress } from '../victorops/fetch-roster.js';
import type { BudgetTimings } from '../victorops/rate-budget.js';
import type { DaemonReads, HistoryReads } from './reads.js';

/**
 * What the composition root (app.ts) built for the daemon: the operations it schedules and the
 * reads its probes and metrics need, so the service floor never touches the store itself. The
 * daemon owns them from here on: `close` ends the client, the identity sources and the database.
 */
export interface DaemonParts {
  /** The configured destinations' names, for the outbox metrics. */
  destinationNames: readonly string[];
  dispatcher: Dispatcher;
  /** The VictorOps client's counters for the metrics (the daemon closes it through `closeClient`). */
  victorOps: Pick<VictorOpsClient, 'stats' | 'statsByJob' | 'shapeErrors'> & {
    endpointClasses: readonly string[];
    /** Every job name statsByJob can report, so each per-job series exists from the start. */
    jobNames: readonly string[];
    /** The rate budget's totals: time requests waited for turns, and in the shared schedule. */
    budgetTimings(): BudgetTimings;
  };
  pollRoster(signal: AbortSignal): Promise<PollResult>;
  /** A policy poll that waits out the policy list interval instead of refusing. */
  pollPolicies(signal: AbortSignal): Promise<PolicyPollResult>;
  /** A contacts poll (CONTACTS_SCHEDULE), at the bulk priority. */
  pollContacts(signal: AbortSignal): Promise<ContactsPollResult>;
  identity: {
    /** The configured identity sources' names (empty when none is configured). */
    sourceNames: readonly string[];
    sync(signal: AbortSignal): Promise<IdentitySyncResult>;
    /** Closes the sources' connections (LDAP binds, HTTP pools). */
    closeSources(): Promise<void>;
  };
  reads: DaemonReads;
  /** A read-only connection of its own for the web view, so the view cannot write by mistake. */
  openUiStore(): Store;
  /** Closes the VictorOps client's connections. */
  closeClient(): Promise<void>;
  /** Closes the database connection (idempotent). */
  closeStore(): void;
}

export interface CreateAppOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  onFetchProgress?: (progress: FetchProgress) => void;
  /** Each VictorOps retry about to be waited for (the CLI prints them on a terminal). */
  onRetry?: (info: RetryInfo) => void;
  /** A one-off CLI run refuses when the policy list was read too recently, unless asked to wait. */
  whenListTooSoon?: 'wait' | 'refuse';
  /** Each wait for the policy list interval, before it starts (the CLI says why and how long). */
  onPolicyListWait?: (wait: PolicyListWait) => void;
}

/** What `accept` found: nothing held, a hold whose fetch cannot be loaded, or the recorded run. */
export type AcceptOutcome =
  | { kind: 'nothing-held' }
  | { kind: 'unloadable' }
  | { kind: 'accepted'; result: PollResult };

export type DestinationListing = ReturnType<typeof listDestinationStates>[number] & {
  configured: boolean;
  events: readonly string[];
};

/** What `doctor` reports while it runs, so a slow or failing org never leaves the screen blank. */
export interface DoctorProgress {
  onDatabase?(error: string | null): void;
  onCheck?(check: DoctorCheck): void;
  onRetry?(info: RetryInfo): void;
}

/** `doctor`: whether the database opened (and why not), and the VictorOps checks. */
export interface DoctorOutcome {
  databaseError: string | null;
  report: DoctorReport;
}

export interface App extends HistoryReads {
  /** Reads the live roster of every team and records nothing (`fetch`). */
  fetchRoster(signal: AbortSignal): Promise<FetchedRoster>;
  pollRoster(signal: AbortSignal): Promise<PollResult>;
  pollPolicies(signal: AbortSignal): Promise<PolicyPollResult>;
  /** `contacts-poll`: contact methods and personal paging policies, and the reachability findings. */
  pollContacts(signal: AbortSignal): Promise<ContactsPollResult>;
  /** Null when no identity source is configured. */
  syncIdentity(signal: AbortSignal): Promise<IdentitySyncResult | null>;
  acceptHeld(): AcceptOutcome;
  /**
   * One delivery pass over everything due now. An abort claims nothing new; sends in flight finish
   * and are recorded.
   */
  deliverDue(signal: AbortSignal): Promise<PassSummary>;
  /** Rows waiting, failed and dead per destination (after a `deliver` pass). */
  outboxCounts(): ReturnType<typeof pendingCountsByDestination>;
  /** `endpoints list`: every destination the database knows, with whether it is still configured. */
  listDestinations(): DestinationListing[];
  /** `endpoints disable`: false when the name is unknown or already disabled. */
  disableDestination(name: string, reason: string): boolean;
  /** `endpoints enable`. */
  enableDestination(name: string): ReturnType<typeof enableDestination>;
  /** `offboard-check`: live reads (GET only) with the recorded history as the fallback. */
  offboardCheck(username: string, signal: AbortSignal): Promise<OffboardFacts>;
  /**
   * The parts the daemon runs on (service/daemon.ts startDaemon, called from the top floor); the
   * daemon owns and closes them when it stops, so use this instead of the other operations.
   */
  daemonParts(): Promise<DaemonParts>;
  /** Checks the database, the credentials and every endpoint class once (GET only). */
  /** `progress` hears of the database, each check and each retry as they happen. */
  doctor(signal: AbortSignal, progress?: DoctorProgress): Promise<DoctorOutcome>;
  /** `migrate`: creates the database or brings its schema up to date; returns its path. */
  migrate(): string;
  /**
   * `ui`: a read-only connection to the recorded history at `path` (default DATABASE_PATH) for the
   * web view; the caller closes it.
   */
  openReadOnlyHistory(path?: string): Store;
  /** How many schema updates of this build a history has not had (a read-only one is never migrated). */
  schemaUpdatesBehind(history: Store): number;
  close(): Promise<void>;
}

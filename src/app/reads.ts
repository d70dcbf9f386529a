/**
 * The read side of the App: what the audit commands print, and what the daemon's probes and
 * metrics read. Part of the composition root (only src/app.ts imports it): commands and the
 * daemon reach these through the App and DaemonParts, never through the store modules.
 */
import type { OncallConfig } from '../config/oncall.js';
import type { CloudEvent } from '../roster/events.js';
import { listOncallAt, type OncallAtEntry } from '../roster/oncall-intervals.js';
import { type OncallReport, reportOncallIntervals } from '../roster/oncall-report.js';
import { type Roster, usernameKey } from '../roster/types.js';
import { checkDatabaseFile, type Store } from '../store/db.js';
import { type EventQuery, queryEvents } from '../store/events.js';
import type { FileCheck } from '../store/file-identity.js';
import { countOpenFindingsByKind, loadOpenFindings, type StoredFinding } from '../store/findings.js';
import { loadCurrentRoster, loadRosterAt } from '../store/history.js';
import {
  countOpenIdentityFindingsByKind,
  loadIdentitySourceStates,
  loadOpenIdentityFindings,
  type StoredIdentityFinding,
  type StoredSourceState,
} from '../store/identity.js';
import { loadDisplayNames, loadOncallIntervals, loadOncallReads } from '../store/oncall-reads.js';
import { type RequeueSelector, requeueDeliveries } from '../store/outbox.js';
import {
  type DeliveryFilter,
  type DeliveryRow,
  listDeliveries,
  pendingCountsByDestination,
} from '../store/outbox-reads.js';
import { loadCurrentPolicies } from '../store/policies.js';
import { loadRoutingKeysAt, type RoutingKeysAt } from '../store/routing-keys.js';
import { hasPolicyBaseline, lastSuccessfulRun, listRuns, type RunRecord } from '../store/runs.js';
import {
  clearHintsUnreliable,
  type HintsUnreliableMark,
  loadHintsUnreliable,
  loadStoredHints,
} from '../store/team-hints.js';

export type OutboxCounts = ReturnType<typeof pendingCountsByDestination>;

/** `hints`: the "unreliable" mark (null when the hints are trusted) and how many teams have one. */
export interface HintsState {
  unreliable: HintsUnreliableMark | null;
  teamsWithHints: number;
}

/** The audit commands' reads (`roster`, `history`, `runs`, `deliveries`, `coverage`, `identity`, `hints`). */
export interface HistoryReads {
  rosterAt(atIso: string): Roster;
  queryEvents(query: EventQuery): CloudEvent[];
  listRuns(limit: number): RunRecord[];
  listDeliveries(filter: DeliveryFilter & { limit: number }): DeliveryRow[];
  openFindings(): StoredFinding[];
  /** Whether a policy poll has ever been recorded (not failed): without one, no finding can be open. */
  hasPolicyPoll(): boolean;
  openIdentityFindings(): StoredIdentityFinding[];
  identitySourceStates(): StoredSourceState[];
  hintsState(): HintsState;
  /** Clears the "hints unreliable" mark; false when there was none. */
  resetHints(): boolean;
  /** `oncall-report` and the On-call page: hours per person × team × policy in [from, to). */
  oncallReport(query: OncallReportQuery): OncallReport;
  /** `oncall-at`: who was (or will be) on call at an instant, per policy and rotation. */
  oncallAt(atIso: string): OncallAtEntry[];
  /** `oncall-at --routing-key`: the routing keys as recorded at an instant. */
  routingKeysAt(atIso: string): RoutingKeysAt;
  /** `redeliver`: makes the selected deliveries due now; an unknown event or bad selector throws OutboxError. */
  redeliver(selector: RequeueSelector, nowMs: number): number;
}

export interface OncallReportQuery {
  fromIso: string;
  toIso: string;
  teamSlug?: string | undefined;
  policySlug?: string | undefined;
}

/**
 * How each read opens the database. The listing commands refuse a missing file (`existing`);
 * `hints` and `redeliver` open (and create) it like a poll would (`anyway`). Neither records the
 * configured destinations: a read needs no delivery configuration.
 */
export interface ReadConnections {
  existing(): Store;
  anyway(): Store;
}

export function createHistoryReads(open: ReadConnections, oncall: OncallConfig): HistoryReads {
  return {
    oncallReport(query) {
      const store = open.existing();
      const fromMs = Date.parse(query.fromIso);
      const toMs = Date.parse(query.toIso);
      const intervals = loadOncallIntervals(store, fromMs, toMs, query.teamSlug);
      return reportOncallIntervals({
        intervals,
        fromMs,
        toMs,
        rules: oncall,
        displayNames: loadDisplayNames(
          store,
          intervals.map((i) => usernameKey(i.username)),
        ),
        policySlug: query.policySlug,
      });
    },
    oncallAt(atIso) {
      const reads = loadOncallReads(open.existing(), atIso, new Date(Date.parse(atIso) + 1).toISOString());
      return listOncallAt(reads, Date.parse(atIso));
    },
    routingKeysAt: (atIso) => loadRoutingKeysAt(open.existing(), atIso),
    rosterAt: (atIso) => loadRosterAt(open.existing(), atIso),
    queryEvents: (query) => queryEvents(open.existing(), query),
    listRuns: (limit) => listRuns(open.existing(), { limit }),
    listDeliveries: (filter) => listDeliveries(open.existing(), filter),
    openFindings: () => loadOpenFindings(open.existing()),
    hasPolicyPoll: () => hasPolicyBaseline(open.existing()),
    openIdentityFindings: () => loadOpenIdentityFindings(open.existing()),
    identitySourceStates: () => loadIdentitySourceStates(open.existing()),
    hintsState() {
      const store = open.anyway();
      return { unreliable: loadHintsUnreliable(store), teamsWithHints: loadStoredHints(store).size };
    },
    resetHints: () => clearHintsUnreliable(open.anyway()),
    redeliver: (selector, nowMs) => requeueDeliveries(open.anyway(), selector, nowMs),
  };
}

/** The last successful poll's time, or why the database cannot tell. */
export type LastSuccess = { ok: true; atMs: number | null } | { ok: false; reason: string };

/**
 * What the daemon's probes and metrics read from its own connection. Every read answers "nothing"
 * once the connection is closed (during shutdown), so a late scrape never throws.
 */
export interface DaemonReads {
  /** The database file's path, for the logs. */
  databasePath: string;
  isOpen(): boolean;
  /** Whether the path still names the file this connection has open (not replaced or deleted). */
  checkFile(): FileCheck;
  lastSuccess(): LastSuccess;
  outboxCounts(): OutboxCounts;
  openFindingsByKind(): ReturnType<typeof countOpenFindingsByKind>;
  hintsUnreliable(): boolean;
  identitySourceStates(): StoredSourceState[];
  openIdentityFindingsByKind(): ReturnType<typeof countOpenIdentityFindingsByKind>;
  /** The org's size as last recorded (policies and teams), to cost a policy poll; null before any poll. */
  recordedPolicyScope(): { policies: number; teams: number } | null;
}

export function createDaemonReads(store: Store): DaemonReads {
  const whenOpen =
    <T>(read: (s: Store) => T, closed: T) =>
    () =>
      store.sqlite.open ? read(store) : closed;
  return {
    databasePath: store.path,
    isOpen: () => store.sqlite.open,
    checkFile: () => checkDatabaseFile(store),
    lastSuccess() {
      if (!store.sqlite.open) return { ok: false, reason: 'the database is closed' };
      const file = checkDatabaseFile(store);
      if (!file.ok) return file;
      try {
        // A query against the migrated schema: proves the file is open, readable and migrated.
        const run = lastSuccessfulRun(store);
        return { ok: true, atMs: run ? Date.parse(run.finishedAt) : null };
      } catch (error) {
        return { ok: false, reason: `the database cannot be read: ${(error as Error).message}` };
      }
    },
    outboxCounts: whenOpen(pendingCountsByDestination, []),
    openFindingsByKind: whenOpen(countOpenFindingsByKind, []),
    hintsUnreliable: whenOpen((s) => loadHintsUnreliable(s) !== null, false),
    identitySourceStates: whenOpen(loadIdentitySourceStates, []),
    openIdentityFindingsByKind: whenOpen(countOpenIdentityFindingsByKind, []),
    recordedPolicyScope: whenOpen((s) => {
      if (!hasPolicyBaseline(s)) return null;
      const teams = loadCurrentRoster(s)?.teams.length ?? 0;
      return { policies: loadCurrentPolicies(s).length, teams };
    }, null),
  };
}

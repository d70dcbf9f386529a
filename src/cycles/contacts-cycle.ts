/**
 * One contacts poll, as a spec for the cycle skeleton (cycle.ts): plan whose contacts to read
 * (contacts-plan.ts) from the recorded roster, policies and schedules → read them (two GETs a
 * person, at the bulk priority) → in one transaction record the changed people with history, the
 * events, and the reachability findings. A person whose read failed keeps what was recorded: a
 * failed or partial poll never reports a contact method removed.
 */
import { type Clock, monotonicNow } from '../clock.js';
import type { ContactsConfig } from '../config/contacts.js';
import type { ReachExemption } from '../config/reach.js';
import { NoRosterError, VictorOpsError } from '../errors.js';
import type { Logger } from '../logger.js';
import { errorText } from '../redact.js';
import type { PersonContacts } from '../roster/contact-types.js';
import { contactsDiffer, diffPersonContacts } from '../roster/contacts-diff.js';
import { planContactReads } from '../roster/contacts-plan.js';
import { diffFindings } from '../roster/coverage.js';
import { findingEvents } from '../roster/coverage-events.js';
import { isReachKind } from '../roster/coverage-types.js';
import type { DestinationSpec } from '../roster/delivery-plan.js';
import type { EventDraft } from '../roster/events.js';
import { findExemption } from '../roster/identity-match.js';
import { computeReachFindings, findPagedPeople } from '../roster/reachability.js';
import type { FetchStats, Team } from '../roster/types.js';
import { usernameKey } from '../roster/types.js';
import {
  type ContactsFailedScope,
  lastContactsPollMs,
  loadContactReadTimes,
  loadCurrentContacts,
  recordContactsPoll,
} from '../store/contacts-store.js';
import type { Store } from '../store/db.js';
import type { StoredEvent } from '../store/events.js';
import { loadOpenFindings } from '../store/findings.js';
import { loadCurrentRoster } from '../store/history.js';
import { loadCurrentPolicies, loadTeamSchedules } from '../store/policies.js';
import type { CoverageUpdate } from '../store/poll-store.js';
import { hasPolicyBaseline } from '../store/runs.js';
import { type CycleSpec, laterThanLastRun, runCycle } from './cycle.js';

export interface ContactsCycleDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  source: string;
  settings: ContactsConfig;
  /** REACH_EXEMPT: people who get no reachability finding. */
  reachExemptions: readonly ReachExemption[];
  concurrency: number;
  /** ONCALL_DAYS_FORWARD. */
  daysForward: number;
  /** One person's reduced contacts; null when VictorOps does not know them. */
  fetchPerson: (username: string, signal: AbortSignal) => Promise<PersonContacts | null>;
  /** The requests made so far (the client's counters), to count this poll's. */
  stats: () => FetchStats;
  destinations: readonly DestinationSpec[];
}

export interface ContactsPollResult {
  runId: number;
  status: 'ok' | 'partial' | 'failed';
  /** People planned: paged every poll, and the rolling slice of everyone else. */
  planned: { paged: number; slice: number };
  read: number;
  failed: number;
  events: StoredEvent[];
  error: string | null;
  durationMs: number;
  requests: number;
}

interface ContactsFetch {
  planned: { paged: number; slice: number };
  read: PersonContacts[];
  failedScopes: ContactsFailedScope[];
  fatal: string | null;
  stats: FetchStats;
  startedMs: number;
  finishedMs: number;
  wallStartedAt: string;
  wallFinishedAt: string;
  readAtMs: number;
}

interface ContactsRecorded {
  input: ContactsFetch;
  status: ContactsPollResult['status'];
  coverage: CoverageUpdate | null;
  recorded: { runId: number; events: StoredEvent[] };
}

export function runContactsPollCycle(
  deps: ContactsCycleDeps,
  signal: AbortSignal,
): Promise<ContactsPollResult> {
  return runCycle(deps.store, contactsCycle(deps), signal);
}

function subtract(a: FetchStats, b: FetchStats): FetchStats {
  return {
    requests: a.requests - b.requests,
    retries: a.retries - b.retries,
    rateLimited: a.rateLimited - b.rateLimited,
  };
}

function contactsCycle(
  deps: ContactsCycleDeps,
): CycleSpec<ContactsFetch, ContactsRecorded, ContactsPollResult> {
  const { store, clock } = deps;
  const now = () => new Date(clock.now()).toISOString();
  return {
    async fetch(signal) {
      const roster = loadCurrentRoster(store);
      if (roster === null)
        throw new NoRosterError('`roster-watch policy-poll` and `roster-watch contacts-poll`');
      const startedMs = monotonicNow(clock);
      const wallStartedAt = now();
      const paged = findPagedPeople({
        policies: loadCurrentPolicies(store),
        schedules: loadTeamSchedules(store),
        now: wallStartedAt,
        daysForward: deps.daysForward,
      });
      const plan = planContactReads({
        usernames: roster.users.map((u) => u.username),
        paged: new Set(paged.keys()),
        readAtMs: loadContactReadTimes(store),
        nowMs: clock.now(),
        lastPollMs: lastContactsPollMs(store),
        verifyIntervalMs: deps.settings.verifyIntervalMs,
      });
      deps.logger.info(
        { paged: plan.paged, slice: plan.slice, requestsPlanned: plan.usernames.length * 2 },
        `contacts poll: reading ${plan.paged} people who can be paged and ${plan.slice} others`,
      );
      const before = deps.stats();
      const read: PersonContacts[] = [];
      const failedScopes: ContactsFailedScope[] = [];
      let fatal: string | null = null;
      let next = 0;
      const worker = async () => {
        while (next < plan.usernames.length && fatal === null && !signal.aborted) {
          const username = plan.usernames[next++] as string;
          try {
            const person = await deps.fetchPerson(username, signal);
            if (person) read.push(person);
          } catch (error) {
            if (signal.aborted) return;
            if (!(error instanceof VictorOpsError)) throw error;
            // A key that is refused will be refused for everyone: one failure, not N.
            if (error.code === 'auth') fatal = errorText(error);
            else failedScopes.push({ kind: 'person-contacts', username, reason: errorText(error) });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, deps.concurrency) }, worker));
      return {
        planned: { paged: plan.paged, slice: plan.slice },
        read,
        failedScopes,
        fatal,
        stats: subtract(deps.stats(), before),
        startedMs,
        finishedMs: monotonicNow(clock),
        wallStartedAt,
        wallFinishedAt: now(),
        readAtMs: clock.now(),
      };
    },
    record(input) {
      const { startedAt, finishedAt } = laterThanLastRun(
        deps,
        'contacts',
        input.wallStartedAt,
        input.wallFinishedAt,
      );
      const failedAll = input.fatal !== null || (input.read.length === 0 && input.failedScopes.length > 0);
      const status: ContactsPollResult['status'] = failedAll
        ? 'failed'
        : input.failedScopes.length > 0
          ? 'partial'
          : 'ok';
      const current = loadCurrentContacts(store);
      const changed: PersonContacts[] = [];
      const events: EventDraft[] = [];
      const byName = (a: PersonContacts, b: PersonContacts) => (a.username < b.username ? -1 : 1);
      for (const person of failedAll ? [] : [...input.read].sort(byName)) {
        const key = usernameKey(person.username);
        const before = current.get(key) ?? null;
        if (!contactsDiffer(before, person)) continue;
        changed.push(person);
        events.push(...diffPersonContacts(before, person));
        current.set(key, person);
      }
      const coverage = failedAll ? null : planReach(deps, current, finishedAt);
      const recorded = recordContactsPoll(store, {
        startedAt,
        finishedAt,
        status,
        error: input.fatal ?? (failedAll ? (input.failedScopes[0]?.reason ?? null) : null),
        stats: input.stats,
        read: failedAll ? [] : input.read,
        changed,
        failedScopes: input.failedScopes,
        readAtMs: input.readAtMs,
        events,
        coverage,
        source: deps.source,
        deliveries: { destinations: deps.destinations, nowMs: clock.now() },
      });
      return { input, status, coverage, recorded };
    },
    finish: (done) => reportContactsPoll(deps.logger, done),
  };
}

/** Reachability findings from the recorded roster, policies and schedules and the contacts as now read. */
function planReach(
  deps: ContactsCycleDeps,
  contacts: ReadonlyMap<string, PersonContacts>,
  now: string,
): CoverageUpdate | null {
  const { store } = deps;
  const roster = loadCurrentRoster(store);
  if (roster === null || !hasPolicyBaseline(store)) return null;
  const teams = new Map(roster.teams.map((t) => [t.slug, t]));
  const computed = computeReachFindings({
    policies: loadCurrentPolicies(store),
    schedules: loadTeamSchedules(store),
    now,
    daysForward: deps.daysForward,
    contacts,
    isExempt: (username) => findExemption(deps.reachExemptions, username) !== undefined,
    teamOf: (slug): Team => teams.get(slug) ?? { slug, name: slug },
  });
  const open = loadOpenFindings(store).filter((o) => isReachKind(o.finding.kind));
  const diff = diffFindings(open, computed);
  return { diff, events: findingEvents(diff, now) };
}

function reportContactsPoll(
  logger: Logger,
  { input, status, coverage, recorded }: ContactsRecorded,
): ContactsPollResult {
  const result: ContactsPollResult = {
    runId: recorded.runId,
    status,
    planned: input.planned,
    read: input.read.length,
    failed: input.failedScopes.length,
    events: recorded.events,
    error: input.fatal ?? (status === 'failed' ? (input.failedScopes[0]?.reason ?? null) : null),
    durationMs: input.finishedMs - input.startedMs,
    requests: input.stats.requests,
  };
  const summary = {
    runId: result.runId,
    kind: 'contacts',
    status,
    paged: input.planned.paged,
    slice: input.planned.slice,
    read: result.read,
    failed: result.failed,
    events: recorded.events.length,
    findingsAppeared: coverage?.diff.appeared.length ?? 0,
    findingsResolved: coverage?.diff.resolved.length ?? 0,
    requests: result.requests,
    durationMs: result.durationMs,
  };
  if (status === 'failed') logger.error({ ...summary, error: result.error }, 'contacts poll failed');
  else logger.info(summary, 'contacts poll finished');
  return result;
}

/**
 * One identity sync, as a spec for the cycle skeleton (cycle.ts): read every configured source
 * (concurrently) → in one transaction read the recorded state, decide which reads are trusted
 * (pure), recompute the per-user findings only when all are, and record run, source health,
 * findings, events and outbox rows. An aborted sync commits nothing.
 */
import type { Clock } from '../clock.js';
import { NoRosterError, PollAbortedError } from '../errors.js';
import { type IdentitySource, keptOf } from '../identity/source.js';
import type { Logger } from '../logger.js';
// The reason a source failed is stored, logged, shown and delivered: scrubbed of secrets and URL paths.
import { errorText } from '../redact.js';
import type { DestinationSpec } from '../roster/delivery-plan.js';
import { identityFindingEvents } from '../roster/identity-events.js';
import {
  computeIdentityFindings,
  decideSource,
  describeUnknownStatuses,
  diffIdentityFindings,
  planIdentityFindings,
  type ShrinkGuard,
  type SourceReadResult,
  type UnknownStatus,
} from '../roster/identity-findings.js';
import { type IndexWanted, wantedKeys, wantsNoMoreThan } from '../roster/identity-match.js';
import type {
  Identity,
  IdentityFindingsDiff,
  MatchSettings,
  RecordConflict,
} from '../roster/identity-types.js';
import { type Store, withPageCache } from '../store/db.js';
import type { StoredEvent } from '../store/events.js';
import { loadCurrentMembershipsOf, loadCurrentUserKeys, loadCurrentUsersAndTeams } from '../store/history.js';
import { loadIdentitySourceStates, loadOpenIdentityFindings, recordIdentitySync } from '../store/identity.js';
import { loadCurrentPolicies, loadTeamSchedules } from '../store/policies.js';
import { hasRosterBaseline } from '../store/runs.js';
import { type CycleSpec, runCycle } from './cycle.js';

export interface IdentityCycleDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The CloudEvents source. */
  source: string;
  guard: ShrinkGuard;
  settings: MatchSettings;
  sources: readonly IdentitySource[];
  /** The configured destinations: every recorded event gets its outbox rows in the run's transaction. */
  destinations: readonly DestinationSpec[];
}

export interface IdentitySourceOutcome {
  name: string;
  verdict: 'ok' | 'failed' | 'held';
  read: number;
  error: string | null;
  /** Identities whose status the source's mapping does not recognise, and the most common values. */
  unknownCount: number;
  unknownStatuses: UnknownStatus[];
}

export interface IdentitySyncResult {
  runId: number;
  status: 'ok' | 'failed' | 'held';
  sources: IdentitySourceOutcome[];
  events: StoredEvent[];
  diff: IdentityFindingsDiff;
  /** True when a source could not be trusted, so per-user findings kept their last state. */
  usersFrozen: boolean;
  /** Records of one source for one user that disagreed, and which one was taken. */
  conflicts: RecordConflict[];
}

/**
 * The sources keep only the identities the recorded users can match (issue 21). Users recorded
 * while the sources were read can want more: the sync then commits nothing and runs again keeping
 * everything, so its findings are always those of the whole read.
 */
export async function runIdentitySync(
  deps: IdentityCycleDeps,
  signal: AbortSignal,
): Promise<IdentitySyncResult> {
  // SQLite's default page cache (2 MB), not better-sqlite3's 16 MB: each table is read once.
  return withPageCache(deps.store, 2000, async () => {
    try {
      return await runCycle(deps.store, identityCycle(deps, true), signal);
    } catch (error) {
      if (!(error instanceof UsersMovedError)) throw error;
      return runCycle(deps.store, identityCycle(deps, false), signal);
    }
  });
}

/** The recorded users want keys the sources' reads did not keep: the sync runs again (above). */
class UsersMovedError extends Error {
  override readonly name = 'UsersMovedError';
}

interface IdentityFetch {
  startedAt: string;
  reads: SourceReadResult[];
  /** What the reads kept identities for; null when they kept every identity. */
  wanted: IndexWanted | null;
}

async function readSource(
  s: IdentitySource,
  wanted: IndexWanted | null,
  signal: AbortSignal,
): Promise<Extract<SourceReadResult, { ok: true }>> {
  if (wanted === null) return { ok: true, identities: await s.read(signal) };
  const kept = s.readKept ? await s.readKept(signal, wanted) : keptOf(await s.read(signal), wanted);
  return { ok: true, ...kept };
}

function identityCycle(
  deps: IdentityCycleDeps,
  keepMatchable: boolean,
): CycleSpec<IdentityFetch, IdentitySyncResult, IdentitySyncResult> {
  const { store, clock } = deps;
  return {
    async fetch(signal) {
      const startedAt = new Date(clock.now()).toISOString();
      // Cheap, and saves reading every source only to refuse afterwards.
      if (!hasRosterBaseline(store)) throw new NoRosterError();
      const wanted = keepMatchable ? wantedKeys(loadCurrentUserKeys(store), deps.settings) : null;
      const reads = await Promise.all(
        deps.sources.map(async (s): Promise<SourceReadResult> => {
          try {
            const read = await readSource(s, wanted, signal);
            return { ...read, statusColumn: s.statusColumn?.() ?? true };
          } catch (error) {
            if (signal.aborted) throw new PollAbortedError();
            deps.logger.warn(
              { source: s.name, error: errorText(error) },
              'identity source could not be read',
            );
            return { ok: false, error: errorText(error) };
          }
        }),
      );
      return { startedAt, reads, wanted };
    },
    record: ({ startedAt, reads, wanted }) => recordIdentityCycle(deps, startedAt, reads, wanted),
    finish: (result) => result,
  };
}

function recordIdentityCycle(
  deps: IdentityCycleDeps,
  startedAt: string,
  reads: SourceReadResult[],
  wanted: IndexWanted | null,
): IdentitySyncResult {
  const { store, clock } = deps;
  const now = new Date(clock.now()).toISOString();
  // Read after the sources, inside the transaction, so a poll that finished meanwhile is taken into account.
  // Without its memberships: those of the users with a finding are read after matching.
  const roster = loadCurrentUsersAndTeams(store);
  if (roster === null) throw new NoRosterError();
  const wantedNow = wantedKeys(roster.users, deps.settings);
  if (wanted !== null && !wantsNoMoreThan(wantedNow, wanted))
    throw new UsersMovedError('users recorded during the sync want identities its reads did not keep');
  const previous = new Map(loadIdentitySourceStates(store).map((s) => [s.name, s]));
  const open = loadOpenIdentityFindings(store);
  const policies = loadCurrentPolicies(store);
  const schedules = loadTeamSchedules(store);
  const decisions = deps.sources.map((s, i) => ({
    ...decideSource(
      s.name,
      previous.get(s.name),
      reads[i] ?? { ok: false, error: 'not read' },
      deps.guard,
      now,
    ),
    kind: s.kind,
  }));
  const identities: Identity[] = [];
  const conflicts: RecordConflict[] = [];
  for (const r of reads) if (r.ok) for (const i of r.identities) identities.push(i);
  const plan = planIdentityFindings({
    decisions,
    open,
    computeUsers: () =>
      computeIdentityFindings({
        roster,
        policies,
        schedules,
        now,
        identities,
        settings: deps.settings,
        sources: deps.sources.map((s) => s.name),
        open,
        conflicts,
        membershipsOf: (keys) => loadCurrentMembershipsOf(store, keys),
        wanted: wantedNow,
      }),
  });
  const diff = diffIdentityFindings(open, plan.computed);
  const events = identityFindingEvents(diff, now);
  const status = decisions.some((d) => d.verdict === 'failed')
    ? 'failed'
    : decisions.some((d) => d.verdict === 'held')
      ? 'held'
      : 'ok';
  const stats = { requests: 0, retries: 0, rateLimited: 0 };
  for (const s of deps.sources) {
    const st = s.stats();
    stats.requests += st.requests;
    stats.retries += st.retries;
    stats.rateLimited += st.rateLimited;
  }
  const failed = decisions.filter((d) => d.verdict !== 'ok');
  const recorded = recordIdentitySync(store, {
    startedAt,
    finishedAt: now,
    status,
    error:
      failed.length === 0
        ? null
        : failed.map((d) => `${d.name}: ${d.next.lastError ?? d.verdict}`).join('; '),
    decisions,
    diff,
    events,
    stats,
    source: deps.source,
    deliveries: { destinations: deps.destinations, nowMs: clock.now() },
  });
  const sources = decisions.map((d) => ({
    name: d.name,
    verdict: d.verdict,
    read: d.read,
    error: d.verdict === 'ok' ? null : d.next.lastError,
    unknownCount: d.next.unknownCount,
    unknownStatuses: d.next.unknownStatuses,
  }));
  logSyncNotes(deps.logger, sources, conflicts);
  return {
    runId: recorded.runId,
    status,
    events: recorded.events,
    diff,
    usersFrozen: plan.usersFrozen,
    sources,
    conflicts,
  };
}

/** The sync's log lines for what a person should look at: statuses nobody maps, and conflicting records. */
function logSyncNotes(logger: Logger, sources: IdentitySourceOutcome[], conflicts: RecordConflict[]): void {
  for (const s of sources) {
    if (s.unknownCount === 0) continue;
    logger.warn(
      {
        source: s.name,
        unknownStatuses: s.unknownCount,
        values: describeUnknownStatuses(s.unknownStatuses, s.unknownCount),
      },
      'identities with a status the source mapping does not recognise (unknown is not active: their leaver findings stay open)',
    );
  }
  for (const c of conflicts) {
    logger.warn(
      { source: c.source, username: c.username, statuses: c.statuses, taken: c.taken.status, rule: c.rule },
      'one source holds records for one person that disagree',
    );
  }
}

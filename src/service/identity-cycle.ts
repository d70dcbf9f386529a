/**
 * One identity sync: read every configured source (concurrently) → decide which reads are trusted
 * (pure) → recompute the per-user findings only when all are → record run, source health,
 * findings, events and outbox rows in one transaction. An aborted sync commits nothing.
 */
import type { Clock } from '../clock.js';
import { type IdentitySource, IdentitySourceError } from '../identity/source.js';
import type { Logger } from '../logger.js';
import { identityFindingEvents } from '../roster/identity-events.js';
import {
  computeIdentityFindings,
  decideSource,
  diffIdentityFindings,
  planIdentityFindings,
  type ShrinkGuard,
  type SourceReadResult,
} from '../roster/identity-findings.js';
import type { Identity, IdentityFindingsDiff, MatchSettings } from '../roster/identity-types.js';
import type { Store } from '../store/db.js';
import type { StoredEvent } from '../store/events.js';
import { loadCurrentRoster } from '../store/history.js';
import {
  hasRosterBaseline,
  loadIdentitySourceStates,
  loadOpenIdentityFindings,
  recordIdentitySync,
} from '../store/identity.js';
import { loadCurrentPolicies, loadTeamSchedules } from '../store/policies.js';
import { PollAbortedError } from './poll-cycle.js';

export interface IdentityCycleDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The CloudEvents source. */
  source: string;
  guard: ShrinkGuard;
  settings: MatchSettings;
  sources: readonly IdentitySource[];
  enqueue?: (events: StoredEvent[], runId: number) => void;
}

export interface IdentitySourceOutcome {
  name: string;
  verdict: 'ok' | 'failed' | 'held';
  read: number;
  error: string | null;
}

export interface IdentitySyncResult {
  runId: number;
  status: 'ok' | 'failed' | 'held';
  sources: IdentitySourceOutcome[];
  events: StoredEvent[];
  diff: IdentityFindingsDiff;
  /** True when a source could not be trusted, so per-user findings kept their last state. */
  usersFrozen: boolean;
}

/** Identity reconciliation needs the VictorOps roster it reconciles. */
export class NoRosterError extends Error {
  readonly code = 'no_roster';
  constructor() {
    super(
      'no VictorOps roster is recorded yet: run `roster-watch poll` first, then `roster-watch identity-sync`',
    );
    this.name = 'NoRosterError';
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof IdentitySourceError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

export async function runIdentitySync(
  deps: IdentityCycleDeps,
  signal: AbortSignal,
): Promise<IdentitySyncResult> {
  const { store, clock } = deps;
  const startedAt = new Date(clock.now()).toISOString();
  if (!hasRosterBaseline(store)) throw new NoRosterError();
  const reads = await Promise.all(
    deps.sources.map(async (s): Promise<SourceReadResult> => {
      try {
        return { ok: true, identities: await s.read(signal) };
      } catch (error) {
        if (signal.aborted) throw new PollAbortedError();
        deps.logger.warn({ source: s.name, error: reasonOf(error) }, 'identity source could not be read');
        return { ok: false, error: reasonOf(error) };
      }
    }),
  );
  if (signal.aborted) throw new PollAbortedError();
  const now = new Date(clock.now()).toISOString();
  // The roster is read after the sources so a poll that finished meanwhile is taken into account.
  const roster = loadCurrentRoster(store);
  if (roster === null) throw new NoRosterError();
  const previous = new Map(loadIdentitySourceStates(store).map((s) => [s.name, s]));
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
  const open = loadOpenIdentityFindings(store);
  const identities: Identity[] = [];
  for (const r of reads) if (r.ok) for (const i of r.identities) identities.push(i);
  const plan = planIdentityFindings({
    decisions,
    open,
    computeUsers: () =>
      computeIdentityFindings({
        roster,
        policies: loadCurrentPolicies(store),
        schedules: loadTeamSchedules(store),
        now,
        identities,
        settings: deps.settings,
        sources: deps.sources.map((s) => s.name),
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
    ...(deps.enqueue ? { enqueue: deps.enqueue } : {}),
  });
  return {
    runId: recorded.runId,
    status,
    events: recorded.events,
    diff,
    usersFrozen: plan.usersFrozen,
    sources: decisions.map((d) => ({
      name: d.name,
      verdict: d.verdict,
      read: d.read,
      error: d.verdict === 'ok' ? null : d.next.lastError,
    })),
  };
}

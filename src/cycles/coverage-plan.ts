/**
 * Recomputes coverage findings for the run being recorded. Called inside the run's transaction (the
 * cycle's synchronous record half), so what it reads is what that transaction then writes over.
 */
import { type CoverageRoster, computeFindings, diffFindings } from '../roster/coverage.js';
import { findingEvents } from '../roster/coverage-events.js';
import { coverageHorizon, movedTo } from '../roster/coverage-horizon.js';
import type { Finding } from '../roster/coverage-types.js';
import { isReachKind } from '../roster/coverage-types.js';
import type { Exemption } from '../roster/identity-types.js';
import type { Policy, TeamSchedule, UnreadPolicy } from '../roster/policy-types.js';
import type { RoutingKey } from '../roster/routing-keys.js';
import { usernameKey } from '../roster/types.js';
import type { Store } from '../store/db.js';
import {
  type CoverageMemo,
  lastRunId,
  loadCoverageMemo,
  loadOpenFindingRows,
  loadOpenFindings,
  saveCoverageMemo,
} from '../store/findings.js';
import { loadRemovedUsers } from '../store/history.js';
import type { CoverageUpdate } from '../store/poll-store.js';
import { loadCurrentRoutingKeys } from '../store/routing-keys.js';

export interface PlanCoverageInput {
  /**
   * The roster as it stands after this run (or its users, teams and member counts); null before the
   * roster baseline (no findings yet).
   */
  roster: CoverageRoster | null;
  /** Policies and schedules after this run; null before the first policy poll (no findings yet). */
  policies: readonly Policy[] | null;
  /** Or how to read them: a poll that carries the findings over does not. */
  schedules: readonly TeamSchedule[] | (() => readonly TeamSchedule[]);
  /** Policies listed but unreadable with no recorded version: they exist, their steps are unknown. */
  unreadPolicies: readonly UnreadPolicy[];
  /** Users this run removes, not yet in the history. */
  removedNow: readonly { username: string }[];
  now: string;
  /** ONCALL_DAYS_FORWARD. */
  daysForward?: number | undefined;
  /** The routing keys after this run; absent: as recorded (a roster poll does not read them). */
  routingKeys?: readonly RoutingKey[] | null | undefined;
  /** REACH_EXEMPT: routing keys that get no reachability finding. */
  reachExemptions?: readonly Exemption[] | undefined;
}

/**
 * How a run uses the memo that lets an unchanged roster poll carry the findings over. 'carry': an
 * unchanged roster poll (its roster is the recorded one) carries them over when the memo holds, and
 * writes it. Absent: the run writes none, and being the newest run it ends the one there is. A
 * policy poll does not write one: it computes with each schedule's own read time, which is not the
 * fetchedAt it records (the run's), so the next roster poll's window ends differ from its.
 */
export type CoverageMemoUse = 'carry';

/**
 * Findings need both halves: without policies every team would look policy-less, and without a
 * roster every paged user would look removed. Until both exist nothing is reported.
 *
 * Carried over, the open findings are exactly what recomputing gives: all still, their window edges
 * moved to this poll's `now` (a gap from now), no event. That holds while nothing they were
 * computed from can have changed: the memo's run is still the newest run, the settings are the
 * same, and `now` is before the memo's horizon.
 */
export function planCoverage(
  store: Store,
  input: PlanCoverageInput,
  memoUse?: CoverageMemoUse,
): CoverageUpdate | null {
  if (input.roster === null || input.policies === null) return null;
  const settings = {
    daysForward: input.daysForward ?? null,
    reachExemptions: JSON.stringify(input.reachExemptions ?? []),
    code: CODE,
  };
  // The run this transaction records takes the next id.
  const runId = lastRunId(store) + 1;
  if (memoUse === 'carry' && input.routingKeys === undefined && input.removedNow.length === 0) {
    const memo = loadCoverageMemo(store);
    if (memo && carriesOver(memo, settings, runId - 1, Date.parse(input.now))) {
      saveCoverageMemo(store, { ...memo, runId, at: input.now });
      // Their window edges moved to this poll's: what recomputing gives (and rewrites) now.
      const move = { from: memo.at, to: input.now, daysForward: input.daysForward };
      const still = loadOpenFindingRows(store)
        .filter((row) => !isReachKind(row.kind))
        .map((row) => JSON.parse(movedTo(row.data, move)) as Finding);
      return { diff: { appeared: [], resolved: [], still }, events: [] };
    }
  }
  const schedules = typeof input.schedules === 'function' ? input.schedules() : input.schedules;
  const removedUsers = loadRemovedUsers(store);
  for (const u of input.removedNow) removedUsers.set(usernameKey(u.username), input.now);
  const computed = computeFindings({
    roster: input.roster,
    policies: input.policies,
    schedules,
    unreadPolicies: input.unreadPolicies,
    routingKeys: input.routingKeys === undefined ? loadCurrentRoutingKeys(store) : input.routingKeys,
    reachExemptions: input.reachExemptions ?? [],
    removedUsers,
    now: input.now,
    daysForward: input.daysForward,
  });
  // Reachability findings need contact methods, which only a contacts poll reads: it alone opens
  // and resolves them (contacts-cycle.ts), so they are left out of this diff.
  const open = loadOpenFindings(store).filter((o) => !isReachKind(o.finding.kind));
  const diff = diffFindings(open, computed);
  if (memoUse !== undefined) {
    const horizon = coverageHorizon({ ...input, schedules, copied: removedUsers.values() });
    saveCoverageMemo(store, {
      runId,
      at: input.now,
      horizon: horizon === Number.POSITIVE_INFINITY ? null : horizon,
      ...settings,
    });
  }
  return { diff, events: findingEvents(diff, input.now) };
}

/**
 * The build that computes the findings: this module's URL. The CLI bundle (the image, `npm run
 * build`) names each chunk by a hash of its content and of the chunks it imports, the coverage
 * code among them, so an upgraded build does not carry findings an older one computed, even if
 * COVERAGE_MEMO_VERSION was not bumped. (From tsc's output, as in tests, the URL is the path.)
 */
const CODE = import.meta.url;

function carriesOver(
  memo: CoverageMemo,
  settings: Pick<CoverageMemo, 'daysForward' | 'reachExemptions' | 'code'>,
  lastRun: number,
  nowMs: number,
): boolean {
  return (
    memo.runId === lastRun &&
    memo.daysForward === settings.daysForward &&
    memo.reachExemptions === settings.reachExemptions &&
    memo.code === settings.code &&
    Number.isFinite(nowMs) &&
    // Run times only move forward (laterThanLastRun); a caller that did not keep them so recomputes.
    nowMs >= Date.parse(memo.at) &&
    (memo.horizon === null || nowMs < memo.horizon)
  );
}

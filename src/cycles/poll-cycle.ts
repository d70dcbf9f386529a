/**
 * One roster poll, as a spec for the cycle skeleton (cycle.ts): fetch → in one transaction read,
 * decide (pure) and record with the outbox rows → result → log. Delivery happens afterwards, from
 * the outbox. An aborted poll (shutdown) commits nothing at all.
 */

import { createHash, hash } from 'node:crypto';
import { type Clock, monotonicNow } from '../clock.js';
import type { Logger } from '../logger.js';
import { errorText } from '../redact.js';
import type { CoverageRoster } from '../roster/coverage.js';
import type { DestinationSpec } from '../roster/delivery-plan.js';
import { isChangeEvent } from '../roster/events.js';
import {
  digestRoster,
  fingerprintRoster,
  type KnownTeamPrints,
  type RosterFingerprints,
  userFingerprintText,
} from '../roster/fingerprint.js';
import type { Exemption } from '../roster/identity-types.js';
import { describeRequestPlan, type HintState, type HintsSetting } from '../roster/membership-hints.js';
import {
  factsOfUserList,
  type KnownUserList,
  type RecordedUsers,
  recordedCoverageUsers,
  recordedUsersOf,
} from '../roster/normalise.js';
import {
  decidePoll,
  decideUnchangedPoll,
  type PollDecision,
  type RunStatus,
} from '../roster/poll-decision.js';
import type { GuardSettings } from '../roster/safety.js';
import type { FetchedRoster, Roster, User } from '../roster/types.js';
import { collectBeforeRecording } from '../runtime-memory.js';
import type { Store } from '../store/db.js';
import type { StoredEvent } from '../store/events.js';
import { loadHeldFetch, loadOpenHold } from '../store/guard-holds.js';
import { loadCurrentRoster } from '../store/history.js';
import { loadCurrentPolicies, loadTeamSchedules, loadUnreadPolicies } from '../store/policies.js';
import { type CoverageUpdate, type RecordedPoll, recordPoll } from '../store/poll-store.js';
import {
  loadFingerprints,
  loadPreviousByFingerprint,
  loadUnchangedRecord,
  saveFingerprints,
  type UnchangedRecord,
} from '../store/roster-fingerprints.js';
import { failureStreak, hasPolicyBaseline, hasRosterBaseline } from '../store/runs.js';
import { loadHintState, loadHintsUnreliable } from '../store/team-hints.js';
import {
  forgetUserListDigest,
  loadKnownUserList,
  loadUserEntryKey,
  saveUserListDigest,
  userListDigestAction,
  vouchFor,
} from '../store/user-list-digest.js';
import type { RequestPlan } from '../victorops/fetch-roster.js';
import { KnownUserListUnreadableError } from '../victorops/user-list-reader.js';
import { type CoverageMemoUse, planCoverage } from './coverage-plan.js';
import {
  type CycleSpec,
  type FetchOutcome,
  fetchOutcome,
  laterThanLastRun,
  recordCycle,
  runCycle,
} from './cycle.js';

export interface PollCycleDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  source: string;
  guard: GuardSettings;
  pollFailingAfter: number;
  /** ONCALL_DAYS_FORWARD: how far ahead a rotation must have someone on call (default 14). */
  oncallDaysForward?: number;
  /** REACH_EXEMPT: routing keys that get no reachability finding. */
  reachExemptions?: readonly Exemption[];
  /**
   * Fetches the live roster, reading only the teams the hints name (every team or user without
   * them) and telling `onPlan` its request plan; rejects when the user list cannot be read.
   */
  fetchRoster: (signal: AbortSignal, plan: RosterFetchPlan) => Promise<FetchedRoster>;
  /**
   * MEMBERSHIP_HINTS and MEMBERSHIP_VERIFY_INTERVAL: the fetch half loads the recorded hints with
   * them, and while the setting is `auto` the interval is also how long the API must go without
   * contradicting its own member counts before hints marked unreliable are followed again. Absent:
   * no hints, every team (or user) is read, and the mark is left alone.
   */
  membershipHints?: { setting: HintsSetting; verifyIntervalMs: number };
  /** The configured destinations: every recorded event gets its outbox rows in the run's transaction. */
  destinations: readonly DestinationSpec[];
}

export interface RosterFetchPlan {
  hints: HintState | undefined;
  onPlan: (plan: RequestPlan) => void;
  /** The user list the latest run recorded (store/user-list-digest.ts), if the store vouches for it. */
  knownUsers?: KnownUserList;
  /** The database's key for its users' bytes' digests (store/user-list-digest.ts `loadUserEntryKey`). */
  userEntryKey?: Buffer;
}

/** The request plan's one log line, with the requests it costs (the two lists, then the memberships). */
export function logRequestPlan(logger: Logger, plan: RequestPlan): void {
  const requests = 2 + (plan.mode === 'hinted' ? plan.changed.length + plan.verify.length : plan.scopes);
  logger.info({ requestsPlanned: requests, plan: plan.mode }, describeRequestPlan(plan));
}

export interface PollResult {
  runId: number;
  status: RunStatus;
  events: StoredEvent[];
  changes: number;
  error: string | null;
  durationMs: number;
  fetched: FetchedRoster | null;
  /** Swaps a verification read caught (members changed, count did not): the hints' blind spot. */
  verifyCatches: number;
  /** Whether this poll set or cleared the "hints unreliable" mark. */
  hints: 'marked' | 'trusted again' | null;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A roster fingerprint (roster/fingerprint.ts): 128 bits of sha256, 22 characters to store. */
export function fingerprintHash(text: string): string {
  // The one-shot hash: a hasher object per user was a fifth of an unchanged poll's CPU.
  return hash('sha256', text, 'base64url').slice(0, 22);
}

/** What the fetch half hands the transaction: the outcome and when it was read. */
interface RosterFetch {
  outcome: FetchOutcome<FetchedRoster>;
  startedAt: string;
  /** Monotonic (monotonicNow), for the duration only. */
  startedMs: number;
  finishedMs: number;
  wallFinishedAt: string;
}

export async function runPollCycle(deps: PollCycleDeps, signal: AbortSignal): Promise<PollResult> {
  try {
    return await runCycle(deps.store, rosterCycle(deps, false), signal);
  } catch (error) {
    if (!(error instanceof KnownUserListUnreadableError)) throw error;
    // Its transaction rolled back: nothing recorded. Without the digest the next fetch parses
    // the list as any other, so bytes that cannot be read become a failed run (and its alert)
    // instead of the same throw at every poll.
    forgetUserListDigest(deps.store);
    deps.logger.error(
      { err: errorText(error) },
      'the known user list could not be read again: its digest is forgotten and the poll runs once more',
    );
    return runCycle(deps.store, rosterCycle(deps, false), signal);
  }
}

/** `roster-watch accept`: applies the held fetch at once, as a run of its own. */
export function acceptHeldChange(deps: PollCycleDeps): PollResult | null {
  const hold = loadOpenHold(deps.store);
  if (!hold) return null;
  const fetched = loadHeldFetch(deps.store, hold.id);
  if (!fetched) return null;
  const startedAt = new Date(deps.clock.now()).toISOString();
  const startedMs = monotonicNow(deps.clock);
  return recordCycle(deps.store, rosterCycle(deps, true), {
    outcome: { ok: true, fetched },
    startedAt,
    startedMs,
    finishedMs: monotonicNow(deps.clock),
    wallFinishedAt: new Date(deps.clock.now()).toISOString(),
  });
}

function rosterCycle(
  deps: PollCycleDeps,
  accept: boolean,
): CycleSpec<
  RosterFetch,
  { input: RosterFetch; decision: PollDecision; recorded: RecordedPoll },
  PollResult
> {
  const { store, clock } = deps;
  return {
    async fetch(signal) {
      const startedMs = monotonicNow(clock);
      const startedAt = new Date(clock.now()).toISOString();
      const outcome = await fetchOutcome(() => {
        const settings = deps.membershipHints;
        const known = loadKnownUserList(store);
        // The known list's users as the fetch reads them: the hints' leaver count takes their keys.
        let read: RecordedUsers | null = null;
        const knownUsers = known && {
          digest: known.digest,
          load: () => {
            read = known.load();
            return read;
          },
          ...(known.entries ? { entries: known.entries } : {}),
          // The users a patched list parses are fingerprinted as the record step fingerprints them.
          printUser: (user: User) => fingerprintHash(userFingerprintText(user)),
        };
        const hints = settings && loadHintState(store, { ...settings, nowMs: clock.now() }, () => read);
        return deps.fetchRoster(signal, {
          hints,
          onPlan: (plan) => logRequestPlan(deps.logger, plan),
          ...(knownUsers ? { knownUsers } : {}),
          userEntryKey: loadUserEntryKey(store),
        });
      });
      return {
        outcome,
        startedAt,
        startedMs,
        finishedMs: monotonicNow(clock),
        wallFinishedAt: new Date(clock.now()).toISOString(),
      };
    },
    record(input) {
      // The one-shot CLI poll frees the fetch's garbage first (a no-op in the daemon and tests).
      collectBeforeRecording();
      const fetched = input.outcome.ok ? input.outcome.fetched : null;
      const { startedAt, finishedAt } = laterThanLastRun(
        deps,
        'roster',
        input.startedAt,
        input.wallFinishedAt,
      );
      const streak = failureStreak(store);
      // A user list whose bytes are the recorded ones: its users' keys and fingerprints are the stored ones.
      const listFacts = fetched ? factsOfUserList(fetched.roster) : undefined;
      const knownUsers = listFacts?.recorded ?? undefined;
      // Fingerprints first: the recorded roster is rebuilt from the fetched one where they agree,
      // so an unchanged poll reads hashes, not every recorded user and membership. The known
      // list's users, read by the fetch, serve as the stored ones if still current.
      const stored = hasRosterBaseline(store) ? loadFingerprints(store, knownUsers) : null;
      const fetchedPrints = fetched
        ? fingerprintRoster(fetched.roster, fingerprintHash, undefined, knownUsers?.prints)
        : null;
      const policies = hasPolicyBaseline(store) ? loadCurrentPolicies(store) : null;
      const openHold = loadOpenHold(store);
      const decide = {
        outcome: input.outcome,
        openHold,
        guard: deps.guard,
        consecutiveFailures: streak.count,
        failingSince: streak.since,
        pollFailingAfter: deps.pollFailingAfter,
        now: startedAt,
        hashText: sha256,
        policies: policies ?? [],
        ...(deps.membershipHints?.setting !== 'auto' || accept
          ? {}
          : {
              hints: {
                lastContradictionAt: lastContradiction(store),
                verifyIntervalMs: deps.membershipHints.verifyIntervalMs,
              },
            }),
      };
      // Findings follow the roster this run records, in the same transaction as the change causing them.
      const coverageOf = (
        decision: PollDecision,
        roster: () => CoverageRoster | null,
        memo?: CoverageMemoUse,
      ) =>
        decision.status === 'failed' || policies === null
          ? null
          : planCoverage(
              store,
              {
                roster: coverageRosterOf(decision.apply?.roster ?? roster()),
                policies,
                // Read only when the findings are recomputed, not when carried over.
                schedules: () => loadTeamSchedules(store),
                unreadPolicies: loadUnreadPolicies(store),
                removedNow: decision.apply?.diff.usersRemoved ?? [],
                now: finishedAt,
                daysForward: deps.oncallDaysForward,
                reachExemptions: deps.reachExemptions,
              },
              memo,
            );
      const record = (
        decision: PollDecision,
        coverage: CoverageUpdate | null,
        rosterHash: string | null,
        counts?: UnchangedRecord['counts'],
      ) =>
        recordPoll(store, {
          decision,
          fetched,
          startedAt,
          finishedAt,
          stats: fetched?.stats ?? { requests: 0, retries: 0, rateLimited: 0 },
          rosterHash,
          source: deps.source,
          coverage,
          recordHints: !accept,
          deliveries: { destinations: deps.destinations, nowMs: clock.now() },
          ...(counts ? { counts } : {}),
        });

      // An unchanged poll (the fingerprints say the fetch leaves the recorded roster as it is)
      // records what the full path records for it without rebuilding the roster as objects to
      // merge and diff: 60,000 carried memberships with hints. The coverage findings (a policy
      // baseline) read its users and teams, which are the fetched ones, and each team's member
      // count, which the check counted: the memberships are not rebuilt for them either.
      const unchanged =
        !accept && fetched && fetchedPrints && stored
          ? loadUnchangedRecord(store, fetched, fetchedPrints, stored, fingerprintHash)
          : null;
      if (unchanged && fetched && fetchedPrints && stored) {
        const decision = decideUnchangedPoll(decide, fetched.roster.teams);
        const coverage = coverageOf(
          decision,
          () => ({
            // Known bytes: the recorded users' two fields coverage reads, so the list is not parsed for them.
            users: knownUsers ? recordedCoverageUsers(knownUsers) : fetched.roster.users,
            teams: fetched.roster.teams,
            memberCounts: unchanged.memberCounts,
          }),
          'carry',
        );
        // Its users are the fetched ones and its teams' members the stored ones (equal to the fetched where read).
        const recordedPrints: RosterFingerprints = {
          users: fetchedPrints.users,
          teams: stored.teams,
          teamMembers: fetchedPrints.teamMembers,
        };
        const rosterHash = digestRoster(fetched.roster, recordedPrints, sha256, knownUsers?.keys);
        const recorded = record(decision, coverage, rosterHash, unchanged.counts);
        saveFingerprints(store, recorded.runId, recordedPrints, stored);
        saveUserListDigest(store, recorded.runId, listFacts ? vouchFor(listFacts) : 'forget');
        deps.logger.debug(
          { runId: recorded.runId },
          'poll unchanged by its fingerprints: recorded without rebuilding the roster',
        );
        return { input, decision, recorded };
      }

      const knownTeams: KnownTeamPrints['teams'] = new Map();
      const byPrints =
        fetched && fetchedPrints && stored
          ? loadPreviousByFingerprint(store, fetched, fetchedPrints, stored, fingerprintHash, knownTeams)
          : null;
      const previous = byPrints ?? loadCurrentRoster(store);
      const decision: PollDecision = decidePoll({ ...decide, previous, accept });
      const coverage = coverageOf(decision, () => previous);
      // The fingerprints of what this run leaves recorded: stored for the next poll, and the runs row's digest.
      const recordedPrints =
        decision.recorded === null || fetched === null || fetchedPrints === null
          ? null
          : decision.recorded === fetched.roster
            ? fetchedPrints
            : fingerprintRoster(decision.recorded, fingerprintHash, {
                roster: fetched.roster,
                prints: fetchedPrints,
                // An unchanged hinted poll records the very memberships the fingerprint read rebuilt.
                known: byPrints ? { memberships: byPrints.memberships, teams: knownTeams } : undefined,
                // A changed hinted poll records their merge with the fetched ones (decidePoll's
                // mergeFailedScopes): the teams it read are fetched, the others known before; only
                // teams with neither are grouped from the memberships again.
                merged:
                  byPrints && decision.recorded !== byPrints
                    ? { failed: fetched.failedScopes, carried: fetched.hints?.carried ?? [] }
                    : undefined,
              });
      const recorded = record(
        decision,
        coverage,
        decision.recorded && recordedPrints ? digestRoster(decision.recorded, recordedPrints, sha256) : null,
      );
      saveFingerprints(store, recorded.runId, recordedPrints, stored);
      saveUserListDigest(store, recorded.runId, userListDigestAction(decision, fetched, listFacts, accept));
      return { input, decision, recorded };
    },
    finish: ({ input, decision, recorded }) => reportPoll(deps.logger, input, decision, recorded),
  };
}

/**
 * What the coverage findings read of a roster: a known user list's users as their recorded
 * spellings and `verified` (recordedCoverageUsers), so the list is not parsed for them.
 */
function coverageRosterOf(roster: Roster | CoverageRoster | null): CoverageRoster | null {
  if (roster === null || !('memberships' in roster)) return roster;
  const recorded = recordedUsersOf(roster);
  return recorded === undefined
    ? roster
    : { users: recordedCoverageUsers(recorded), teams: roster.teams, memberships: roster.memberships };
}

/** When the API last contradicted its member counts, while the hints are marked unreliable. */
function lastContradiction(store: Store): string | null {
  const mark = loadHintsUnreliable(store);
  return mark ? (mark.lastContradictionAt ?? mark.since) : null;
}

function reportPoll(
  logger: Logger,
  input: RosterFetch,
  decision: PollDecision,
  recorded: RecordedPoll,
): PollResult {
  const fetched = input.outcome.ok ? input.outcome.fetched : null;
  const changes = recorded.events.filter((e) => isChangeEvent(e.type)).length;
  const result: PollResult = {
    runId: recorded.runId,
    status: decision.status,
    events: recorded.events,
    changes,
    error: decision.error,
    durationMs: input.finishedMs - input.startedMs,
    fetched,
    verifyCatches: decision.verifyCatches?.length ?? 0,
    hints:
      decision.hintsMark?.kind === 'mark'
        ? 'marked'
        : decision.hintsMark?.kind === 'clear'
          ? 'trusted again'
          : null,
  };
  const summary = {
    runId: result.runId,
    status: result.status,
    changes,
    events: recorded.events.length,
    durationMs: result.durationMs,
    strategy: fetched?.strategy,
    requests: fetched?.stats.requests,
    retries: fetched?.stats.retries,
    rateLimited: fetched?.stats.rateLimited,
    users: fetched
      ? (factsOfUserList(fetched.roster)?.recorded?.keys ?? fetched.roster.users).length
      : undefined,
    failedScopes: fetched?.failedScopes.length,
    teamsRead: fetched?.hints ? fetched.hints.read.length : undefined,
    teamsCarried: fetched?.hints ? fetched.hints.carried.length : undefined,
    verifyCatches: result.verifyCatches || undefined,
  };
  if (result.verifyCatches > 0) {
    logger.info(
      { teams: decision.verifyCatches },
      'verification caught a membership change that kept the member count (a swap); recorded, hints still followed',
    );
  }
  if (result.hints === 'trusted again') {
    logger.info(
      'membership hints trusted again: the API agreed with its own member counts for a whole verify interval',
    );
  }
  if (decision.status === 'failed') logger.error({ ...summary, error: decision.error }, 'poll failed');
  else if (decision.status === 'held') logger.warn(summary, 'poll held by the mass-removal guard');
  else logger.info(summary, 'poll finished');
  return result;
}

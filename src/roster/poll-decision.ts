/**
 * What one poll means, decided purely from the previous roster, the fetch outcome and the guard
 * state: the run's status, what history to write and which events to emit. The store then writes
 * exactly this in one transaction.
 */
import { diffRosters, diffToEvents, isEmptyDiff, type RosterDiff } from './diff.js';
import type { EventDraft } from './events.js';
import { decideHintsMark, findUnannouncedChanges, type HintsMarkAction } from './membership-hints.js';
import { countUsernames, withUsersOf } from './normalise.js';
import type { Policy } from './policy-types.js';
import { pollHealthEvents } from './poll-health.js';
import { evaluateRemovalGuard, type GuardSettings, mergeFailedScopes } from './safety.js';
import type { FetchedRoster, Roster } from './types.js';
import { isPendingInvitee, usernameKey } from './types.js';

export type RunStatus = 'ok' | 'partial' | 'failed' | 'held' | 'baseline';

export interface OpenHold {
  id: number;
  firstRunId: number;
  removalHash: string;
  confirmations: number;
}

export type HoldAction =
  | { kind: 'none' }
  /** Open a new hold (superseding any open one that disagrees). */
  | { kind: 'open'; removalHash: string; removedUsers: number; knownUsers: number }
  | { kind: 'confirm'; holdId: number; confirmations: number }
  | { kind: 'release'; holdId: number; how: 'confirmed' | 'accepted' }
  /** The removal the hold was about no longer happens. */
  | { kind: 'drop'; holdId: number };

export interface PollDecision {
  status: RunStatus;
  /** The roster to record as current, with its diff against the previous one; null: unchanged. */
  apply: { roster: Roster; diff: RosterDiff } | null;
  /**
   * The roster recorded once this run is written: the runs row's counts and hash. Null for a failed
   * run, and for a poll decided unchanged from fingerprints (decideUnchangedPoll), whose recorded
   * roster is the one already recorded and whose caller has its counts.
   */
  recorded: Roster | null;
  events: EventDraft[];
  hold: HoldAction;
  error: string | null;
  /**
   * Verified teams whose members changed although their `memberCount` did not (a swap): the
   * hints' blind spot, recorded as usual and counted (roster_membership_verify_catches_total).
   */
  verifyCatches?: string[];
  /** What happens to the "hints unreliable" mark; absent: nothing. */
  hintsMark?: HintsMarkAction;
}

export interface DecidePollInput {
  previous: Roster | null;
  outcome: { ok: true; fetched: FetchedRoster } | { ok: false; error: string };
  openHold: OpenHold | null;
  guard: GuardSettings;
  /** Failed runs since the last run that was not failed, before this one. */
  consecutiveFailures: number;
  /** When that streak of failures began (the first failed run's start), if any. */
  failingSince: string | null;
  pollFailingAfter: number;
  /** This run's start, ISO. */
  now: string;
  /** A stable digest (sha256 in production); injected so this module stays free of node:*. */
  hashText: (text: string) => string;
  /** `roster-watch accept`: apply even though the guard would trip. */
  accept?: boolean;
  /** The recorded escalation policies, so `victorops.user.removed` can say which still page the user. */
  policies?: readonly Policy[];
  /**
   * The "hints unreliable" mark's last contradiction (ISO; null: the hints are trusted) and the
   * verify interval that must pass without one before they are trusted again. Absent: the mark is
   * left alone.
   */
  hints?: { lastContradictionAt: string | null; verifyIntervalMs: number };
}

const SAMPLE_SIZE = 10;

/** Identifies the users and teams a held change would remove; confirmations must agree on it. */
export function removalHash(diff: RosterDiff, hashText: (text: string) => string): string {
  const users = diff.usersRemoved.map((u) => `u:${usernameKey(u.username)}`).sort();
  const teams = diff.teamsRemoved.map((t) => `t:${t.slug}`).sort();
  return hashText([...users, ...teams].join('\n'));
}

export function decidePoll(input: DecidePollInput): PollDecision {
  const { outcome } = input;
  if (!outcome.ok) return failed(input, outcome.error);
  const { fetched } = outcome;
  const recovered = pollHealthEvents({ ...health(input), ok: true, error: null });

  if (input.previous === null) {
    // A baseline must be complete: a scope missing from it would later surface as false "added".
    if ((fetched.hints?.carried.length ?? 0) > 0) {
      return failed(input, 'the first poll must read every team, but the fetch followed membership hints');
    }
    if (fetched.failedScopes.length > 0) {
      return failed(
        input,
        `the first poll needs every membership scope, but ${fetched.failedScopes.length} could not be read (first: ${fetched.failedScopes[0]?.reason ?? ''})`,
      );
    }
    const roster = fetched.roster;
    return {
      status: 'baseline',
      apply: { roster, diff: diffRosters({ users: [], teams: [], memberships: [] }, roster) },
      recorded: roster,
      events: [
        ...recovered,
        {
          type: 'rosterwatch.baseline',
          subject: 'roster',
          data: {
            users: roster.users.length,
            teams: roster.teams.length,
            memberships: roster.memberships.length,
            strategy: fetched.strategy,
          },
        },
      ],
      hold: { kind: 'none' },
      error: null,
    };
  }

  const previous = input.previous;
  const effective = mergeFailedScopes(
    previous,
    fetched.roster,
    fetched.failedScopes,
    fetched.hints?.carried ?? [],
  );
  const diff = diffRosters(previous, effective);
  const verified = fetched.hints?.verified ?? [];
  const catches =
    verified.length === 0
      ? []
      : findUnannouncedChanges(ofTeams(previous, verified), ofTeams(effective, verified), verified);
  const partial = fetched.failedScopes.length > 0;
  // Invitations are not people: one that expires, is revoked or turns into a registered user is
  // not a removal, so neither side of the guard's fraction counts them.
  const peopleRemoved = diff.usersRemoved.filter((u) => !isPendingInvitee(u.username));
  // Counted, not filtered into a copy of 20,000 users; a known user list's from its recorded spellings.
  const peopleKnown = countUsernames(previous, (username) => !isPendingInvitee(username));
  const verdict = evaluateRemovalGuard(peopleKnown, peopleRemoved.length, input.guard);
  // Teams too: an empty team list (a proxy or API glitch) would otherwise remove every team and
  // every membership at once.
  const teamVerdict = evaluateRemovalGuard(previous.teams.length, diff.teamsRemoved.length, input.guard);
  const trips = verdict.trips || teamVerdict.trips;
  const hold = input.openHold;

  if (trips && !input.accept) {
    const hash = removalHash(diff, input.hashText);
    if (hold && hold.removalHash === hash) {
      const confirmations = hold.confirmations + 1;
      if (confirmations < input.guard.confirmations) {
        return {
          status: 'held',
          apply: null,
          recorded: previous,
          events: recovered,
          hold: { kind: 'confirm', holdId: hold.id, confirmations },
          error: null,
        };
      }
      return withUnannounced(
        applied(
          partial,
          effective,
          diff,
          previous,
          [...recovered, released('confirmed', diff, hold.firstRunId)],
          { kind: 'release', holdId: hold.id, how: 'confirmed' },
          input.policies ?? [],
        ),
        catches,
        effective,
        input,
      );
    }
    const sample = peopleRemoved.slice(0, SAMPLE_SIZE).map((u) => u.username);
    return {
      status: 'held',
      apply: null,
      recorded: previous,
      events: [
        ...recovered,
        {
          type: 'rosterwatch.guard.held',
          subject: 'guard',
          data: {
            removedUsers: verdict.removed,
            knownUsers: verdict.known,
            fraction: Math.round(verdict.fraction * 10_000) / 10_000,
            removedTeams: teamVerdict.removed,
            knownTeams: teamVerdict.known,
            threshold: { maxFraction: input.guard.maxFraction, min: input.guard.min },
            confirmations: 1,
            confirmationsRequired: input.guard.confirmations,
            sampleUsernames: sample,
          },
        },
      ],
      hold: { kind: 'open', removalHash: hash, removedUsers: verdict.removed, knownUsers: verdict.known },
      error: null,
    };
  }

  const events = [...recovered];
  let holdAction: HoldAction = { kind: 'none' };
  if (hold && trips && input.accept) {
    events.push(released('accepted', diff, hold.firstRunId));
    holdAction = { kind: 'release', holdId: hold.id, how: 'accepted' };
  } else if (hold) {
    holdAction = { kind: 'drop', holdId: hold.id };
  }
  return withUnannounced(
    applied(partial, effective, diff, previous, events, holdAction, input.policies ?? []),
    catches,
    effective,
    input,
  );
}

/**
 * decidePoll's decision for a poll whose caller has established from fingerprints that the fetch
 * leaves the recorded roster exactly as it is (store/roster-fingerprints.ts loadUnchangedRecord:
 * no failed scope, the same users, teams and members, carried teams included), without the
 * previous roster as objects: what decidePoll decides then, with an empty diff. The guard cannot
 * trip (nothing is removed), so an open hold is dropped; the verified teams read the members they
 * had, so verification catches nothing; the hints' mark is decided as decidePoll decides it.
 * `teams`: the roster's teams (a `rosterwatch.hints.unreliable` notice names one).
 */
export function decideUnchangedPoll(
  input: Omit<DecidePollInput, 'previous' | 'accept'>,
  teams: Roster['teams'],
): PollDecision {
  const { outcome } = input;
  if (!outcome.ok || outcome.fetched.failedScopes.length > 0) {
    throw new Error('decideUnchangedPoll: only a complete, successful fetch can leave the roster unchanged');
  }
  const events = pollHealthEvents({ ...health(input), ok: true, error: null });
  const hold: HoldAction = input.openHold ? { kind: 'drop', holdId: input.openHold.id } : { kind: 'none' };
  const decision: PollDecision = { status: 'ok', apply: null, recorded: null, events, hold, error: null };
  return withUnannounced(decision, [], { users: [], teams, memberships: [] }, input);
}

/**
 * Adds what the poll learnt about the hints: the swaps verification caught (counted only), and the
 * `rosterwatch.hints.unreliable` notice when the API contradicted its own `memberCount` while the
 * hints were trusted. The changes themselves are already in the decision's events, recorded as
 * usual; the notice comes first so a reader of the stream learns why later polls cost more.
 */
function withUnannounced(
  decision: PollDecision,
  catches: readonly string[],
  roster: Roster,
  input: Omit<DecidePollInput, 'previous'>,
): PollDecision {
  const contradicted = input.outcome.ok ? (input.outcome.fetched.hints?.contradicted ?? []) : [];
  const hintsMark = input.hints
    ? decideHintsMark({
        lastContradictionAt: input.hints.lastContradictionAt,
        contradictions: contradicted,
        checked: (input.outcome.ok ? (input.outcome.fetched.hints?.read.length ?? 0) : 0) > 0,
        verifyIntervalMs: input.hints.verifyIntervalMs,
        now: input.now,
      })
    : undefined;
  const withHints = {
    ...decision,
    verifyCatches: [...catches],
    ...(hintsMark ? { hintsMark } : {}),
  };
  const first = contradicted[0];
  if (hintsMark?.kind !== 'mark' || first === undefined) return withHints;
  const team = roster.teams.find((t) => t.slug === first.slug) ?? { slug: first.slug, name: first.slug };
  const notice: EventDraft = {
    type: 'rosterwatch.hints.unreliable',
    subject: 'hints',
    data: {
      team,
      teamsWithUnannouncedChanges: contradicted.length,
      listedMemberCount: first.listed,
      readMemberCount: first.read,
      detectedAt: input.now,
      message: `team "${team.name}" is listed with memberCount ${first.listed} in GET /v1/team but its members read ${first.read}; every poll now reads every team until the counts agree for a whole verify interval`,
    },
  };
  return { ...withHints, events: [notice, ...decision.events] };
}

function released(how: 'confirmed' | 'accepted', diff: RosterDiff, heldSinceRunId: number): EventDraft {
  return {
    type: 'rosterwatch.guard.released',
    subject: 'guard',
    data: { how, removedUsers: diff.usersRemoved.length, heldSinceRunId },
  };
}

function applied(
  partial: boolean,
  effective: Roster,
  diff: RosterDiff,
  previous: Roster,
  notices: EventDraft[],
  hold: HoldAction,
  policies: readonly Policy[],
): PollDecision {
  return {
    status: partial ? 'partial' : 'ok',
    apply: isEmptyDiff(diff) ? null : { roster: effective, diff },
    recorded: effective,
    events: [...notices, ...diffToEvents(diff, previous, effective, policies)],
    hold,
    error: null,
  };
}

/**
 * The roster with only the memberships of `slugs`: all that findUnannouncedChanges reads of them.
 * It lower-cased the names of both rosters' 60,000 memberships to keep the few of the verified teams.
 */
function ofTeams(roster: Roster, slugs: readonly string[]): Roster {
  const wanted = new Set(slugs);
  return withUsersOf(roster, {
    teams: roster.teams,
    memberships: roster.memberships.filter((m) => wanted.has(m.teamSlug)),
  });
}

function failed(input: DecidePollInput, error: string): PollDecision {
  const events = pollHealthEvents({ ...health(input), ok: false, error });
  return { status: 'failed', apply: null, recorded: null, events, hold: { kind: 'none' }, error };
}

function health(input: Omit<DecidePollInput, 'previous'>) {
  return {
    kind: 'roster' as const,
    consecutiveFailures: input.consecutiveFailures,
    failingSince: input.failingSince,
    pollFailingAfter: input.pollFailingAfter,
    now: input.now,
  };
}

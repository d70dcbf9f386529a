/**
 * Fetches a whole roster. The user list and the team list come first; memberships then come from
 * one call per user (`/v1/user/{u}/teams`) or one per team (`/v1/team/{t}/members`), whichever
 * is fewer calls. The team list is always read, so teams with no members exist under both
 * strategies and they give identical rosters. With the recorded membership hints, only the teams
 * that are new, whose `version`/`memberCount` moved, or whose turn it is to be verified are read;
 * the others are returned as `carried` (see roster/membership-hints.ts).
 *
 * A membership scope that cannot be read after retries is reported as failed, never as empty:
 * the poll cycle keeps its previous memberships instead of announcing false removals.
 */
import type { Clock } from '../clock.js';
import { VictorOpsError } from '../errors.js';
import {
  type CountContradiction,
  countContradictions,
  type FullReadReason,
  findDifferingReads,
  fullReadReason,
  type HintState,
  membersByTeam,
  planTeamReads,
  type TeamReadPlan,
} from '../roster/membership-hints.js';
import { factsOfUserList, type KnownUserList, normaliseRoster } from '../roster/normalise.js';
import type {
  FailedScope,
  FetchedHints,
  FetchedRoster,
  Membership,
  MembershipSource,
  Team,
} from '../roster/types.js';
import { encodePathSegment, type VictorOpsClient } from './client.js';
import { runPool } from './run-pool.js';
import { type ApiListedTeam, teamListSchema, userTeamsSchema } from './schemas.js';
import { teamMembersReader } from './team-members-reader.js';
import { userListReaderOf } from './user-list-reader.js';

export type MembershipSourceSetting = MembershipSource | 'auto';

export interface FetchProgress {
  done: number;
  planned: number;
  elapsedMs: number;
  strategy: MembershipSource | null;
}

export interface FetchRosterOptions {
  client: VictorOpsClient;
  clock: Clock;
  source: MembershipSourceSetting;
  concurrency: number;
  deadlineMs: number;
  signal?: AbortSignal;
  onProgress?: ((progress: FetchProgress) => void) | undefined;
  /** The recorded hints; without them every team (or user) is read. */
  hints?: HintState;
  /** The request plan, computed once the two lists are in, before any membership read. */
  onPlan?: (plan: RequestPlan) => void;
  /** The user list recorded last (store/user-list-digest.ts): the same bytes are not parsed again. */
  knownUsers?: KnownUserList;
  /** The key of the users' bytes' digests: with it each user's bytes are digested (a patched list's). */
  userEntryKey?: Buffer;
}

export type RequestPlan =
  | TeamReadPlan
  | { mode: 'full'; scopes: number; strategy: MembershipSource; reason: FullReadReason };

/** Requests each strategy costs for the membership phase, after the two list calls. */
export function chooseStrategy(
  setting: MembershipSourceSetting,
  users: number,
  teams: number,
): MembershipSource {
  if (setting !== 'auto') return setting;
  return teams <= users ? 'team' : 'user';
}

export async function fetchRoster(options: FetchRosterOptions): Promise<FetchedRoster> {
  const { client, clock } = options;
  const startedMs = clock.now();
  const before = client.stats();
  const deadline = new AbortController();
  const timer = setTimeout(() => {
    deadline.abort(
      new VictorOpsError(
        'deadline',
        `the roster fetch did not finish within ${options.deadlineMs} ms (VO_FETCH_DEADLINE_MS)`,
        {
          retryable: false,
        },
      ),
    );
  }, options.deadlineMs);
  timer.unref();
  // Ends the requests still in flight when the fetch fails: a failed user list must not leave the
  // team list retrying in the background, holding rate tokens and connections.
  const abandon = new AbortController();
  const signal = AbortSignal.any([
    ...(options.signal ? [options.signal] : []),
    deadline.signal,
    abandon.signal,
  ]);
  let done = 0;
  let planned = 2;
  let strategy: MembershipSource | null = null;
  const progress = () =>
    options.onProgress?.({ done, planned, elapsedMs: clock.now() - startedMs, strategy });

  try {
    const [users, teams] = await Promise.all([
      client
        .get('/v1/user', userListReaderOf(options.knownUsers, undefined, options.userEntryKey), signal)
        .finally(() => {
          done++;
          progress();
        }),
      client.get('/v1/team', teamListSchema, signal).finally(() => {
        done++;
        progress();
      }),
    ]);
    const listed = teams.map((t) => ({
      slug: t.slug,
      version: t.version ?? null,
      memberCount: t.memberCount ?? null,
    }));
    const reason: FullReadReason | null =
      options.source === 'user'
        ? 'membership source user'
        : options.hints
          ? fullReadReason(options.hints)
          : 'hints off';
    // The known bytes' users are the recorded ones: their keys without parsing them.
    const recorded = factsOfUserList(users)?.recorded;
    const present = new Set(recorded ? recorded.keys : users.byKey.keys());
    const userCount = recorded ? recorded.keys.length : users.users.length;
    const hinted = reason === null && options.hints ? planTeamReads(listed, options.hints, present) : null;
    strategy = hinted ? 'team' : chooseStrategy(options.source, userCount, teams.length);
    const scopes = hinted
      ? [...hinted.changed, ...hinted.verify]
      : strategy === 'user'
        ? [...users.users.map((u) => u.username), ...users.otherSpellings]
        : teams.map((t) => t.slug);
    planned = 2 + scopes.length;
    options.onPlan?.(
      hinted ?? { mode: 'full', scopes: scopes.length, strategy, reason: reason ?? 'hints off' },
    );
    progress();

    const memberships: Membership[] = [];
    const failedScopes: FailedScope[] = [];
    const chosen = strategy;
    await runPool(scopes, options.concurrency, async (scope) => {
      try {
        if (chosen === 'user') {
          const userTeams = await client.get(
            `/v1/user/${encodePathSegment(scope)}/teams`,
            userTeamsSchema,
            signal,
          );
          for (const team of userTeams) memberships.push({ username: scope, teamSlug: team.slug });
        } else {
          const members = await client.get(
            `/v1/team/${encodePathSegment(scope)}/members`,
            teamMembersReader,
            signal,
          );
          for (const username of members) memberships.push({ username, teamSlug: scope });
        }
      } catch (error) {
        // Cancellation and the deadline end the whole fetch; anything else loses only this scope.
        if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : error;
        const reason = error instanceof Error ? error.message : String(error);
        failedScopes.push(
          chosen === 'user'
            ? { kind: 'user-teams', username: scope, reason }
            : { kind: 'team-members', teamSlug: scope, reason },
        );
      } finally {
        done++;
        progress();
      }
    });

    const read = readTeams(listed, scopes, strategy, failedScopes);
    const checked = await checkReads(client, signal, {
      listed,
      read,
      verified: hinted ? hinted.verify : [],
      memberships,
      recorded: hinted ? options.hints?.recordedMembers : undefined,
      present,
    });
    const after = client.stats();
    const teamList: Team[] = teams.map((t) => ({ slug: t.slug, name: t.name }));
    const hints = describeFetchedHints(listed, read, failedScopes, hinted, checked);
    return {
      roster: normaliseRoster({ users, teams: teamList, memberships }),
      strategy,
      failedScopes: failedScopes.sort((a, b) => scopeName(a).localeCompare(scopeName(b))),
      stats: {
        requests: after.requests - before.requests,
        retries: after.retries - before.retries,
        rateLimited: after.rateLimited - before.rateLimited,
      },
      startedAt: new Date(startedMs).toISOString(),
      finishedAt: new Date(clock.now()).toISOString(),
      hints,
    };
  } catch (error) {
    abandon.abort(error);
    if (deadline.signal.aborted && deadline.signal.reason instanceof VictorOpsError)
      throw deadline.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Which teams were read completely. With the user strategy every team's members come together,
 * so they count as read only when no user's teams failed.
 */
function readTeams(
  listed: FetchedHints['listed'],
  scopes: readonly string[],
  strategy: MembershipSource,
  failedScopes: readonly FailedScope[],
): string[] {
  const failedTeams = new Set(failedScopes.map(scopeName));
  if (strategy === 'team') return scopes.filter((slug) => !failedTeams.has(slug));
  return failedScopes.length === 0 ? listed.map((t) => t.slug) : [];
}

function describeFetchedHints(
  listed: FetchedHints['listed'],
  read: string[],
  failedScopes: readonly FailedScope[],
  hinted: TeamReadPlan | null,
  checked: CheckedReads,
): FetchedHints {
  const failedTeams = new Set(failedScopes.map(scopeName));
  return {
    listed,
    read,
    carried: hinted?.carried ?? [],
    verified: hinted
      ? hinted.verify.filter((slug) => !failedTeams.has(slug) && !checked.movedDuringPoll.has(slug))
      : [],
    contradicted: checked.contradicted,
  };
}

interface CheckedReads {
  /** Verified teams whose change was made during this poll (their hints moved on a second list). */
  movedDuringPoll: Set<string>;
  /** Teams whose member count the API contradicted, on both list reads. */
  contradicted: CountContradiction[];
}

/**
 * Checks the membership reads against the team list read at the start of the poll. Two things
 * differ when a change lands between that list and a team's read, and both are told apart from
 * what they otherwise mean by reading the team list once more (one request, only when something
 * differs):
 * - a verified team whose members differ from the recorded ones: a swap the hints cannot show
 *   (counted, not fatal), unless its hints moved meanwhile (a change made during the poll);
 * - a team whose member count is not its listed `memberCount`: the API contradicting itself,
 *   unless the second list agrees with the read or shows the team moved.
 * If that second read fails, nothing is excused: contradictions stand, which is the safe side
 * (the hints are then not trusted).
 */
async function checkReads(
  client: VictorOpsClient,
  signal: AbortSignal,
  input: {
    listed: FetchedHints['listed'];
    read: readonly string[];
    verified: readonly string[];
    memberships: readonly Membership[];
    recorded: ((slug: string) => ReadonlySet<string>) | undefined;
    present: ReadonlySet<string>;
  },
): Promise<CheckedReads> {
  const contradicted = countContradictions(input.listed, input.read, input.memberships);
  const differing = input.recorded
    ? findDifferingReads(
        input.verified,
        membersByTeam(input.verified, input.memberships),
        input.recorded,
        input.present,
      )
    : [];
  if (differing.length === 0 && contradicted.length === 0)
    return { movedDuringPoll: new Set(), contradicted };
  let relisted: ApiListedTeam[];
  try {
    relisted = await client.get('/v1/team', teamListSchema, signal);
  } catch (error) {
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : error;
    return { movedDuringPoll: new Set(), contradicted };
  }
  const first = new Map(input.listed.map((t) => [t.slug, t]));
  const second = new Map(relisted.map((t) => [t.slug, t]));
  const moved = (slug: string): boolean => {
    const before = first.get(slug);
    const after = second.get(slug);
    if (!before || !after) return after === undefined;
    return (after.version ?? null) !== before.version || (after.memberCount ?? null) !== before.memberCount;
  };
  return {
    movedDuringPoll: new Set(differing.filter((slug) => second.has(slug) && moved(slug))),
    contradicted: contradicted.filter(
      (c) => !moved(c.slug) && (second.get(c.slug)?.memberCount ?? null) !== c.read,
    ),
  };
}

function scopeName(scope: FailedScope): string {
  return scope.kind === 'user-teams' ? scope.username : scope.teamSlug;
}

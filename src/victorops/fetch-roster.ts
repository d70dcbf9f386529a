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
  type FullReadReason,
  findDifferingReads,
  fullReadReason,
  type HintState,
  planTeamReads,
  type TeamReadPlan,
} from '../roster/membership-hints.js';
import { normaliseRoster } from '../roster/normalise.js';
import type {
  FailedScope,
  FetchedHints,
  FetchedRoster,
  Membership,
  MembershipSource,
  Team,
} from '../roster/types.js';
import { usernameKey } from '../roster/types.js';
import { encodePathSegment, type VictorOpsClient } from './client.js';
import { runPool } from './run-pool.js';
import {
  type ApiListedTeam,
  teamListSchema,
  teamMembersSchema,
  userListSchema,
  userTeamsSchema,
} from './schemas.js';

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
  onProgress?: (progress: FetchProgress) => void;
  /** The recorded hints; without them every team (or user) is read. */
  hints?: HintState;
  /** The request plan, computed once the two lists are in, before any membership read. */
  onPlan?: (plan: RequestPlan) => void;
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
      client.get('/v1/user', userListSchema, signal).finally(() => {
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
    const present = new Set(users.map((u) => usernameKey(u.username)));
    const hinted = reason === null && options.hints ? planTeamReads(listed, options.hints, present) : null;
    strategy = hinted ? 'team' : chooseStrategy(options.source, users.length, teams.length);
    const scopes = hinted
      ? [...hinted.changed, ...hinted.verify]
      : strategy === 'user'
        ? users.map((u) => u.username)
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
            teamMembersSchema,
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

    const movedDuringPoll =
      hinted && options.hints?.recordedMembers
        ? await findChangesDuringPoll(client, signal, {
            listed,
            verified: hinted.verify,
            memberships,
            recorded: options.hints.recordedMembers,
            present,
          })
        : new Set<string>();
    const after = client.stats();
    const teamList: Team[] = teams.map((t) => ({ slug: t.slug, name: t.name }));
    const hints = describeFetchedHints(listed, scopes, strategy, failedScopes, hinted, movedDuringPoll);
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
function describeFetchedHints(
  listed: FetchedHints['listed'],
  scopes: readonly string[],
  strategy: MembershipSource,
  failedScopes: readonly FailedScope[],
  hinted: TeamReadPlan | null,
  movedDuringPoll: ReadonlySet<string>,
): FetchedHints {
  const failedTeams = new Set(failedScopes.map(scopeName));
  const read =
    strategy === 'team'
      ? scopes.filter((slug) => !failedTeams.has(slug))
      : failedScopes.length === 0
        ? listed.map((t) => t.slug)
        : [];
  return {
    listed,
    read,
    carried: hinted?.carried ?? [],
    verified: hinted
      ? hinted.verify.filter((slug) => !failedTeams.has(slug) && !movedDuringPoll.has(slug))
      : [],
  };
}

/**
 * Verified teams whose members differ from the recorded ones and whose hints moved since this
 * poll's team list was read: their change was announced, just after that read, so it does not prove
 * the hints unreliable. Costs one more `GET /v1/team`, only when a verification read differs. If
 * that read fails, nothing is excused (the safe side: the hints are then taken as unreliable).
 */
async function findChangesDuringPoll(
  client: VictorOpsClient,
  signal: AbortSignal,
  input: {
    listed: FetchedHints['listed'];
    verified: readonly string[];
    memberships: readonly Membership[];
    recorded: (slug: string) => ReadonlySet<string>;
    present: ReadonlySet<string>;
  },
): Promise<Set<string>> {
  const wanted = new Set(input.verified);
  const read = new Map<string, Set<string>>();
  for (const m of input.memberships) {
    if (!wanted.has(m.teamSlug)) continue;
    const members = read.get(m.teamSlug) ?? new Set<string>();
    members.add(usernameKey(m.username));
    read.set(m.teamSlug, members);
  }
  const differing = findDifferingReads(input.verified, read, input.recorded, input.present);
  if (differing.length === 0) return new Set();
  let relisted: ApiListedTeam[];
  try {
    relisted = await client.get('/v1/team', teamListSchema, signal);
  } catch (error) {
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : error;
    return new Set();
  }
  const first = new Map(input.listed.map((t) => [t.slug, t]));
  const moved = new Set<string>();
  for (const team of relisted) {
    const before = first.get(team.slug);
    if (!before || !differing.includes(team.slug)) continue;
    if ((team.version ?? null) !== before.version || (team.memberCount ?? null) !== before.memberCount)
      moved.add(team.slug);
  }
  return moved;
}

function scopeName(scope: FailedScope): string {
  return scope.kind === 'user-teams' ? scope.username : scope.teamSlug;
}

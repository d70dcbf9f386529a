/**
 * `roster-watch doctor`'s checks: reads each endpoint class roster-watch uses once (GET only),
 * validates every body against the client's schemas, and works out the org's size, the membership
 * strategy `auto` would pick and what a poll will cost at the configured rate.
 */

import { VictorOpsError } from '../errors.js';
import { isPendingInvitee } from '../roster/types.js';
import { encodePathSegment, type VictorOpsClient } from './client.js';
import { POLICY_LIST_PATH } from './fetch-policies.js';
import { chooseStrategy, type MembershipSourceSetting } from './fetch-roster.js';
import {
  policyDetailSchema,
  policyListSchema,
  teamListSchema,
  teamMembersSchema,
  teamScheduleSchema,
  userListSchema,
  userTeamsSchema,
} from './schemas.js';

export type CheckStatus = 'ok' | 'fail' | 'skip';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  /** What was found, or what is wrong and what to do. */
  detail: string;
}

export interface DoctorOptions {
  client: VictorOpsClient;
  membershipSource: MembershipSourceSetting;
  maxRps: number;
  daysForward: number;
  /**
   * Claims the once-a-minute policy list call (shared with running pollers); returns how long
   * until it is due when it is not.
   */
  claimPolicyList: () => { ok: true } | { ok: false; retryInMs: number };
  /** Policy slugs already recorded, to read one detail when the list is not due. */
  recordedPolicySlugs: readonly string[];
  signal?: AbortSignal;
}

export interface DoctorReport {
  checks: DoctorCheck[];
  /** Summary lines: the org's size, the strategy, the cost of a poll. */
  summary: string[];
  ok: boolean;
}

/** What to do about a failed read, by what went wrong. */
function adviceFor(error: unknown): string {
  if (!(error instanceof VictorOpsError)) return error instanceof Error ? error.message : String(error);
  switch (error.code) {
    case 'auth':
      return `${error.message} (a read-only key is enough; the key must belong to this org)`;
    case 'shape':
      return `${error.message}: VictorOps answered in a shape roster-watch does not read; please report it with this line`;
    case 'timeout':
    case 'network':
      return `${error.message}: check VO_BASE_URL and that this host can reach it`;
    case 'rate_limited':
      return `${error.message}: wait a minute or lower VO_MAX_RPS`;
    default:
      return error.message;
  }
}

const seconds = (requests: number, maxRps: number) => {
  const s = requests / maxRps;
  return s < 60 ? `${Math.ceil(s)} s` : `${Math.round(s / 6) / 10} min`;
};

export async function runDoctorChecks(options: DoctorOptions): Promise<DoctorReport> {
  const { client, signal } = options;
  const checks: DoctorCheck[] = [];
  const read = async <T>(
    name: string,
    path: string,
    schema: Parameters<VictorOpsClient['get']>[1],
    describe: (value: T) => string,
  ) => {
    try {
      const value = (await client.get(path, schema, signal)) as T;
      checks.push({ name, status: 'ok', detail: describe(value) });
      return value;
    } catch (error) {
      if (signal?.aborted) throw error;
      checks.push({ name, status: 'fail', detail: adviceFor(error) });
      return null;
    }
  };

  const users = await read<{ username: string; verified?: boolean | null }[]>(
    'credentials and user list (GET /v1/user)',
    '/v1/user',
    userListSchema,
    (list) => `${list.length} users`,
  );
  const teams = await read<{ slug: string; name: string }[]>(
    'team list (GET /v1/team)',
    '/v1/team',
    teamListSchema,
    (list) => `${list.length} teams`,
  );
  const strategy =
    users && teams ? chooseStrategy(options.membershipSource, users.length, teams.length) : null;
  const firstTeam = teams?.[0];
  const firstUser = users?.find((u) => !isPendingInvitee(u.username)) ?? users?.[0];
  if (strategy === 'team' && firstTeam) {
    await read<string[]>(
      'one membership read (GET /v1/team/{team}/members)',
      `/v1/team/${encodePathSegment(firstTeam.slug)}/members`,
      teamMembersSchema,
      (members) => `team ${firstTeam.name}: ${members.length} members`,
    );
  } else if (strategy === 'user' && firstUser) {
    await read<unknown[]>(
      'one membership read (GET /v1/user/{user}/teams)',
      `/v1/user/${encodePathSegment(firstUser.username)}/teams`,
      userTeamsSchema,
      (list) => `${list.length} teams for one user`,
    );
  } else {
    checks.push({ name: 'one membership read', status: 'skip', detail: 'no user or team list to pick from' });
  }

  let policySlugs: readonly string[] = options.recordedPolicySlugs;
  let policyCount: number | null = null;
  const permit = options.claimPolicyList();
  if (permit.ok) {
    const list = await read<{ slug: string }[]>(
      'policy list (GET /v1/policies)',
      POLICY_LIST_PATH,
      policyListSchema,
      (l) => `${l.length} escalation policies`,
    );
    if (list) {
      policySlugs = list.map((p) => p.slug);
      policyCount = list.length;
    }
  } else {
    checks.push({
      name: 'policy list (GET /v1/policies)',
      status: 'skip',
      detail: `read by roster-watch less than a minute ago (VictorOps allows about one a minute): run doctor again in ${Math.ceil(permit.retryInMs / 1000)} s to check it`,
    });
  }
  const slug = policySlugs[0];
  if (slug) {
    await read<{ steps?: unknown[] | null }>(
      'one policy detail (GET /v1/policies/{policy})',
      `${POLICY_LIST_PATH}/${encodePathSegment(slug)}`,
      policyDetailSchema,
      (p) => `${p.steps?.length ?? 0} steps`,
    );
  } else {
    checks.push({ name: 'one policy detail', status: 'skip', detail: 'no escalation policy to read' });
  }
  if (firstTeam) {
    await read<{ schedules?: unknown[] | null }>(
      'one on-call schedule (GET /v2/team/{team}/oncall/schedule)',
      `/v2/team/${encodePathSegment(firstTeam.slug)}/oncall/schedule?daysForward=${options.daysForward}`,
      teamScheduleSchema,
      (s) => `team ${firstTeam.name}: ${s.schedules?.length ?? 0} policy schedules`,
    );
  } else {
    checks.push({ name: 'one on-call schedule', status: 'skip', detail: 'no team to read' });
  }

  const summary: string[] = [];
  if (users && teams && strategy) {
    const pending = users.filter((u) => isPendingInvitee(u.username)).length;
    const unverified = users.filter((u) => u.verified === false && !isPendingInvitee(u.username)).length;
    summary.push(
      `org: ${users.length - pending} users (${unverified} unverified), ${pending} pending invitations, ${teams.length} teams${policyCount === null ? '' : `, ${policyCount} escalation policies`}`,
    );
    const perTeam = teams.length;
    const perUser = users.length;
    const chosen = strategy === 'team' ? perTeam : perUser;
    summary.push(
      options.membershipSource === 'auto'
        ? `strategy: auto picks per-${strategy} membership reads (${perTeam} per team vs ${perUser} per user)`
        : `strategy: MEMBERSHIP_SOURCE=${options.membershipSource} (${chosen} membership reads; auto would pick per-${chooseStrategy('auto', perUser, perTeam)})`,
    );
    const roster = 2 + chosen;
    summary.push(
      `roster poll: ${roster} requests, about ${seconds(roster, options.maxRps)} at VO_MAX_RPS=${options.maxRps}`,
    );
    if (policyCount !== null) {
      const policy = 1 + policyCount + teams.length;
      summary.push(
        `policy poll: ${policy} requests, about ${seconds(policy, options.maxRps)} at VO_MAX_RPS=${options.maxRps}`,
      );
    }
  }
  return { checks, summary, ok: checks.every((c) => c.status !== 'fail') };
}

/**
 * `roster-watch doctor`'s checks: reads each endpoint class roster-watch uses once (GET only),
 * validates every body against the client's schemas, and works out the org's size, the membership
 * strategy `auto` would pick and what a poll will cost at the configured rate.
 *
 * Doctor bounds its own time: VictorOps answers a wrong key with the same 403 it uses for rate
 * limiting, so no status can tell doctor to stop waiting. Each check has a short deadline, retries
 * included, within one budget for the whole run; a check that fails for want of a connection or a
 * key ends the run (the others would fail the same way, each after its own deadline).
 */

import { type Clock, monotonicNow, systemClock } from '../clock.js';
import { VictorOpsError } from '../errors.js';
import { policyPollCost, scheduleThatFits } from '../roster/policy-poll-cost.js';
import { isPendingInvitee } from '../roster/types.js';
import { encodePathSegment, type RetryInfo, type VictorOpsClient } from './client.js';
import {
  type ApiContactMethods,
  type ApiPagingPolicy,
  contactMethodsSchema,
  pagingPolicySchema,
} from './contact-schemas.js';
import { withoutExcerpt } from './fetch-contacts.js';
import { POLICY_LIST_PATH, ROUTING_KEYS_PATH } from './fetch-policies.js';
import { chooseStrategy, type MembershipSourceSetting } from './fetch-roster.js';
import { isRateLimitAnswer } from './retry-policy.js';
import {
  policyDetailSchema,
  policyListSchema,
  routingKeyListSchema,
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
  /** VO_RATE_PACE: the share of maxRps the budget spends (default 1), for the recommended schedule. */
  ratePace?: number;
  daysForward: number;
  /**
   * Claims the once-a-minute policy list call (shared with running pollers); returns how long
   * until it is due when it is not.
   */
  claimPolicyList: () => { ok: true } | { ok: false; retryInMs: number };
  /** Policy slugs already recorded, to read one detail when the list is not due. */
  recordedPolicySlugs: readonly string[];
  signal?: AbortSignal;
  /** Each check as it ends, so a run is printed as it goes. */
  onCheck?: ((check: DoctorCheck) => void) | undefined;
  /** Hears of the client's retries (to say what the last attempt met when a deadline ends a check). */
  subscribeRetries?: (listener: (info: RetryInfo) => void) => () => void;
  clock?: Clock;
  /** Per check, retries included (default DOCTOR_CHECK_DEADLINE_MS). */
  checkDeadlineMs?: number;
  /** For the whole run (default DOCTOR_BUDGET_MS). */
  budgetMs?: number;
}

/** A check's deadline, retries included: a 403 is retried 3 times with backoff within it. */
export const DOCTOR_CHECK_DEADLINE_MS = 6_000;
/** The whole run's: every failure mode ends well within 30 s. */
export const DOCTOR_BUDGET_MS = 25_000;

export interface DoctorReport {
  checks: DoctorCheck[];
  /** Summary lines: the org's size, the strategy, the cost of a poll. */
  summary: string[];
  ok: boolean;
}

/** What to do about a failed read, by what went wrong. */
function adviceFor(error: unknown): string {
  if (!(error instanceof VictorOpsError)) return error instanceof Error ? error.message : String(error);
  if (error.status === 403) return persistent403(error.path ?? '');
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

/** VictorOps answers a wrong key and a rate limit with the same bare 403: name both causes. */
function persistent403(path: string): string {
  return `GET ${path} answered 403 on every attempt. VictorOps answers 403 both to a wrong key and to a rate limit: check that VO_API_ID and VO_API_KEY are this org's API id and key (a read-only key is enough), and that no other process (another roster-watch, a script) is using this key right now; then run doctor again in a minute`;
}

/** Failures that every later check would meet too, each after its own deadline. */
function endsTheRun(error: unknown): boolean {
  return (
    error instanceof VictorOpsError &&
    ['auth', 'network', 'timeout', 'deadline', 'rate_limited'].includes(error.code)
  );
}

/** `1 step`, `2 steps`. */
function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const seconds = (requests: number, maxRps: number) => {
  const s = requests / maxRps;
  return s < 60 ? `${Math.ceil(s)} s` : `${Math.round(s / 6) / 10} min`;
};

/** "3 routing keys", and a warning naming the keys that route nowhere (alerts to them page nobody). */
export function describeRoutingKeys(
  keys: readonly { routingKey: string; targets: readonly unknown[] }[],
): string {
  const unrouted = keys.filter((k) => k.targets.length === 0).map((k) => k.routingKey);
  const shown =
    unrouted.slice(0, 5).join(', ') + (unrouted.length > 5 ? `, and ${unrouted.length - 5} more` : '');
  return unrouted.length === 0
    ? count(keys.length, 'routing key')
    : `${count(keys.length, 'routing key')}; warning: ${count(unrouted.length, 'key has', 'keys have')} no target, so alerts to ${unrouted.length === 1 ? 'it' : 'them'} page nobody (${shown})`;
}

export async function runDoctorChecks(options: DoctorOptions): Promise<DoctorReport> {
  const { client, signal } = options;
  const checks: DoctorCheck[] = [];
  const clock = options.clock ?? systemClock;
  const checkDeadlineMs = options.checkDeadlineMs ?? DOCTOR_CHECK_DEADLINE_MS;
  const budgetMs = options.budgetMs ?? DOCTOR_BUDGET_MS;
  const endsAtMs = monotonicNow(clock) + budgetMs;
  const push = (check: DoctorCheck) => {
    checks.push(check);
    options.onCheck?.(check);
  };
  /** Set once a check failed in a way every later one would: they are skipped with this reason. */
  let skipReason: string | null = null;
  const read = async <T>(
    name: string,
    path: string,
    schema: Parameters<VictorOpsClient['get']>[1],
    describe: (value: T) => string,
    how: {
      /** Said instead of a failure when the endpoint's own rate limit answered (the key works). */
      onRateLimit?: string;
      /** The endpoint answers with contact values: a failure never quotes its body. */
      personal?: boolean;
    } = {},
  ) => {
    const { onRateLimit } = how;
    const explain = (e: unknown) => adviceFor(how.personal ? withoutExcerpt(e) : e);
    const limitMs = Math.min(checkDeadlineMs, endsAtMs - monotonicNow(clock));
    if (skipReason === null && limitMs <= 0)
      skipReason = `not run: doctor's ${budgetMs / 1000} s budget is used up`;
    if (skipReason !== null) {
      push({ name, status: 'skip', detail: skipReason });
      return null;
    }
    const deadline = new AbortController();
    const timer = setTimeout(
      () =>
        deadline.abort(
          new VictorOpsError('deadline', `no answer within ${Math.ceil(limitMs / 1000)} s`, {
            retryable: false,
            path,
          }),
        ),
      limitMs,
    );
    let lastFailure: VictorOpsError | null = null;
    let retries = 0;
    const unsubscribe = options.subscribeRetries?.((info) => {
      if (info.path !== path) return;
      lastFailure = info.error;
      retries = info.retry;
    });
    try {
      const value = (await client.get(
        path,
        schema,
        signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal,
      )) as T;
      push({ name, status: 'ok', detail: describe(value) });
      return value;
    } catch (error) {
      if (signal?.aborted) throw error;
      const timedOut = deadline.signal.aborted;
      const last = lastFailure as VictorOpsError | null;
      const answer = error instanceof VictorOpsError && error.status !== undefined ? error : last;
      // The checks before this one were answered, so the key works: a rate-limit answer here is
      // the endpoint's own limit spent by another process on the key, not a fault to report.
      const keyWorks = checks.some((c) => c.status === 'ok' && c.name !== 'configuration');
      if (onRateLimit && keyWorks && answer?.status !== undefined && isRateLimitAnswer(answer.status)) {
        push({ name, status: 'skip', detail: onRateLimit });
        return null;
      }
      const within = `${Math.ceil(limitMs / 1000)} s`;
      const detail = !timedOut
        ? explain(error)
        : last
          ? `${explain(last)} (${retries + 1} attempts in ${within})`
          : `no answer within ${within}: check VO_BASE_URL and that this host can reach it`;
      push({ name, status: 'fail', detail });
      if (timedOut || endsTheRun(error))
        skipReason = `not run: "${name}" failed, and this check needs the same address and key`;
      return null;
    } finally {
      clearTimeout(timer);
      unsubscribe?.();
    }
  };

  const users = await read<{ username: string; verified?: boolean | null }[]>(
    'credentials and user list (GET /v1/user)',
    '/v1/user',
    userListSchema,
    (list) => count(list.length, 'user'),
  );
  const teams = await read<{ slug: string; name: string }[]>(
    'team list (GET /v1/team)',
    '/v1/team',
    teamListSchema,
    (list) => count(list.length, 'team'),
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
      (members) => `team ${firstTeam.name}: ${count(members.length, 'member')}`,
    );
  } else if (strategy === 'user' && firstUser) {
    await read<unknown[]>(
      'one membership read (GET /v1/user/{user}/teams)',
      `/v1/user/${encodePathSegment(firstUser.username)}/teams`,
      userTeamsSchema,
      (list) => `${count(list.length, 'team')} for one user`,
    );
  } else {
    push({
      name: 'one membership read',
      status: 'skip',
      detail: skipReason ?? 'no user or team list to pick from',
    });
  }

  let policySlugs: readonly string[] = options.recordedPolicySlugs;
  let policyCount: number | null = null;
  // Not claimed when the check will not run: a claim without a read would only delay the next poll.
  const permit: ReturnType<DoctorOptions['claimPolicyList']> =
    skipReason === null ? options.claimPolicyList() : { ok: true };
  if (permit.ok) {
    const list = await read<{ slug: string }[]>(
      'policy list (GET /v1/policies)',
      POLICY_LIST_PATH,
      policyListSchema,
      (l) => count(l.length, 'escalation policy', 'escalation policies'),
      {
        onRateLimit:
          'VictorOps answered with its rate limit (about one policy-list call a minute, shared by every process on this key, and another one read it moments ago); the checks above show the key works: run doctor again in a minute to check it',
      },
    );
    if (list) {
      policySlugs = list.map((p) => p.slug);
      policyCount = list.length;
    }
  } else {
    push({
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
      (p) => count(p.steps?.length ?? 0, 'step'),
    );
  } else {
    push({ name: 'one policy detail', status: 'skip', detail: skipReason ?? 'no escalation policy to read' });
  }
  if (firstTeam) {
    await read<{ schedules?: unknown[] | null }>(
      'one on-call schedule (GET /v2/team/{team}/oncall/schedule)',
      `/v2/team/${encodePathSegment(firstTeam.slug)}/oncall/schedule?daysForward=${options.daysForward}`,
      teamScheduleSchema,
      (s) => `team ${firstTeam.name}: ${count(s.schedules?.length ?? 0, 'policy schedule')}`,
    );
  } else {
    push({ name: 'one on-call schedule', status: 'skip', detail: skipReason ?? 'no team to read' });
  }
  await read<{ routingKey: string; targets: unknown[] }[]>(
    'routing keys (GET /v1/org/routing-keys)',
    ROUTING_KEYS_PATH,
    routingKeyListSchema,
    describeRoutingKeys,
  );

  if (firstUser) {
    // Shape checks only: what is printed are counts, never a number or an address.
    const person = encodePathSegment(firstUser.username);
    await read<ApiContactMethods>(
      "one person's contact methods (GET /v1/user/{user}/contact-methods)",
      `/v1/user/${person}/contact-methods`,
      contactMethodsSchema,
      (m) =>
        `${count(m.phones.length, 'phone')}, ${count(m.emails.length, 'email')}, ${count(m.devices.length, 'device')}`,
      { personal: true },
    );
    await read<ApiPagingPolicy>(
      "one person's paging policy (GET /v1/profile/{user}/policies)",
      `/v1/profile/${person}/policies`,
      pagingPolicySchema,
      (p) => count(p.steps.length, 'step'),
      { personal: true },
    );
  } else {
    push({ name: "one person's contact methods", status: 'skip', detail: skipReason ?? 'no user to read' });
    push({ name: "one person's paging policy", status: 'skip', detail: skipReason ?? 'no user to read' });
  }

  const summary: string[] = [];
  if (users && teams && strategy) {
    const pending = users.filter((u) => isPendingInvitee(u.username)).length;
    const unverified = users.filter((u) => u.verified === false && !isPendingInvitee(u.username)).length;
    summary.push(
      `org: ${count(users.length - pending, 'user')} (${unverified} unverified), ${count(pending, 'pending invitation')}, ${count(teams.length, 'team')}${policyCount === null ? '' : `, ${count(policyCount, 'escalation policy', 'escalation policies')}`}`,
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
    // Two requests a person; the paging-policy endpoint allows one a second, which sets the pace.
    const people = users.length - pending;
    summary.push(
      `contacts poll (CONTACTS_SCHEDULE): ${2 * people} requests to read everyone, about ${seconds(people, Math.min(1, options.maxRps))} at one paging-policy read a second; afterwards the people who can be paged each poll and a slice of the rest`,
    );
    if (policyCount !== null) {
      // The list, the routing keys, one detail per policy, one schedule per team.
      const policy = 2 + policyCount + teams.length;
      summary.push(
        `policy poll: ${policy} requests, about ${seconds(policy, options.maxRps)} at VO_MAX_RPS=${options.maxRps}`,
      );
      const pacedRps = options.maxRps * (options.ratePace ?? 1);
      const cost = policyPollCost({ policies: policyCount, teams: teams.length }, pacedRps);
      summary.push(
        `recommended POLICY_SCHEDULE: '${scheduleThatFits(cost.seconds).expression}' or less often (a policy poll takes about ${seconds(cost.requests, pacedRps)} at the budget's pace of ${Math.round(pacedRps * 100) / 100} requests a second, with room for roster polls)`,
      );
    }
  }
  return { checks, summary, ok: checks.every((c) => c.status !== 'fail') };
}

/**
 * Fetches escalation policies and on-call schedules: ONE `GET /v1/policies` (VictorOps allows
 * about one a minute; the client's endpoint interval enforces it), then one detail call per
 * policy and one schedule call per team, all through the same paced client.
 *
 * The list failing fails the fetch. A detail or schedule that cannot be read is a failed scope,
 * never an empty one: the caller keeps that policy's or team's previous state.
 */
import type { Clock } from '../clock.js';
import { VictorOpsError } from '../errors.js';
import { applyOverrides, type ShiftOverride } from '../roster/on-call.js';
import { normalisePolicies, normaliseSchedules } from '../roster/policies.js';
import type {
  FetchedPolicies,
  Policy,
  PolicyFailedScope,
  Rotation,
  Shift,
  TeamSchedule,
} from '../roster/policy-types.js';
import { normaliseRoutingKeys, type RoutingKey } from '../roster/routing-keys.js';
import type { Team } from '../roster/types.js';
import { wellFormed } from '../roster/well-formed.js';
import { encodePathSegment, type VictorOpsClient } from './client.js';
import { runPool } from './run-pool.js';
import {
  type ApiPolicyDetail,
  type ApiPolicySummary,
  type ApiTeamSchedule,
  policyDetailSchema,
  policyListSchema,
  routingKeyListSchema,
  teamScheduleSchema,
} from './schemas.js';

export const POLICY_LIST_PATH = '/v1/policies';
/** One request per policy poll; a normal endpoint (no limit of its own below the key's rate). */
export const ROUTING_KEYS_PATH = '/v1/org/routing-keys';

export interface FetchPoliciesOptions {
  client: VictorOpsClient;
  clock: Clock;
  /** Teams whose schedules to read besides the policies' own teams (the recorded roster's teams). */
  teams: readonly Team[];
  daysForward: number;
  concurrency: number;
  /** The whole fetch ends with a `deadline` error after this long (VO_FETCH_DEADLINE_MS). */
  deadlineMs?: number;
  signal?: AbortSignal;
}

export function policyFromApi(detail: ApiPolicyDetail, summary: ApiPolicySummary | undefined): Policy {
  return {
    slug: detail.slug,
    name: detail.name,
    teamSlug: detail.teamSlug ?? summary?.team?.slug ?? '',
    steps: (detail.steps ?? []).map((step, i) => ({
      index: i + 1,
      timeout: step.timeout ?? 0,
      entries: [...(step.entries ?? [])],
    })),
  };
}

const toInstant = (text: string) => new Date(Date.parse(text)).toISOString();

/**
 * One team's schedule as shifts per rotation, with the policy's `overrides[]` applied so the
 * shifts say who is really on call; every rotation is kept, also one without a roll.
 */
export function scheduleFromApi(body: ApiTeamSchedule, team: Team): TeamSchedule {
  const shifts: Shift[] = [];
  const rotations: Rotation[] = [];
  for (const s of body.schedules ?? []) {
    const policySlug = s.policy?.slug ?? '';
    const policyName = s.policy?.name ?? policySlug;
    const policyShifts: Shift[] = [];
    for (const rotation of s.schedule ?? []) {
      const names = { rotationName: rotation.rotationName ?? '', shiftName: rotation.shiftName ?? '' };
      rotations.push({ policySlug, policyName, ...names });
      for (const roll of rotation.rolls ?? []) {
        if (roll.username === null) continue;
        policyShifts.push({
          policySlug,
          policyName,
          ...names,
          username: roll.username,
          start: toInstant(roll.start),
          end: toInstant(roll.end),
        });
      }
    }
    const overrides: ShiftOverride[] = (s.overrides ?? []).flatMap((o) =>
      o.overrideUsername === null || (o.policySlug !== null && o.policySlug !== policySlug)
        ? []
        : [
            {
              originalUsername: o.originalUsername,
              overrideUsername: o.overrideUsername,
              start: toInstant(o.start),
              end: toInstant(o.end),
            },
          ],
    );
    shifts.push(...applyOverrides(policyShifts, overrides));
  }
  const name = body.team?.name ?? team.name;
  return { team: { slug: team.slug, name }, shifts, rotations };
}

/**
 * Like the roster fetch, a policy fetch has a deadline: a server that answers too slowly to ever
 * finish must end as a failed run that the next poll retries, not a poll that never returns.
 */
export async function fetchPolicies(options: FetchPoliciesOptions): Promise<FetchedPolicies> {
  if (options.deadlineMs === undefined) return fetchPoliciesNow(options, options.signal);
  const deadline = new AbortController();
  const timer = setTimeout(() => {
    deadline.abort(
      new VictorOpsError(
        'deadline',
        `the policy fetch did not finish within ${options.deadlineMs} ms (VO_FETCH_DEADLINE_MS)`,
        { retryable: false },
      ),
    );
  }, options.deadlineMs);
  timer.unref();
  try {
    return await fetchPoliciesNow(
      options,
      AbortSignal.any([...(options.signal ? [options.signal] : []), deadline.signal]),
    );
  } catch (error) {
    if (deadline.signal.aborted && deadline.signal.reason instanceof VictorOpsError)
      throw deadline.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function fetchPoliciesNow(
  options: FetchPoliciesOptions,
  signal: AbortSignal | undefined,
): Promise<FetchedPolicies> {
  const { client, clock } = options;
  const startedMs = clock.now();
  const before = client.stats();
  const summaries = await client.get(POLICY_LIST_PATH, policyListSchema, signal);
  const failedScopes: PolicyFailedScope[] = [];
  const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

  // Read once per poll. A failure is a failed scope: the recorded keys stay, none is "removed".
  let routingKeys: RoutingKey[] | null = null;
  try {
    routingKeys = normaliseRoutingKeys(await client.get(ROUTING_KEYS_PATH, routingKeyListSchema, signal));
  } catch (error) {
    if (signal?.aborted) throw error;
    failedScopes.push({ kind: 'routing-keys', reason: reasonOf(error) });
  }

  const policies: Policy[] = [];
  await runPool(summaries, options.concurrency, async (summary) => {
    try {
      const detail = await client.get(
        `${POLICY_LIST_PATH}/${encodePathSegment(summary.slug)}`,
        policyDetailSchema,
        signal,
      );
      policies.push(policyFromApi(detail, summary));
    } catch (error) {
      if (signal?.aborted) throw error;
      // Well-formed as the policies are (normalisePolicies), or a failed policy would not find its
      // recorded version to carry and would read as removed.
      failedScopes.push({
        kind: 'policy',
        slug: wellFormed(summary.slug),
        reason: reasonOf(error),
        name: wellFormed(summary.name),
        ...(summary.team ? { teamSlug: wellFormed(summary.team.slug) } : {}),
      });
    }
  });

  const teams = new Map<string, Team>();
  for (const t of options.teams) teams.set(t.slug, t);
  // The recorded teams' slugs are well-formed: a listed team is the recorded one when its slug is.
  for (const s of summaries)
    if (s.team && !teams.has(wellFormed(s.team.slug))) teams.set(wellFormed(s.team.slug), s.team);
  const schedules: TeamSchedule[] = [];
  await runPool([...teams.values()], options.concurrency, async (team) => {
    try {
      const body = await client.get(
        `/v2/team/${encodePathSegment(team.slug)}/oncall/schedule?daysForward=${options.daysForward}`,
        teamScheduleSchema,
        signal,
      );
      schedules.push({ ...scheduleFromApi(body, team), fetchedAt: new Date(clock.now()).toISOString() });
    } catch (error) {
      if (signal?.aborted) throw error;
      failedScopes.push({ kind: 'team-schedule', teamSlug: wellFormed(team.slug), reason: reasonOf(error) });
    }
  });

  const after = client.stats();
  const scopeName = (s: PolicyFailedScope) =>
    s.kind === 'policy' ? s.slug : s.kind === 'team-schedule' ? s.teamSlug : 'routing keys';
  return {
    policies: normalisePolicies(policies),
    schedules: normaliseSchedules(schedules),
    routingKeys,
    failedScopes: failedScopes.sort((a, b) => scopeName(a).localeCompare(scopeName(b))),
    stats: {
      requests: after.requests - before.requests,
      retries: after.retries - before.retries,
      rateLimited: after.rateLimited - before.rateLimited,
    },
    startedAt: new Date(startedMs).toISOString(),
    finishedAt: new Date(clock.now()).toISOString(),
  };
}

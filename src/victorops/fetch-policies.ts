/**
 * Fetches escalation policies and on-call schedules: ONE `GET /v1/policies` (VictorOps allows
 * about one a minute; the client's endpoint interval enforces it), then one detail call per
 * policy and one schedule call per team, all through the same paced client.
 *
 * The list failing fails the fetch. A detail or schedule that cannot be read is a failed scope,
 * never an empty one: the caller keeps that policy's or team's previous state.
 */
import type { Clock } from '../clock.js';
import {
  type FetchedPolicies,
  normalisePolicies,
  normaliseSchedules,
  type Policy,
  type PolicyEntry,
  type PolicyFailedScope,
  type Shift,
  type TeamSchedule,
} from '../roster/policies.js';
import type { Team } from '../roster/types.js';
import { encodePathSegment, type VictorOpsClient } from './client.js';
import { runPool } from './run-pool.js';
import {
  type ApiPolicyDetail,
  type ApiPolicySummary,
  type ApiTeamSchedule,
  policyDetailSchema,
  policyListSchema,
  teamScheduleSchema,
} from './schemas.js';

export const POLICY_LIST_PATH = '/v1/policies';

export interface FetchPoliciesOptions {
  client: VictorOpsClient;
  clock: Clock;
  /** Teams whose schedules to read besides the policies' own teams (the recorded roster's teams). */
  teams: readonly Team[];
  daysForward: number;
  concurrency: number;
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
      entries: (step.entries ?? []).map(
        (e): PolicyEntry =>
          e.kind === 'user'
            ? { kind: 'user', username: e.username }
            : e.kind === 'rotation'
              ? { kind: 'rotation', rotationSlug: e.rotationSlug, rotationLabel: e.rotationLabel }
              : { kind: 'other', executionType: e.executionType },
      ),
    })),
  };
}

export function scheduleFromApi(body: ApiTeamSchedule, team: Team): TeamSchedule {
  const shifts: Shift[] = [];
  for (const s of body.schedules ?? []) {
    const policySlug = s.policy?.slug ?? '';
    const policyName = s.policy?.name ?? policySlug;
    for (const rotation of s.schedule ?? []) {
      for (const roll of rotation.rolls ?? []) {
        const startMs = Date.parse(roll.start);
        const endMs = Date.parse(roll.end);
        if (roll.username === null || Number.isNaN(startMs) || Number.isNaN(endMs)) continue;
        shifts.push({
          policySlug,
          policyName,
          rotationName: rotation.rotationName ?? '',
          shiftName: rotation.shiftName ?? '',
          username: roll.username,
          start: new Date(startMs).toISOString(),
          end: new Date(endMs).toISOString(),
        });
      }
    }
  }
  const name = body.team?.name ?? team.name;
  return { team: { slug: team.slug, name }, shifts };
}

export async function fetchPolicies(options: FetchPoliciesOptions): Promise<FetchedPolicies> {
  const { client, clock, signal } = options;
  const startedMs = clock.now();
  const before = client.stats();
  const summaries = await client.get(POLICY_LIST_PATH, policyListSchema, signal);
  const failedScopes: PolicyFailedScope[] = [];
  const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

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
      failedScopes.push({ kind: 'policy', slug: summary.slug, reason: reasonOf(error) });
    }
  });

  const teams = new Map<string, Team>();
  for (const t of options.teams) teams.set(t.slug, t);
  for (const s of summaries) if (s.team && !teams.has(s.team.slug)) teams.set(s.team.slug, s.team);
  const schedules: TeamSchedule[] = [];
  await runPool([...teams.values()], options.concurrency, async (team) => {
    try {
      const body = await client.get(
        `/v2/team/${encodePathSegment(team.slug)}/oncall/schedule?daysForward=${options.daysForward}`,
        teamScheduleSchema,
        signal,
      );
      schedules.push(scheduleFromApi(body, team));
    } catch (error) {
      if (signal?.aborted) throw error;
      failedScopes.push({ kind: 'team-schedule', teamSlug: team.slug, reason: reasonOf(error) });
    }
  });

  const after = client.stats();
  const scopeName = (s: PolicyFailedScope) => (s.kind === 'policy' ? s.slug : s.teamSlug);
  return {
    policies: normalisePolicies(policies),
    schedules: normaliseSchedules(schedules),
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

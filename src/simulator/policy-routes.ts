/** The escalation policy and on-call schedule endpoints roster-watch reads. */
import type { ListBodies } from './api-responses.js';
import { type Reply, type Route, replyError, replyJson, replyRawJson } from './http-io.js';
import type { SimOrg } from './org.js';
import { policyJson, routingKeysJson, teamScheduleJson } from './policy-responses.js';

export interface PolicyRoutesDeps {
  org: SimOrg;
  lists: ListBodies;
  /** The schedule window starts here. */
  now: () => Date;
}

const DAY_MS = 86_400_000;

/** Documented bounds: daysForward ≤ 30 (default 14), daysSkip ≤ 90 (default 0). */
function dayCount(
  query: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number | Reply {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    return replyError(400, `${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function createPolicyRoutes(deps: PolicyRoutesDeps): Route[] {
  const { org, lists } = deps;
  return [
    {
      pattern: ['v1', 'policies'],
      methods: { GET: () => replyRawJson(200, lists.policies()) },
    },
    {
      pattern: ['v1', 'org', 'routing-keys'],
      methods: { GET: () => replyJson(200, routingKeysJson(org)) },
    },
    {
      pattern: ['v1', 'policies', ':slug'],
      methods: {
        GET: (_request, { slug = '' }) => {
          const policy = org.getPolicy(slug);
          return policy ? replyJson(200, policyJson(org, policy)) : replyError(404, 'policy-not-found');
        },
      },
    },
    {
      pattern: ['v2', 'team', ':slug', 'oncall', 'schedule'],
      methods: {
        GET: (request, { slug = '' }) => {
          const team = org.getTeam(slug);
          if (!team) return replyError(404, 'team-not-found');
          const daysForward = dayCount(request.query, 'daysForward', 14, 1, 30);
          if (typeof daysForward !== 'number') return daysForward;
          const daysSkip = dayCount(request.query, 'daysSkip', 0, 0, 90);
          if (typeof daysSkip !== 'number') return daysSkip;
          const startMs = deps.now().getTime() + daysSkip * DAY_MS;
          return replyJson(
            200,
            teamScheduleJson(org, team, { startMs, endMs: startMs + daysForward * DAY_MS }),
          );
        },
      },
    },
  ];
}

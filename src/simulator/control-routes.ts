/**
 * Simulator-only routes under /_sim (no auth), so a child process, the demo or
 * docker-compose can reshape the org and inject failures over HTTP.
 */
import * as z from 'zod';
import { orgCall } from './api-routes.js';
import { createContactsControlRoutes } from './contacts-control-routes.js';
import type { ControlContext } from './control-context.js';
import { FAULT_KINDS } from './faults.js';
import { parseBody, type Route, replyJson } from './http-io.js';
import { createPolicyControlRoutes } from './policy-control-routes.js';

const newTeamBody = z.object({
  name: z.string().trim().min(1),
  slug: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional(),
});
const renameTeamBody = z.object({ name: z.string().trim().min(1) });
const faultBody = z.object({
  match: z.string(),
  kind: z.enum(FAULT_KINDS),
  times: z.number().int().min(1).default(1),
  retryAfterSeconds: z.number().int().min(0).optional(),
});
const latencyBody = z.object({ ms: z.number().int().min(0) });
const rateLimitBody = z
  .object({
    rps: z.number().int().min(1),
    status: z.union([z.literal(429), z.literal(403)]).default(429),
    retryAfter: z.boolean().default(false),
  })
  .nullable();
const teamVersionsBody = z.object({ bump: z.boolean() });
const teamCountsBody = z.object({ frozen: z.boolean() });
const driftBody = z.object({ count: z.number().int().min(1).max(10_000).default(1) });

export function createControlRoutes(context: ControlContext): Route[] {
  const { org, faults, stats } = context;
  return [
    ...createPolicyControlRoutes(context),
    ...createContactsControlRoutes(context),
    { pattern: ['health'], methods: { GET: () => replyJson(200, { ok: true, ...org.counts() }) } },
    { pattern: ['org'], methods: { GET: () => replyJson(200, org.snapshot()) } },
    {
      pattern: ['teams'],
      methods: {
        POST: (request) => {
          const body = parseBody(request.rawBody, newTeamBody);
          if (!body.ok) return body.reply;
          const { name, slug } = body.value;
          return orgCall(() => replyJson(201, org.addTeam(slug === undefined ? { name } : { name, slug })));
        },
      },
    },
    {
      pattern: ['teams', ':slug'],
      methods: {
        PATCH: (request, { slug = '' }) => {
          const body = parseBody(request.rawBody, renameTeamBody);
          if (!body.ok) return body.reply;
          return orgCall(() => replyJson(200, org.renameTeam(slug, body.value.name)));
        },
        DELETE: (_request, { slug = '' }) =>
          orgCall(() => {
            org.removeTeam(slug);
            return replyJson(200, {});
          }),
      },
    },
    {
      pattern: ['faults'],
      methods: {
        GET: () => replyJson(200, { pending: faults.pending() }),
        POST: (request) => {
          const body = parseBody(request.rawBody, faultBody);
          if (!body.ok) return body.reply;
          const { retryAfterSeconds, ...spec } = body.value;
          faults.inject(retryAfterSeconds === undefined ? spec : { ...spec, retryAfterSeconds });
          return replyJson(201, { pending: faults.pending() });
        },
        DELETE: () => {
          faults.clear();
          return replyJson(200, { pending: [] });
        },
      },
    },
    {
      pattern: ['stats'],
      methods: {
        GET: (request) =>
          replyJson(200, {
            count: stats.count(),
            byMethod: stats.byMethod(),
            byStatus: stats.byStatus(),
            maxInAnyWindow: { windowMs: 1000, count: stats.maxInAnyWindow(1000) },
            ...(request.query.get('entries') === '1' ? { entries: stats.entries() } : {}),
          }),
      },
    },
    {
      pattern: ['stats', 'reset'],
      methods: {
        POST: () => {
          stats.reset();
          return replyJson(200, { count: 0 });
        },
      },
    },
    {
      pattern: ['latency'],
      methods: {
        PUT: (request) => {
          const body = parseBody(request.rawBody, latencyBody);
          if (!body.ok) return body.reply;
          context.setLatency(body.value.ms);
          return replyJson(200, body.value);
        },
      },
    },
    {
      pattern: ['rate-limit'],
      methods: {
        PUT: (request) => {
          const body = parseBody(request.rawBody.trim() === '' ? 'null' : request.rawBody, rateLimitBody);
          if (!body.ok) return body.reply;
          context.setRateLimit(body.value);
          return replyJson(200, { rateLimit: body.value });
        },
      },
    },
    {
      // `{"bump": true}` makes membership changes move team versions too (by default only renames do).
      pattern: ['team-versions'],
      methods: {
        GET: () => replyJson(200, { bump: org.teamVersionBumps }),
        PUT: (request) => {
          const body = parseBody(request.rawBody, teamVersionsBody);
          if (!body.ok) return body.reply;
          org.setTeamVersionBumps(body.value.bump);
          return replyJson(200, body.value);
        },
      },
    },
    {
      // Fault switch: `{"frozen": true}` keeps the listed memberCounts as they are now, so the team
      // list contradicts the members endpoint after the next membership change.
      pattern: ['team-member-counts'],
      methods: {
        PUT: (request) => {
          const body = parseBody(request.rawBody, teamCountsBody);
          if (!body.ok) return body.reply;
          org.setListedCountsFrozen(body.value.frozen);
          return replyJson(200, body.value);
        },
      },
    },
    {
      pattern: ['drift'],
      methods: {
        POST: (request) => {
          const body = parseBody(request.rawBody.trim() === '' ? '{}' : request.rawBody, driftBody);
          if (!body.ok) return body.reply;
          return replyJson(200, { changes: context.applyDrift(body.value.count) });
        },
      },
    },
  ];
}

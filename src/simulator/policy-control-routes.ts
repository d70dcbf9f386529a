/** /_sim routes that reshape escalation policies and on-call shifts, and set the policy list limit. */
import * as z from 'zod';
import { orgCall } from './api-routes.js';
import type { ControlContext } from './control-context.js';
import { parseBody, type Route, replyJson } from './http-io.js';

const text = z.string().trim().min(1);
const entry = z.discriminatedUnion('executionType', [
  z.object({ executionType: z.literal('user'), username: text }),
  z.object({
    executionType: z.enum(['rotation_group', 'rotation_group_next', 'rotation_group_previous']),
    rotationSlug: text,
    rotationLabel: text.optional(),
  }),
  z.object({ executionType: z.literal('email'), address: text }),
  z.object({ executionType: z.literal('webhook'), webhookSlug: text }),
  z.object({ executionType: z.literal('policy_routing'), policySlug: text }),
]);
// An empty step is allowed: it is one of the mistakes roster-watch reports.
const steps = z.array(z.object({ timeout: z.number().int().min(0), entries: z.array(entry) }));
const newPolicyBody = z.object({
  name: text,
  teamSlug: text,
  steps,
  slug: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional(),
});
const updatePolicyBody = z.object({ name: text.optional(), steps: steps.optional() });
const shiftsBody = z.array(
  z.object({
    policySlug: text,
    rotationName: text,
    shiftName: text,
    username: text,
    start: z.iso.datetime(),
    end: z.iso.datetime(),
  }),
);
const overridesBody = z.array(
  z.object({
    policySlug: text,
    originalUsername: text,
    overrideUsername: text,
    start: z.iso.datetime(),
    end: z.iso.datetime(),
  }),
);
const policyListLimitBody = z.object({ perMinute: z.number().int().min(0) });
// A key with no targets is allowed: it is one of the mistakes roster-watch reports.
const routingKeyBody = z.object({ targets: z.array(text), isDefault: z.boolean().optional() });

export function createPolicyControlRoutes(context: ControlContext): Route[] {
  const { org } = context;
  return [
    {
      pattern: ['policies'],
      methods: {
        POST: (request) => {
          const body = parseBody(request.rawBody, newPolicyBody);
          if (!body.ok) return body.reply;
          const { slug, ...input } = body.value;
          return orgCall(() =>
            replyJson(201, org.addPolicy(slug === undefined ? input : { ...input, slug })),
          );
        },
      },
    },
    {
      pattern: ['policies', ':slug'],
      methods: {
        PUT: (request, { slug = '' }) => {
          const body = parseBody(request.rawBody, updatePolicyBody);
          if (!body.ok) return body.reply;
          return orgCall(() => replyJson(200, org.updatePolicy(slug, body.value)));
        },
        DELETE: (_request, { slug = '' }) =>
          orgCall(() => {
            org.removePolicy(slug);
            return replyJson(200, {});
          }),
      },
    },
    {
      pattern: ['teams', ':slug', 'shifts'],
      methods: {
        PUT: (request, { slug = '' }) => {
          const body = parseBody(request.rawBody, shiftsBody);
          if (!body.ok) return body.reply;
          return orgCall(() => {
            org.setShifts(slug, body.value);
            return replyJson(200, { shifts: org.listShifts(slug) });
          });
        },
      },
    },
    {
      pattern: ['teams', ':slug', 'overrides'],
      methods: {
        PUT: (request, { slug = '' }) => {
          const body = parseBody(request.rawBody, overridesBody);
          if (!body.ok) return body.reply;
          return orgCall(() => {
            org.setOverrides(slug, body.value);
            return replyJson(200, { overrides: org.listOverrides(slug) });
          });
        },
      },
    },
    {
      pattern: ['routing-keys', ':key'],
      methods: {
        PUT: (request, { key = '' }) => {
          const body = parseBody(request.rawBody, routingKeyBody);
          if (!body.ok) return body.reply;
          return orgCall(() =>
            replyJson(
              200,
              org.setRoutingKey({
                routingKey: key,
                targets: body.value.targets,
                isDefault: body.value.isDefault ?? false,
              }),
            ),
          );
        },
        DELETE: (_request, { key = '' }) =>
          orgCall(() => {
            org.removeRoutingKey(key);
            return replyJson(200, {});
          }),
      },
    },
    {
      pattern: ['policy-list-limit'],
      methods: {
        PUT: (request) => {
          const body = parseBody(request.rawBody, policyListLimitBody);
          if (!body.ok) return body.reply;
          context.setPolicyListLimit(body.value.perMinute);
          return replyJson(200, body.value);
        },
      },
    },
  ];
}

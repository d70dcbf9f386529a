/**
 * The policy, on-call, routing-key and contact schemas are built on first use (issue 21): each
 * exported schema parses exactly as a freshly built one does, body for body, issue for issue, on the
 * real-shape fixtures and on bodies bent out of shape from them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildContactSchemas,
  contactMethodsSchema,
  pagingPolicySchema,
} from '../../../src/victorops/contact-schemas.js';
import {
  buildPolicySchemas,
  policyDetailSchema,
  policyListSchema,
  routingKeyListSchema,
  teamScheduleSchema,
} from '../../../src/victorops/schemas.js';
import { readFixture } from '../../helpers/victorops-fixtures.js';

const cases = [
  { name: 'policyList', lazy: policyListSchema, fixture: 'v1-policies.json' },
  { name: 'policyDetail', lazy: policyDetailSchema, fixture: 'v1-policy-detail.json' },
  { name: 'teamSchedule', lazy: teamScheduleSchema, fixture: 'v2-team-oncall-schedule.json' },
  { name: 'routingKeyList', lazy: routingKeyListSchema, fixture: 'v1-org-routing-keys.json' },
  { name: 'contactMethods', lazy: contactMethodsSchema, fixture: 'v1-user-contact-methods.json' },
  { name: 'pagingPolicy', lazy: pagingPolicySchema, fixture: 'v1-profile-paging-policy.json' },
] as const;

/** A freshly built set of every schema above. */
const buildAll = () => ({ ...buildPolicySchemas(), ...buildContactSchemas() });

/** What a parse gives: the data, or the issues (path, code and message). */
function outcome(result: { success: boolean; data?: unknown; error?: { issues: unknown[] } }) {
  return result.success ? { data: result.data } : { issues: result.error?.issues };
}

/** A copy of `body` with the value at one path (picked by `pick`) replaced by `value`. */
function bend(body: unknown, pick: number, value: unknown): unknown {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) walk(item, [...path, i]);
    } else if (v !== null && typeof v === 'object')
      for (const [key, inner] of Object.entries(v)) walk(inner, [...path, key]);
  };
  walk(body, []);
  const path = paths[pick % paths.length] ?? [];
  if (path.length === 0) return value;
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (value === undefined) delete parent[last];
  else parent[last] = value;
  return copy;
}

describe('the policy and contact schemas, built on first use', () => {
  it.each(cases)('$name parses each fixture as a freshly built schema does', ({ name, lazy, fixture }) => {
    const body = readFixture(fixture);
    const fresh = buildAll()[name];
    expect(lazy.safeParse(body).success).toBe(true);
    expect(outcome(lazy.safeParse(body))).toEqual(outcome(fresh.safeParse(body)));
  });

  it('each parses bent bodies as a freshly built schema does (property)', () => {
    const fresh = buildAll();
    const value = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.constantFrom('', 'x', 'user', 'rotation_group', '2026-12-01T09:00:00-06:00', 'not a time'),
      fc.integer(),
      fc.boolean(),
      fc.constant([]),
      fc.constant({}),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...cases),
        fc.array(fc.tuple(fc.nat(), value), { minLength: 1, maxLength: 3 }),
        ({ name, lazy, fixture }, bends) => {
          let body: unknown = readFixture(fixture);
          for (const [pick, v] of bends) body = bend(body, pick, v);
          expect(outcome(lazy.safeParse(body))).toEqual(outcome(fresh[name].safeParse(body)));
        },
      ),
      { numRuns: 400 },
    );
  });
});

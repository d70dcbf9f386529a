/**
 * Random small orgs for the coverage properties (coverage-shared.test.ts, coverage-horizon.test.ts):
 * users, teams, policies, schedules with overrides and fetch times, routing keys and exemptions.
 */
import fc from 'fast-check';
import type { Policy, PolicyStep, TeamSchedule } from '../../src/roster/policy-types.js';
import type { RoutingKey } from '../../src/roster/routing-keys.js';
import type { Team, User } from '../../src/roster/types.js';
import { aUser } from './builders.js';

export const BASE_MS = Date.parse('2026-06-01T00:00:00.000Z');
export const HOUR_MS = 3_600_000;
export const iso = (hours: number) => new Date(BASE_MS + hours * HOUR_MS).toISOString();
/** VictorOps writes instants without milliseconds; the recorded ones have them. */
export const voIso = (hours: number) => iso(hours).replace('.000Z', 'Z');

export const PEOPLE = ['amy', 'Ben', 'cal', 'invited_dora', 'ed', 'Fay'] as const;
export const SLUGS = ['team-1', 'team-2', 'team-3', 'team-4'] as const;
export const POLICIES = ['p1', 'p2', 'p3', 'p4', 'p5'] as const;
export const ROTATIONS = ['Primary', 'Backup'] as const;

/** A step entry paging a rotation by its label. */
export const entryOf = (label: string): PolicyStep['entries'][number] => ({
  rotationLabel: label,
  rotationSlug: label.toLowerCase(),
  executionType: 'rotation_group',
  kind: 'rotation',
});

export const entry: fc.Arbitrary<PolicyStep['entries'][number]> = fc.oneof(
  fc.constantFrom(...PEOPLE, 'AMY', 'gone').map((username) => ({ kind: 'user' as const, username })),
  fc.constantFrom(...ROTATIONS).map(entryOf),
  fc.constantFrom(...POLICIES, 'p-missing').map((policySlug) => ({ kind: 'policy' as const, policySlug })),
  fc.constant({ kind: 'email' as const, address: 'ops@example.com' }),
  fc.constant({ kind: 'webhook' as const, webhookSlug: 'hook' }),
);

/** A policy of the team whose steps page these entries, step by step. */
export const policyOf = (slug: string, teamSlug: string, steps: PolicyStep['entries'][]): Policy => ({
  slug,
  name: `Policy ${slug}`,
  teamSlug,
  steps: steps.map((entries, i) => ({ index: i + 1, timeout: 10, entries })),
});

export const policy: fc.Arbitrary<Policy> = fc
  .record({
    slug: fc.constantFrom(...POLICIES),
    teamSlug: fc.constantFrom(...SLUGS, 'team-gone'),
    steps: fc.array(fc.array(entry, { maxLength: 3 }), { maxLength: 3 }),
  })
  .map(({ slug, teamSlug, steps }) => policyOf(slug, teamSlug, steps));

export const roll = fc.record({
  policySlug: fc.constantFrom(...POLICIES),
  rotationName: fc.constantFrom(...ROTATIONS),
  shiftName: fc.constantFrom('Day', 'Night'),
  username: fc.constantFrom(...PEOPLE, 'AMY', 'gone', 'left'),
  startHours: fc.integer({ min: -72, max: 24 * 20 }),
  hours: fc.integer({ min: 1, max: 96 }),
  /** An override: the roll's first half is someone else's. */
  coveredBy: fc.option(fc.constantFrom(...PEOPLE, 'gone'), { nil: undefined }),
  millis: fc.boolean(),
});

export const schedule: fc.Arbitrary<TeamSchedule> = fc
  .record({
    slug: fc.constantFrom(...SLUGS, 'team-gone'),
    rolls: fc.array(roll, { maxLength: 6 }),
    /** Rotations listed without a roll (nobody on call in them). */
    bare: fc.subarray([
      { policySlug: 'p1', rotationName: 'Backup', shiftName: 'Day' },
      { policySlug: 'p3', rotationName: 'Primary', shiftName: 'Night' },
    ]),
    fetchedHours: fc.option(fc.integer({ min: -24 * 20, max: 0 }), { nil: undefined }),
  })
  .map(({ slug, rolls, bare, fetchedHours }) => {
    const shifts: TeamSchedule['shifts'] = rolls.flatMap((r) => {
      const at = r.millis ? iso : voIso;
      const whole = {
        policySlug: r.policySlug,
        policyName: `Policy ${r.policySlug}`,
        rotationName: r.rotationName,
        shiftName: r.shiftName,
      };
      if (r.coveredBy === undefined)
        return [{ ...whole, username: r.username, start: at(r.startHours), end: at(r.startHours + r.hours) }];
      const middle = r.startHours + r.hours / 2;
      const theRoll = { start: at(r.startHours), end: at(r.startHours + r.hours) };
      return [
        {
          ...whole,
          username: r.coveredBy,
          start: at(r.startHours),
          end: at(middle),
          overrideFor: r.username,
          roll: theRoll,
        },
        { ...whole, username: r.username, start: at(middle), end: at(r.startHours + r.hours), roll: theRoll },
      ];
    });
    const rotations = bare.map((b) => ({ ...b, policyName: `Policy ${b.policySlug}` }));
    return {
      team: { slug, name: `Team ${slug}` },
      shifts,
      ...(rotations.length > 0 ? { rotations } : {}),
      ...(fetchedHours === undefined ? {} : { fetchedAt: iso(fetchedHours) }),
    };
  });

export const routingKey: fc.Arbitrary<RoutingKey> = fc
  .record({
    name: fc.constantFrom('k-db', 'k-web', 'k-api', 'k-all'),
    targets: fc.subarray([...POLICIES, 'p-missing']),
    isDefault: fc.boolean(),
  })
  .map(({ name, targets, isDefault }) => ({
    routingKey: name,
    isDefault,
    // Not the policy's own name: a finding names a known policy by its record, not by the key's copy.
    targets: targets.map((slug) => ({ policySlug: slug, policyName: `Key's ${slug}` })),
  }));

export const org = fc.record({
  users: fc
    // AMY beside amy: two users of one username key (the roster's type allows it).
    .subarray([...PEOPLE, 'AMY'])
    .chain((names) =>
      fc.tuple(...names.map((n) => fc.boolean().map((verified): User => aUser(n, { verified })))),
    ),
  teams: fc.subarray([...SLUGS]),
  policies: fc.uniqueArray(policy, { selector: (p) => p.slug, maxLength: 5 }),
  schedules: fc.uniqueArray(schedule, { selector: (s) => s.team.slug, maxLength: 4 }),
  /** The same schedule object listed again (the memo's key is the object). */
  repeated: fc.option(fc.nat({ max: 3 }), { nil: undefined }),
  unread: fc.subarray(['p4', 'p5']),
  routingKeys: fc.option(fc.uniqueArray(routingKey, { selector: (k) => k.routingKey, maxLength: 4 }), {
    nil: null,
  }),
  exempt: fc.subarray(['k-api']),
  nowHours: fc.integer({ min: -24, max: 24 * 3 }),
  daysForward: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
});

export type Org = typeof org extends fc.Arbitrary<infer T> ? T : never;

export function inputOf(o: Org) {
  const teams: Team[] = o.teams.map((slug) => ({ slug, name: `Team ${slug}` }));
  const known = new Set(o.policies.map((p) => p.slug));
  return {
    roster: { users: o.users, teams, memberCounts: new Map(o.teams.slice(1).map((slug) => [slug, 2])) },
    policies: o.policies,
    schedules:
      o.repeated === undefined
        ? o.schedules
        : [...o.schedules, ...o.schedules.slice(o.repeated, o.repeated + 1)],
    unreadPolicies: o.unread
      .filter((slug) => !known.has(slug))
      .map((slug) => ({ slug, name: `Policy ${slug}`, teamSlug: 'team-1', reason: 'HTTP 500' })),
    routingKeys: o.routingKeys,
    reachExemptions: o.exempt.map((pattern) => ({ pattern, reason: 'test' })),
    removedUsers: new Map([['left', iso(-100)]]),
    now: iso(o.nowHours),
    daysForward: o.daysForward,
  };
}

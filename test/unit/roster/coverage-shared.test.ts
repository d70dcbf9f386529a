/**
 * computeFindings walks each schedule's rotations once per poll for both people finders (one memo
 * per call), finds the unpageable users once, and builds the routing-key model only when a key
 * still has a target (issue 21). These properties hold its findings equal to plain
 * re-computations: every schedule's rotations computed afresh, every user checked, the key model
 * built up front.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeFindings } from '../../../src/roster/coverage.js';
import {
  countShiftsByRotation,
  firstPolicy,
  rememberReadWindowCoverage,
  windowEnd,
} from '../../../src/roster/coverage-people.js';
import type { Finding } from '../../../src/roster/coverage-types.js';
import { policiesReferencing } from '../../../src/roster/policies.js';
import type { TeamSchedule } from '../../../src/roster/policy-types.js';
import { computeRotationCoverage } from '../../../src/roster/rotation-coverage.js';
import {
  buildKeyReach,
  findRoutingKeyFindings,
  type KeyReachInput,
} from '../../../src/roster/routing-key-reach.js';
import type { RoutingKey } from '../../../src/roster/routing-keys.js';
import type { User } from '../../../src/roster/types.js';
import { isPendingInvitee, usernameKey } from '../../../src/roster/types.js';
import { aUser } from '../../helpers/builders.js';
import { entryOf, inputOf, iso, org, policyOf } from '../../helpers/coverage-org.js';

type Input = ReturnType<typeof inputOf>;
const teamOf = (input: Input) => (slug: string) =>
  input.roster.teams.find((t) => t.slug === slug) ?? { slug, name: slug };
/** Each schedule of a team of the roster, its rotations over its read window, computed afresh. */
function freshRotations(input: Input, s: TeamSchedule) {
  if (!input.roster.teams.some((t) => t.slug === s.team.slug)) return [];
  return computeRotationCoverage(s, { from: input.now, until: new Date(windowEnd(input, s)).toISOString() });
}

/** `unverified_on_call`, user by user over every schedule. */
function plainUnpageable(input: Input): Finding[] {
  return input.roster.users.flatMap((user): Finding[] => {
    const pending = isPendingInvitee(user.username);
    if (!(pending || user.verified === false)) return [];
    const own = usernameKey(user.username);
    const held = input.schedules
      .flatMap((s) => freshRotations(input, s))
      .flatMap((rotation) =>
        rotation.shifts.filter((s) => usernameKey(s.username) === own).map((s) => ({ rotation, s })),
      )
      .sort((a, b) => (a.s.start < b.s.start ? -1 : a.s.start > b.s.start ? 1 : 0));
    const pagedBy = policiesReferencing(input.policies, user.username).map((r) => ({
      slug: r.slug,
      name: r.name,
      steps: r.steps,
    }));
    const first = held[0];
    if (!first && pagedBy.length === 0) return [];
    return [
      {
        pagedBy,
        shifts: countShiftsByRotation(held),
        shift: first
          ? {
              end: first.s.end,
              start: first.s.start,
              rotation: first.rotation.rotationName,
              policy: firstPolicy(first.rotation),
              team: teamOf(input)(first.rotation.team.slug),
            }
          : null,
        pending,
        username: user.username,
        key: `unverified_on_call:${own}`,
        kind: 'unverified_on_call',
      },
    ];
  });
}

/** `nobody_on_call`, every schedule's rotations computed afresh. */
function plainUncovered(input: Input): Finding[] {
  const known = new Set([...input.policies.map((p) => p.slug), ...input.unreadPolicies.map((p) => p.slug)]);
  return input.schedules
    .filter((s) => windowEnd(input, s) > Date.parse(input.now))
    .flatMap((s) =>
      freshRotations(input, s).flatMap((rotation): Finding[] => {
        const policies = rotation.policies.filter((p) => known.has(p.slug));
        const gap = rotation.gaps[0];
        if (!gap || policies.length === 0) return [];
        return [
          {
            kind: 'nobody_on_call',
            key: `nobody_on_call:${s.team.slug}:${rotation.rotationName}`,
            team: teamOf(input)(s.team.slug),
            policy: policies[0] ?? firstPolicy(rotation),
            policies,
            rotation: rotation.rotationName,
            shifts: rotation.shiftNames,
            start: gap.start,
            end: gap.end,
            windows: rotation.gaps.length,
          },
        ];
      }),
    );
}

/**
 * The routing-key findings with the reach model built before any key is looked at. Not independent
 * of the code's reach: it calls the same `buildKeyReach`; what it checks is the lazy build, the
 * per-key choices and the policies' names.
 */
function plainKeyFindings(input: Input): Finding[] {
  if (!input.routingKeys) return [];
  const reachInput: Omit<KeyReachInput, 'routingKeys' | 'isExempt'> = {
    policies: input.policies,
    unreadPolicies: new Set(input.unreadPolicies.map((p) => p.slug)),
    schedules: input.schedules,
    users: new Set(input.roster.users.map((u) => usernameKey(u.username))),
    now: input.now,
    ...(input.daysForward === undefined ? {} : { daysForward: input.daysForward }),
  };
  const model = buildKeyReach(reachInput);
  const exists = (slug: string) =>
    input.policies.some((p) => p.slug === slug) || reachInput.unreadPolicies.has(slug);
  const out: Finding[] = [];
  for (const key of input.routingKeys.filter(
    (k) => !input.reachExemptions.some((e) => e.pattern === k.routingKey),
  )) {
    const live = key.targets.filter((t) => exists(t.policySlug));
    if (live.length === 0) {
      const missingPolicies = key.targets.map((t) => ({ slug: t.policySlug, name: t.policyName }));
      const { routingKey, isDefault } = key;
      out.push({
        kind: 'routing_key_unrouted',
        key: `routing_key_unrouted:${routingKey}`,
        routingKey,
        isDefault,
        missingPolicies,
      });
      continue;
    }
    const gaps = model.gapsOf({ ...key, targets: live });
    if (!gaps?.[0]) continue;
    out.push({
      kind: 'routing_key_unstaffed',
      key: `routing_key_unstaffed:${key.routingKey}`,
      routingKey: key.routingKey,
      isDefault: key.isDefault,
      from: gaps[0].start,
      until: gaps[0].end,
      windows: gaps.length,
      policies: live.map((t) => ({
        slug: t.policySlug,
        name: input.policies.find((p) => p.slug === t.policySlug)?.name ?? t.policyName,
        why: model.whyEmpty(t.policySlug),
      })),
      notPeople: model.notPeopleOf({ ...key, targets: live }),
    });
  }
  return out;
}

const RECOMPUTED = new Set<Finding['kind']>([
  'unverified_on_call',
  'nobody_on_call',
  'routing_key_unrouted',
  'routing_key_unstaffed',
]);
const byKey = (findings: Finding[]) =>
  [...findings].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

/** What computeFindings must give: its other kinds as it gives them, the recomputed ones from the plain re-computations. */
const expectedOf = (input: Input, found: Finding[]) =>
  byKey(
    firstOfEachKey([
      ...found.filter((f) => !RECOMPUTED.has(f.kind)),
      ...plainUnpageable(input),
      ...plainUncovered(input),
      ...plainKeyFindings(input),
    ]),
  );

/** computeFindings keeps the first finding of a key (amy and AMY, a schedule listed twice). */
function firstOfEachKey(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => !seen.has(f.key) && seen.add(f.key));
}

describe('computeFindings with shared rotations, unpageable users found once and a lazy key model', () => {
  it('gives the findings of the plain re-computations (property)', () => {
    fc.assert(
      fc.property(org, (o) => {
        const input = inputOf(o);
        const found = computeFindings(input);
        expect(found).toEqual(expectedOf(input, found));
      }),
      { numRuns: 600 },
    );
  });

  it('remembers rotations for one call only: the same schedule objects at another now and daysForward (property)', () => {
    fc.assert(
      fc.property(
        org,
        fc.integer({ min: -24, max: 24 * 3 }),
        fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
        (o, laterHours, laterDays) => {
          const input = inputOf(o);
          // The very same schedule (and other) objects, judged at another clock and window.
          const later = { ...input, now: iso(laterHours), daysForward: laterDays };
          const first = computeFindings(input);
          expect(first).toEqual(expectedOf(input, first));
          const second = computeFindings(later);
          expect(second).toEqual(expectedOf(later, second));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the generated orgs reach the shared paths: several schedules, unpageable holders, unstaffed keys', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(org, (o) => {
        for (const f of computeFindings(inputOf(o))) seen.add(f.kind);
      }),
      { numRuns: 300, seed: 21 },
    );
    expect([...seen].filter((k) => RECOMPUTED.has(k as Finding['kind'])).sort()).toEqual([
      'nobody_on_call',
      'routing_key_unrouted',
      'routing_key_unstaffed',
      'unverified_on_call',
    ]);
  });
});

describe('the shared read-window rotations', () => {
  const twoRotations: TeamSchedule = {
    team: { slug: 'team-1', name: 'Team team-1' },
    fetchedAt: iso(0),
    // Backup is listed without a roll; Primary's only roll is held by someone who left the org.
    rotations: [{ policySlug: 'p1', policyName: 'Policy p1', rotationName: 'Backup', shiftName: 'Day' }],
    shifts: [
      {
        policySlug: 'p1',
        policyName: 'Policy p1',
        rotationName: 'Primary',
        shiftName: 'Day',
        username: 'left',
        start: iso(0),
        end: iso(48),
      },
    ],
  };

  it('are computed once per schedule and call, and each schedule gets its own', () => {
    const other: TeamSchedule = { ...twoRotations, team: { slug: 'team-2', name: 'Team team-2' } };
    const rotationsOf = rememberReadWindowCoverage({ now: iso(1), daysForward: 1 });
    const first = rotationsOf(twoRotations);
    expect(rotationsOf(twoRotations)).toBe(first);
    expect(rotationsOf(other)).not.toBe(first);
    expect(rotationsOf(other)[0]?.team.slug).toBe('team-2');
    expect(first.map((r) => r.rotationName)).toEqual(['Backup', 'Primary']);
  });

  it('an unstaffed key says why for every rotation the schedule lists, also one without a roll', () => {
    const p1 = policyOf('p1', 'team-1', [[entryOf('Primary')]]);
    const [f] = findRoutingKeyFindings({
      routingKeys: [
        { routingKey: 'k-db', isDefault: false, targets: [{ policySlug: 'p1', policyName: 'Policy p1' }] },
      ],
      policies: [p1],
      unreadPolicies: new Set(),
      schedules: [twoRotations],
      users: new Set(['amy']),
      now: iso(1),
    });
    expect(f).toMatchObject({
      kind: 'routing_key_unstaffed',
      policies: [
        { slug: 'p1', why: ['rotation Backup has no one on call', 'rotation Primary has no one on call'] },
      ],
    });
  });
});

describe('a schedule whose fetchedAt does not parse (our own clock writes it: never seen, pinned here)', () => {
  const unread: TeamSchedule = {
    team: { slug: 'team-1', name: 'Team team-1' },
    fetchedAt: 'not a time',
    shifts: [
      {
        policySlug: 'p1',
        policyName: 'Policy p1',
        rotationName: 'Primary',
        shiftName: 'Day',
        username: 'invited_dora',
        start: iso(0),
        end: iso(48),
      },
    ],
  };
  const p1 = policyOf('p1', 'team-1', [[entryOf('Primary')]]);
  const inputWith = (users: User[], routingKeys: RoutingKey[] | null) => ({
    roster: {
      users,
      teams: [{ slug: 'team-1', name: 'Team team-1' }],
      memberCounts: new Map([['team-1', 2]]),
    },
    policies: [p1],
    schedules: [unread],
    routingKeys,
    removedUsers: new Map<string, string>(),
    now: iso(1),
  });
  const unrouted: RoutingKey = { routingKey: 'k-old', isDefault: false, targets: [] };
  const live: RoutingKey = {
    routingKey: '.+',
    isDefault: true,
    targets: [{ policySlug: 'p1', policyName: 'Policy p1' }],
  };

  it('is skipped where nothing needs its window: no nobody_on_call, and keys without a live target are judged', () => {
    const found = computeFindings(inputWith([aUser('amy')], [unrouted]));
    // The removed holder is judged to the end of time, not over the read window.
    expect(found.map((f) => f.kind)).toEqual(['removed_user_on_call', 'routing_key_unrouted']);
  });

  it('throws a RangeError when a key has a live target (its reach needs every read window)', () => {
    expect(() => computeFindings(inputWith([aUser('amy')], [unrouted, live]))).toThrow(RangeError);
  });

  it('throws a RangeError when an unpageable user holds a shift in it', () => {
    expect(() => computeFindings(inputWith([aUser('amy'), aUser('invited_dora')], null))).toThrow(RangeError);
  });
});

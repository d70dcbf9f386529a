import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeFindings, diffFindings } from '../../../src/roster/coverage.js';
import { describeFinding, findingEvents } from '../../../src/roster/coverage-events.js';
import type { Finding } from '../../../src/roster/coverage-types.js';
import type { EventDraft } from '../../../src/roster/events.js';
import type { Policy, TeamSchedule } from '../../../src/roster/policy-types.js';
import { aRoster, arbitraryRoster, aTeam, aUser, USERNAMES } from '../../helpers/builders.js';
import { assertValidEvent } from '../../helpers/event-schema.js';

const NOW = '2026-03-03T12:00:00.000Z';
const db = aTeam('team-db', 'DB');
const web = aTeam('team-web', 'Web');

function aPolicy(slug: string, teamSlug: string, steps: string[][], name = `${slug} name`): Policy {
  return {
    slug,
    name,
    teamSlug,
    steps: steps.map((users, i) => ({
      index: i + 1,
      timeout: 5,
      entries: users.map((u) =>
        u.startsWith('@')
          ? {
              kind: 'rotation' as const,
              executionType: 'rotation_group' as const,
              rotationSlug: u.slice(1),
              rotationLabel: u.slice(1),
            }
          : { kind: 'user' as const, username: u },
      ),
    })),
  };
}

const roster = aRoster({
  users: [aUser('alice'), aUser('bob')],
  teams: [db, web],
  memberships: [
    ['alice', 'team-db'],
    ['bob', 'team-web'],
  ],
});

/** A drafted event in the envelope the store gives it, for the schema check. */
function envelope(e: EventDraft, i: number) {
  return {
    specversion: '1.0',
    id: `e${i}`,
    source: 'urn:test',
    type: e.type,
    subject: e.subject,
    time: NOW,
    datacontenttype: 'application/json',
    sequence: String(i + 1).padStart(16, '0'),
    data: e.data,
  };
}

function kinds(findings: Finding[]): string[] {
  return findings.map((f) => f.key);
}

describe('computeFindings', () => {
  const base = { roster, schedules: [] as TeamSchedule[], removedUsers: new Map<string, string>(), now: NOW };

  it.each([
    {
      name: 'a healthy org has no findings',
      policies: [
        aPolicy('pol-db', 'team-db', [['alice'], ['@db-rota']]),
        aPolicy('pol-web', 'team-web', [['Bob']]),
      ],
      expected: [],
    },
    {
      name: 'a step paging a user not in the roster is a dangling reference (steps count from 1)',
      policies: [
        aPolicy('pol-db', 'team-db', [['alice'], ['jdoe', 'alice']]),
        aPolicy('pol-web', 'team-web', [['bob']]),
      ],
      expected: ['dangling_reference:pol-db:2:jdoe'],
    },
    {
      name: 'a step with no entries is an empty step',
      policies: [aPolicy('pol-db', 'team-db', [['alice'], []]), aPolicy('pol-web', 'team-web', [['bob']])],
      expected: ['empty_step:pol-db:2'],
    },
    {
      name: 'a team with members but no policy',
      policies: [aPolicy('pol-db', 'team-db', [['alice']])],
      expected: ['team_without_policy:team-web'],
    },
  ])('$name', ({ policies, expected }) => {
    expect(kinds(computeFindings({ ...base, policies }))).toEqual(expected);
  });

  it('a team without members is reported as that (not also as without a policy)', () => {
    const empty = aRoster({ users: [aUser('alice')], teams: [db, web], memberships: [['alice', 'team-db']] });
    const findings = computeFindings({
      ...base,
      roster: empty,
      policies: [aPolicy('pol-db', 'team-db', [['alice']])],
    });
    expect(kinds(findings)).toEqual(['team_without_members:team-web']);
  });

  it('upcoming shifts of a removed user are one finding per rotation, past shifts none', () => {
    const shift = (start: string, end: string, username = 'jdoe') => ({
      policySlug: 'pol-db',
      policyName: 'DB Primary',
      rotationName: 'Primary',
      shiftName: 'Day',
      username,
      start,
      end,
    });
    const schedules: TeamSchedule[] = [
      {
        team: db,
        shifts: [
          shift('2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z'),
          shift('2026-03-05T00:00:00.000Z', '2026-03-06T00:00:00.000Z'),
          shift('2026-03-04T00:00:00.000Z', '2026-03-05T00:00:00.000Z'),
          shift('2026-03-04T00:00:00.000Z', '2026-03-05T00:00:00.000Z', 'alice'),
        ],
      },
    ];
    const findings = computeFindings({
      ...base,
      policies: [aPolicy('pol-db', 'team-db', [['alice']]), aPolicy('pol-web', 'team-web', [['bob']])],
      schedules,
      removedUsers: new Map([['jdoe', '2026-03-02T14:05:00.000Z']]),
    });
    expect(findings.filter((f) => f.kind === 'removed_user_on_call')).toEqual([
      {
        kind: 'removed_user_on_call',
        key: 'removed_user_on_call:team-db:Primary:jdoe',
        team: db,
        policy: { slug: 'pol-db', name: 'DB Primary' },
        rotation: 'Primary',
        shift: 'Day',
        username: 'jdoe',
        start: '2026-03-04T00:00:00.000Z',
        end: '2026-03-05T00:00:00.000Z',
        shifts: 2,
        removedAt: '2026-03-02T14:05:00.000Z',
      },
    ]);
  });

  it('input order changes nothing (property)', () => {
    const names = fc.constantFrom('alice', 'bob', 'jdoe', 'x');
    const arbPolicy = fc.record({
      slug: fc.constantFrom('p1', 'p2', 'p3'),
      team: fc.constantFrom('team-db', 'team-web'),
      steps: fc.array(fc.array(names, { maxLength: 3 }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(arbPolicy, { selector: (p) => p.slug }), (specs) => {
        const policies = specs.map((p) => aPolicy(p.slug, p.team, p.steps));
        const a = computeFindings({ ...base, policies });
        const b = computeFindings({ ...base, policies: [...policies].reverse() });
        expect(b).toEqual(a);
        expect(new Set(a.map((f) => f.key)).size).toBe(a.length);
      }),
    );
  });
});

/** A policy step entry: a user (maybe not of the roster), a route to a policy (maybe missing) or a rotation. */
const arbitraryEntry = fc.oneof(
  fc.constantFrom(...USERNAMES, 'jdoe').map((username) => ({ kind: 'user' as const, username })),
  fc.constantFrom('p1', 'p2', 'p3', 'p4').map((policySlug) => ({ kind: 'policy' as const, policySlug })),
  fc.constantFrom('r1', 'r2').map((slug) => ({
    kind: 'rotation' as const,
    executionType: 'rotation_group' as const,
    rotationSlug: slug,
    rotationLabel: slug,
  })),
);
const TEAM_SLUGS = ['team-a', 'team-b', 'team-c', 'team-d', 'team-e'] as const;
const arbitraryPolicies = fc.uniqueArray(
  fc.record({
    slug: fc.constantFrom('p1', 'p2', 'p3'),
    teamSlug: fc.constantFrom(...TEAM_SLUGS),
    steps: fc.array(fc.array(arbitraryEntry, { maxLength: 3 }), { maxLength: 3 }),
  }),
  { selector: (p) => p.slug },
);
const HOUR = 3_600_000;
const arbitrarySchedules = fc.uniqueArray(
  fc.record({
    team: fc.constantFrom(...TEAM_SLUGS),
    shifts: fc.array(
      fc.record({
        policySlug: fc.constantFrom('p1', 'p2', 'p3'),
        rotationName: fc.constantFrom('R1', 'R2'),
        username: fc.constantFrom(...USERNAMES, 'jdoe'),
        startHours: fc.integer({ min: -48, max: 400 }),
        hours: fc.integer({ min: 1, max: 72 }),
      }),
      { maxLength: 5 },
    ),
  }),
  { selector: (s) => s.team, maxLength: 3 },
);

describe('computeFindings from member counts', () => {
  it('equal the findings from the memberships they count (property)', () => {
    const at = (hours: number) => new Date(Date.parse(NOW) + hours * HOUR).toISOString();
    fc.assert(
      fc.property(
        arbitraryRoster,
        arbitraryPolicies,
        arbitrarySchedules,
        fc.subarray(['p2', 'p4']),
        fc.subarray(['p1', 'p2', 'p3', 'p4']),
        fc.boolean(),
        (roster, policySpecs, scheduleSpecs, unread, keyTargets, zeros) => {
          const policies: Policy[] = policySpecs.map((p) => ({
            slug: p.slug,
            name: `${p.slug} name`,
            teamSlug: p.teamSlug,
            steps: p.steps.map((entries, i) => ({ index: i + 1, timeout: 5, entries })),
          }));
          const schedules: TeamSchedule[] = scheduleSpecs.map((s) => ({
            team: aTeam(s.team),
            shifts: s.shifts.map((shift) => ({
              policySlug: shift.policySlug,
              policyName: `${shift.policySlug} name`,
              rotationName: shift.rotationName,
              shiftName: 'Day',
              username: shift.username,
              start: at(shift.startHours),
              end: at(shift.startHours + shift.hours),
            })),
          }));
          const input = {
            policies,
            schedules,
            unreadPolicies: unread
              .filter((slug) => !policies.some((p) => p.slug === slug))
              .map((slug) => ({ slug, name: slug, teamSlug: 'team-a', reason: 'HTTP 500' })),
            routingKeys: keyTargets.map((slug) => ({
              routingKey: `key-${slug}`,
              isDefault: slug === 'p1',
              targets: [{ policySlug: slug, policyName: `${slug} name` }],
            })),
            removedUsers: new Map([['jdoe', '2026-03-01T00:00:00.000Z']]),
            now: NOW,
          };
          // As the unchanged poll gives them: every team named (zeros too), or only teams with members.
          const memberCounts = new Map<string, number>(zeros ? roster.teams.map((t) => [t.slug, 0]) : []);
          for (const m of roster.memberships)
            memberCounts.set(m.teamSlug, (memberCounts.get(m.teamSlug) ?? 0) + 1);
          const fromCounts = computeFindings({
            ...input,
            roster: { users: roster.users, teams: roster.teams, memberCounts },
          });
          expect(fromCounts).toEqual(computeFindings({ ...input, roster }));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a team counted with no members is a team without members, whatever memberships exist', () => {
    const counted = (members: number) =>
      computeFindings({
        roster: { users: roster.users, teams: roster.teams, memberCounts: new Map([['team-db', members]]) },
        policies: [aPolicy('pol-db', 'team-db', [['alice']]), aPolicy('pol-web', 'team-web', [['bob']])],
        schedules: [],
        removedUsers: new Map(),
        now: NOW,
      });
    expect(kinds(counted(1))).toEqual(['team_without_members:team-web']);
    expect(kinds(counted(0))).toEqual(['team_without_members:team-db', 'team_without_members:team-web']);
  });
});

describe('diffFindings and events', () => {
  const dangling = computeFindings({
    roster,
    policies: [
      aPolicy('pol-db', 'team-db', [['alice'], ['jdoe']], 'DB Primary'),
      aPolicy('pol-web', 'team-web', [['bob']]),
    ],
    schedules: [],
    removedUsers: new Map([['jdoe', '2026-03-03T14:05:00.000Z']]),
    now: NOW,
  });

  it('a new finding appears once, stays open without an event, and resolves when gone', () => {
    const first = diffFindings([], dangling);
    expect(first.appeared).toHaveLength(1);
    const open = first.appeared.map((finding) => ({ finding, firstSeen: NOW }));
    expect(diffFindings(open, dangling)).toEqual({ appeared: [], resolved: [], still: dangling });
    const fixed = diffFindings(open, []);
    expect(fixed.resolved.map((o) => o.finding.key)).toEqual(['dangling_reference:pol-db:2:jdoe']);

    const events = [...findingEvents(first, NOW), ...findingEvents(fixed, '2026-03-04T00:00:00.000Z')];
    expect(events.map((e) => [e.type, (e.data as { state: string }).state])).toEqual([
      ['rosterwatch.coverage.dangling_reference', 'open'],
      ['rosterwatch.coverage.dangling_reference', 'resolved'],
    ]);
    for (const [i, e] of events.entries()) assertValidEvent(envelope(e, i));
  });

  it('says what to do in one sentence', () => {
    expect(describeFinding(dangling[0]!)).toBe(
      "Escalation policy 'DB Primary' (team DB), step 2, still pages jdoe, removed at 2026-03-03 14:05 UTC: replace jdoe in that step.",
    );
  });
});

describe('unknown policies and policies that page nobody', () => {
  const base = { roster, schedules: [], removedUsers: new Map<string, string>(), now: NOW };
  const route = (slug: string, teamSlug: string, target: string): Policy => ({
    slug,
    name: `${slug} name`,
    teamSlug,
    steps: [
      { index: 1, timeout: 0, entries: [{ kind: 'user', username: 'alice' }] },
      { index: 2, timeout: 5, entries: [{ kind: 'policy', policySlug: target }] },
    ],
  });

  it('a listed but unreadable policy is not gone: a route to it does not dangle and its team has a policy', () => {
    const findings = computeFindings({
      ...base,
      policies: [route('p-db', 'team-db', 'p-web')],
      unreadPolicies: [{ slug: 'p-web', name: 'Web primary', teamSlug: 'team-web', reason: 'shape' }],
    });
    expect(kinds(findings)).toEqual([]);
    // Without knowing it is listed, both false findings appear: what the state prevents.
    expect(kinds(computeFindings({ ...base, policies: [route('p-db', 'team-db', 'p-web')] }))).toEqual([
      'dangling_reference:p-db:2:policy:p-web',
      'team_without_policy:team-web',
    ]);
  });

  it('steps: [] and a policy only routing into it page nobody: empty_policy with the routes into it, not empty_step', () => {
    const empty: Policy = { slug: 'p-empty', name: 'Empty', teamSlug: 'team-web', steps: [] };
    const relay: Policy = {
      slug: 'p-relay',
      name: 'Relay',
      teamSlug: 'team-web',
      steps: [{ index: 1, timeout: 0, entries: [{ kind: 'policy', policySlug: 'p-empty' }] }],
    };
    const findings = computeFindings({
      ...base,
      policies: [route('p-db', 'team-db', 'p-relay'), empty, relay],
    });
    expect(kinds(findings)).toEqual(['empty_policy:p-empty', 'empty_policy:p-relay']);
    expect(findings[0]).toMatchObject({ routedFrom: [{ policy: { slug: 'p-relay' }, step: 1 }] });
    expect(findings[1]).toMatchObject({ routedFrom: [{ policy: { slug: 'p-db' }, step: 2 }] });
    expect(describeFinding(findings[1]!)).toBe(
      "Escalation policy 'Relay' (team Web) pages nobody: it has no step that reaches a person; 'p-db name' step 2 routes into it. Add a user or rotation to it, or delete it and point its routing keys elsewhere.",
    );
    for (const [i, e] of findingEvents({ appeared: findings, resolved: [], still: [] }, NOW).entries())
      assertValidEvent(envelope(e, i));
  });
});

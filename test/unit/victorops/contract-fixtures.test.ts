/**
 * Contract: every client schema parses the real-shape fixtures (test/fixtures/victorops, with their
 * source), and the parsed result says what the body says: offsets read as instants, every entry
 * type a reference keyed by its target, overrides applied to who is on call.
 */
import { describe, expect, it } from 'vitest';
import { normalisePolicies } from '../../../src/roster/policies.js';
import { policyFromApi, scheduleFromApi } from '../../../src/victorops/fetch-policies.js';
import {
  policyDetailSchema,
  policyListSchema,
  teamListSchema,
  teamMembersSchema,
  teamScheduleSchema,
  userListSchema,
  userTeamsSchema,
} from '../../../src/victorops/schemas.js';
import { readFixture } from '../../helpers/victorops-fixtures.js';

const infra = { slug: 'team-00VkR4NvJvM5h9Ae', name: 'Infrastructure' };

describe('contract fixtures parse with the client schemas', () => {
  it('v1/user: nested arrays flattened, a user without email, the pending invitee', () => {
    const users = userListSchema.parse(readFixture('v1-user.json'));
    expect(users.map((u) => u.username)).toEqual(['jane.doe', 'soren+oncall', 'invited_kai.lee_8f3a']);
    expect(users[1]?.email).toBeUndefined();
    expect(users[2]).toMatchObject({ verified: false, email: 'kai.lee@example.com' });
  });

  it('v1/team, members, user teams', () => {
    expect(teamListSchema.parse(readFixture('v1-team.json')).map((t) => t.slug)).toEqual([
      'team-00VkR4NvJvM5h9Ae',
      'team-1bX9qLmP0aZr3TtY',
    ]);
    expect(teamMembersSchema.parse(readFixture('v1-team-members.json'))).toEqual([
      'jane.doe',
      'soren+oncall',
    ]);
    expect(userTeamsSchema.parse(readFixture('v1-user-teams.json'))).toEqual([
      expect.objectContaining(infra),
    ]);
  });

  it('v1/policies: policy and team pairs', () => {
    expect(policyListSchema.parse(readFixture('v1-policies.json'))).toEqual([
      { slug: 'pol-Xa81mQv0Lr2cT7nB', name: 'Infrastructure high severity', team: infra },
      { slug: 'pol-7hG2kD0pWq1sZ9xC', name: 'Infrastructure follow the sun', team: infra },
    ]);
  });

  it('v1/policies/{policy}: every entry type is a reference keyed by its target, none collapsed', () => {
    const detail = policyDetailSchema.parse(readFixture('v1-policy-detail.json'));
    const [policy] = normalisePolicies([policyFromApi(detail, undefined)]);
    expect(policy?.steps.map((s) => s.entries)).toEqual([
      [
        {
          kind: 'rotation',
          executionType: 'rotation_group',
          rotationSlug: 'rtg-Q3pXb7LmN0aZ2cD4',
          rotationLabel: 'Infra primary',
        },
        { kind: 'user', username: 'jane.doe' },
        { kind: 'user', username: 'soren+oncall' },
      ],
      [
        { kind: 'email', address: 'infra-escalations@example.com' },
        {
          kind: 'rotation',
          executionType: 'rotation_group_next',
          rotationSlug: 'rtg-Q3pXb7LmN0aZ2cD4',
          rotationLabel: 'rtg-Q3pXb7LmN0aZ2cD4',
        },
        {
          kind: 'rotation',
          executionType: 'rotation_group_previous',
          rotationSlug: 'rtg-Q3pXb7LmN0aZ2cD4',
          rotationLabel: 'rtg-Q3pXb7LmN0aZ2cD4',
        },
        { kind: 'webhook', webhookSlug: 'wh-0aB1cD2eF3gH4iJ5' },
      ],
      [{ kind: 'policy', policySlug: 'pol-7hG2kD0pWq1sZ9xC' }],
    ]);
    expect(policy?.steps.map((s) => s.timeout)).toEqual([0, 15, 30]);
  });

  it('v2/team/{team}/oncall/schedule: offsets read as instants, the override applied, an empty rotation kept', () => {
    const schedule = scheduleFromApi(
      teamScheduleSchema.parse(readFixture('v2-team-oncall-schedule.json')),
      infra,
    );
    // 2026-11-24T09:00:00-06:00 is 15:00 UTC.
    expect(schedule.shifts.map((s) => [s.username, s.start, s.end, s.overrideFor ?? null])).toEqual([
      ['jane.doe', '2026-11-24T15:00:00.000Z', '2026-11-30T00:00:00.000Z', null],
      ['soren+oncall', '2026-11-30T00:00:00.000Z', '2026-11-30T15:00:00.000Z', 'jane.doe'],
      ['jane.doe', '2026-11-30T15:00:00.000Z', '2026-12-01T15:00:00.000Z', null],
      ['soren+oncall', '2026-12-01T15:00:00.000Z', '2026-12-08T15:00:00.000Z', null],
    ]);
    expect(schedule.rotations?.map((r) => [r.policySlug, r.rotationName])).toEqual([
      ['pol-Xa81mQv0Lr2cT7nB', 'Infra primary'],
      ['pol-7hG2kD0pWq1sZ9xC', 'Follow the sun'],
    ]);
  });

  it('v2/user/{user}/oncall/schedule holds the same per-team shape', () => {
    const body = readFixture('v2-user-oncall-schedule.json') as { teamSchedules: unknown[] };
    for (const teamSchedule of body.teamSchedules) {
      const parsed = scheduleFromApi(teamScheduleSchema.parse(teamSchedule), infra);
      expect(parsed.shifts.map((s) => s.username)).toEqual(['jane.doe']);
    }
  });
});

describe('tolerant fallbacks and shape errors', () => {
  const withRoll = (roll: Record<string, unknown>) => ({
    schedules: [
      {
        policy: { slug: 'pol-1', name: 'P' },
        schedule: [{ rotationName: 'R', shiftName: 'S', rolls: [roll] }],
      },
    ],
  });

  it('reads onCalluser; an empty on-call username is nobody on call for that roll, not a shape error', () => {
    const parsed = teamScheduleSchema.parse({
      schedules: [
        {
          policy: { slug: 'pol-1', name: 'P' },
          schedule: [
            {
              rotationName: 'R',
              shiftName: 'S',
              onCallUser: { username: '' },
              rolls: [
                {
                  start: '2026-03-04T00:00:00Z',
                  end: '2026-03-05T00:00:00Z',
                  onCalluser: { username: 'jdoe' },
                },
                { start: '2026-03-05T00:00:00Z', end: '2026-03-06T00:00:00Z', onCallUser: { username: '' } },
              ],
            },
          ],
        },
      ],
    });
    const schedule = scheduleFromApi(parsed, infra);
    expect(schedule.shifts.map((s) => [s.username, s.start])).toEqual([['jdoe', '2026-03-04T00:00:00.000Z']]);
    expect(schedule.rotations).toEqual([
      { policySlug: 'pol-1', policyName: 'P', rotationName: 'R', shiftName: 'S' },
    ]);
  });

  it('the deprecated v1 roll {change, until, oncall} is a shape error naming the field, not an empty roll', async () => {
    const { describeSchemaIssue } = await import('../../../src/victorops/schemas.js');
    const result = teamScheduleSchema.safeParse(
      withRoll({ change: 1444032000000, until: 1444636800000, oncall: 'steveelliott', isRoll: true }),
    );
    expect(result.success).toBe(false);
    if (!result.success)
      expect(describeSchemaIssue(result.error)).toBe(
        'schedules[0].schedule[0].rolls[0].start: expected string',
      );
  });

  it('a roll with times but no on-call user at all is a shape error naming onCallUser', async () => {
    const { describeSchemaIssue } = await import('../../../src/victorops/schemas.js');
    const result = teamScheduleSchema.safeParse(
      withRoll({ start: '2026-03-04T00:00:00Z', end: '2026-03-05T00:00:00Z', isRoll: true }),
    );
    expect(result.success).toBe(false);
    if (!result.success)
      expect(describeSchemaIssue(result.error)).toBe(
        'schedules[0].schedule[0].rolls[0].onCallUser: expected an object with a username',
      );
  });

  it('an unknown entry type keeps its raw target; two of them with different targets stay two', () => {
    const detail = policyDetailSchema.parse({
      name: 'P',
      slug: 'pol-1',
      steps: [
        {
          timeout: 5,
          entries: [
            { executionType: 'team_routing', team: { slug: 'team-a' } },
            { executionType: 'carrier_pigeon', pigeon: { name: 'a' } },
            { executionType: 'carrier_pigeon', pigeon: { name: 'b' } },
          ],
        },
      ],
    });
    const [policy] = normalisePolicies([policyFromApi(detail, undefined)]);
    expect(policy?.steps[0]?.entries).toEqual([
      { kind: 'other', executionType: 'carrier_pigeon', target: '{"pigeon":{"name":"a"}}' },
      { kind: 'other', executionType: 'carrier_pigeon', target: '{"pigeon":{"name":"b"}}' },
      { kind: 'team', executionType: 'team_routing', target: '{"team":{"slug":"team-a"}}' },
    ]);
  });

  it('a roll without start names the field path', async () => {
    const { describeSchemaIssue } = await import('../../../src/victorops/schemas.js');
    const result = teamScheduleSchema.safeParse(
      withRoll({ end: '2026-03-05T00:00:00Z', onCallUser: { username: 'x' } }),
    );
    expect(result.success).toBe(false);
    if (!result.success)
      expect(describeSchemaIssue(result.error)).toBe(
        'schedules[0].schedule[0].rolls[0].start: expected string',
      );
  });
});

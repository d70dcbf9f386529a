import { describe, expect, it } from 'vitest';
import { policyFromApi, scheduleFromApi } from '../../../src/victorops/fetch-policies.js';
import { policyDetailSchema, policyListSchema, teamScheduleSchema } from '../../../src/victorops/schemas.js';

const team = { slug: 'team-a', name: 'A' };

describe('policy and schedule schemas', () => {
  it('parse the policy list and a detail with user, rotation and other entries', () => {
    const list = policyListSchema.parse({
      policies: [
        { policy: { name: 'DB', slug: 'pol-1', _selfUrl: '/x' }, team: { name: 'A', slug: 'team-a' } },
      ],
    });
    const detail = policyDetailSchema.parse({
      name: 'DB',
      slug: 'pol-1',
      teamSlug: 'team-a',
      ignoreCustomPagingPolicies: false,
      steps: [
        {
          timeout: 5,
          entries: [
            { executionType: 'user_page', user: { username: 'jdoe', firstName: 'J' } },
            { executionType: 'rotation_group', rotationGroup: { slug: 'rtg-1', label: 'Primary' } },
            { executionType: 'webhook', webhook: { slug: 'wh' } },
          ],
        },
        { timeout: 10, entries: [] },
      ],
      unknownField: true,
    });
    expect(policyFromApi(detail, list[0])).toEqual({
      slug: 'pol-1',
      name: 'DB',
      teamSlug: 'team-a',
      steps: [
        {
          index: 1,
          timeout: 5,
          entries: [
            { kind: 'user', username: 'jdoe' },
            { kind: 'rotation', rotationSlug: 'rtg-1', rotationLabel: 'Primary' },
            { kind: 'other', executionType: 'webhook' },
          ],
        },
        { index: 2, timeout: 10, entries: [] },
      ],
    });
  });

  it.each([
    ['onCallUser', { onCallUser: { username: 'jdoe' } }],
    ['onCalluser', { onCalluser: { username: 'jdoe' } }],
    ['onCall as a plain username', { onCall: 'jdoe' }],
  ])('reads a roll whose user is given as %s', (_name, who) => {
    const body = teamScheduleSchema.parse({
      team: { name: 'A', slug: 'team-a' },
      schedules: [
        {
          policy: { name: 'DB', slug: 'pol-1' },
          schedule: [
            {
              onCallUser: { username: 'someone' },
              onCallType: 'rotation_group',
              rotationName: 'Primary',
              shiftName: 'Day',
              shiftRoll: '2026-03-04T00:00:00Z',
              rolls: [
                { change: '2026-03-04T00:00:00Z', until: '2026-03-05T00:00:00Z', isRoll: true, ...who },
              ],
            },
          ],
          overrides: [],
        },
      ],
    });
    expect(scheduleFromApi(body, team).shifts).toEqual([
      {
        policySlug: 'pol-1',
        policyName: 'DB',
        rotationName: 'Primary',
        shiftName: 'Day',
        username: 'jdoe',
        start: '2026-03-04T00:00:00.000Z',
        end: '2026-03-05T00:00:00.000Z',
      },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { describeEvent } from '../../../src/cli/audit.js';
import type { CloudEvent } from '../../../src/roster/events.js';

const policy = { slug: 'pol-x1', name: 'DB Primary', teamSlug: 'team-a1', steps: [] };
const event = (type: string, data: unknown) =>
  ({ type, data, time: '2026-12-01T00:00:00Z', sequence: 3, subject: 'pol-x1' }) as unknown as CloudEvent;

describe('history lines name teams', () => {
  it('a policy event shows its team by name, not by slug', () => {
    const teams = new Map([['team-a1', 'Database']]);
    expect(describeEvent(event('victorops.policy.added', { policy }), teams)).toMatch(
      /'DB Primary' \(team Database\)$/,
    );
    const changed = event('victorops.policy.changed', {
      slug: 'pol-x1',
      before: policy,
      after: { ...policy, name: 'DB On-call' },
      changes: [{ field: 'name', before: 'DB Primary', after: 'DB On-call' }],
    });
    expect(describeEvent(changed, teams)).toMatch(
      /'DB On-call' \(team Database\): name: "DB Primary" → "DB On-call"$/,
    );
  });

  it('a team it cannot name is shown by its slug', () => {
    expect(describeEvent(event('victorops.policy.removed', { policy }))).toMatch(/\(team team-a1\)$/);
  });
});

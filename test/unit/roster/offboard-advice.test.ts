import { describe, expect, it } from 'vitest';
import { buildOffboardReport } from '../../../src/roster/offboard.js';

describe('offboard-check advice', () => {
  it('the last step of a user still referenced does not tell the reader to run offboard-check on them again', () => {
    const report = buildOffboardReport({
      username: 'jdoe',
      teams: [{ slug: 'team-db', name: 'DB' }],
      policies: [],
      schedules: [],
      teamNames: new Map([['team-db', 'DB']]),
      now: '2026-12-01T00:00:00Z',
    });
    expect(report.safeToDelete).toBe(false);
    expect(report.actions.at(-1)).toMatch(/^Only then delete jdoe: /);
    for (const action of report.actions) expect(action).not.toMatch(/offboard-check/);
  });
});

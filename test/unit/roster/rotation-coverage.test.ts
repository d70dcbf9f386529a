import { describe, expect, it } from 'vitest';
import { applyOverrides } from '../../../src/roster/on-call.js';
import type { Shift, TeamSchedule } from '../../../src/roster/policy-types.js';
import {
  canonicalInstant,
  computeRotationCoverage,
  countShifts,
} from '../../../src/roster/rotation-coverage.js';
import { aTeam } from '../../helpers/builders.js';

const team = aTeam('team-a', 'Alpha');
const t = (day: number, hour = 0, second = 0) =>
  new Date(Date.UTC(2026, 2, day, hour, 0, second)).toISOString();
const shift = (
  rotationName: string,
  shiftName: string,
  username: string,
  start: string,
  end: string,
  policySlug = 'pol-1',
): Shift => ({ policySlug, policyName: policySlug, rotationName, shiftName, username, start, end });

/** Three back-to-back 8-hour shifts a day for `days` days, like the apac/emea/amer shifts of one rotation. */
function followTheSun(days: number): Shift[] {
  const out: Shift[] = [];
  for (let d = 1; d <= days; d++) {
    out.push(shift('Follow the sun', 'apac', 'ann', t(d, 0), t(d, 8)));
    out.push(shift('Follow the sun', 'emea', 'bob', t(d, 8), t(d, 16)));
    out.push(shift('Follow the sun', 'amer', 'cat', t(d, 16), t(d + 1, 0)));
  }
  return out;
}

describe('computeRotationCoverage', () => {
  it('a follow-the-sun rotation is one rotation covered every minute, though each of its shifts alone has gaps', () => {
    const schedule: TeamSchedule = { team, shifts: followTheSun(3) };
    const [rotation, ...others] = computeRotationCoverage(schedule, { from: t(1, 3), until: t(4) });
    expect(others).toEqual([]);
    expect(rotation).toMatchObject({
      rotationName: 'Follow the sun',
      shiftNames: ['amer', 'apac', 'emea'],
      policies: [{ slug: 'pol-1', name: 'pol-1' }],
      gaps: [],
    });
    expect(rotation?.shifts).toHaveLength(9);
  });

  it('a day/night rotation with real gaps: one gap interval per hole in the union of its shifts, clipped to the window', () => {
    const shifts = [
      shift('Day/night', 'day', 'ann', t(1, 8), t(1, 18)),
      shift('Day/night', 'night', 'bob', t(1, 20), t(2, 6)),
      shift('Day/night', 'day', 'ann', t(2, 8), t(2, 18)),
      shift('Day/night', 'night', 'bob', t(2, 18), t(3, 8)),
    ];
    const [rotation] = computeRotationCoverage({ team, shifts }, { from: t(1, 9), until: t(3, 6) });
    expect(rotation?.gaps).toEqual([
      { start: t(1, 18), end: t(1, 20) },
      { start: t(2, 6), end: t(2, 8) },
    ]);
  });

  it('a rotation listed under two policies is one rotation: its shifts are counted once and policies listed both', () => {
    const shifts = [
      shift('Primary', 'week', 'ann', t(1), t(8), 'pol-a'),
      shift('Primary', 'week', 'ann', t(1), t(8), 'pol-b'),
    ];
    const [rotation] = computeRotationCoverage({ team, shifts }, { from: t(1), until: t(8) });
    expect(rotation?.policies.map((p) => p.slug)).toEqual(['pol-a', 'pol-b']);
    expect(rotation?.shifts).toHaveLength(1);
    expect(countShifts(rotation?.shifts ?? [])).toBe(1);
  });

  it('a shift split by an override counts once for its holder; the cover is the coverer’s own', () => {
    const split = applyOverrides(
      [shift('Primary', 'week', 'ann', t(1), t(8))],
      [{ originalUsername: 'ann', overrideUsername: 'cat', start: t(3), end: t(4) }],
    );
    const [rotation] = computeRotationCoverage({ team, shifts: split }, { from: t(1), until: t(8) });
    const ann = rotation?.shifts.filter((s) => s.username === 'ann') ?? [];
    expect(ann).toHaveLength(2);
    expect(countShifts(ann)).toBe(1);
    expect(rotation?.gaps).toEqual([]);
  });

  it('times with an offset or without milliseconds are compared as instants', () => {
    const shifts = [
      shift('Offset', 's', 'ann', '2026-03-01T00:00:00-06:00', '2026-03-01T12:00:00Z'),
      shift('Offset', 's', 'bob', '2026-03-01T12:00:00.000Z', '2026-03-02T00:00:00.000Z'),
    ];
    const [rotation] = computeRotationCoverage({ team, shifts }, { from: t(1, 6), until: t(2) });
    expect(rotation?.gaps).toEqual([]);
    expect(rotation?.shifts.map((s) => s.start)).toEqual([t(1, 6), t(1, 12)]);
    const [late] = computeRotationCoverage({ team, shifts }, { from: t(1), until: t(2) });
    expect(late?.gaps).toEqual([{ start: t(1), end: t(1, 6) }]);
  });

  it('a rotation without rolls is one gap over the whole window; a one-second gap is kept', () => {
    const schedule: TeamSchedule = {
      team,
      shifts: [
        shift('Busy', 's', 'ann', t(1), t(1, 9, 45 * 60)),
        shift('Busy', 's', 'bob', t(1, 9, 45 * 60 + 1), t(2)),
      ],
      rotations: [{ policySlug: 'pol-1', policyName: 'P', rotationName: 'Empty', shiftName: 'e' }],
    };
    const coverage = computeRotationCoverage(schedule, { from: t(1), until: t(2) });
    expect(coverage.map((r) => [r.rotationName, r.gaps])).toEqual([
      ['Busy', [{ start: t(1, 9, 45 * 60), end: t(1, 9, 45 * 60 + 1) }]],
      ['Empty', [{ start: t(1), end: t(2) }]],
    ]);
  });
});

describe('how rotations and gaps read', () => {
  it('a step paging the next or previous person of a rotation says so; a gap under a minute shows seconds', async () => {
    const { entryLabel } = await import('../../../src/roster/policy-entries.js');
    const { formatSpan } = await import('../../../src/roster/coverage-events.js');
    const rotation = (executionType: 'rotation_group' | 'rotation_group_next' | 'rotation_group_previous') =>
      entryLabel({ kind: 'rotation', executionType, rotationSlug: 'rtg-1', rotationLabel: 'Infra primary' });
    expect([
      rotation('rotation_group'),
      rotation('rotation_group_next'),
      rotation('rotation_group_previous'),
    ]).toEqual(['Infra primary', 'Infra primary (next)', 'Infra primary (previous)']);
    expect(formatSpan('2026-03-03T09:45:00.000Z', '2026-03-03T09:45:01.000Z')).toBe(
      'from 2026-03-03 09:45:00 UTC to 2026-03-03 09:45:01 UTC',
    );
    expect(formatSpan('2026-03-03T09:45:00.000Z', '2026-03-03T10:45:00.000Z')).toBe(
      'from 2026-03-03 09:45 UTC to 2026-03-03 10:45 UTC',
    );
  });
});

describe('canonicalInstant', () => {
  it('gives the toISOString form of VictorOps shift times, the same the second time (remembered)', () => {
    for (const [iso, canonical] of [
      ['2026-12-06T00:00:00Z', '2026-12-06T00:00:00.000Z'],
      ['2026-12-06T01:30:00+01:00', '2026-12-06T00:30:00.000Z'],
      ['2026-12-06T00:00:00.000Z', '2026-12-06T00:00:00.000Z'],
    ] as const) {
      expect(canonicalInstant(iso)).toBe(canonical);
      expect(canonicalInstant(iso)).toBe(canonical);
    }
  });

  it('a time that is not one fails every time, and is not remembered as anything', () => {
    expect(() => canonicalInstant('not a time')).toThrow(RangeError);
    expect(() => canonicalInstant('not a time')).toThrow(RangeError);
  });
});

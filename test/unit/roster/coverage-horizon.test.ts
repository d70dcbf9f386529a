/**
 * Issue 21: findings computed at t1 are carried over by polls before their horizon. For random
 * orgs (schedules with overrides, fetch times, routing keys, unread policies) and random t1 < t2,
 * the findings recomputed at any t2 before horizon(t1) are those of t1 with their window edges
 * moved to t2's (movedTo).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeFindings } from '../../../src/roster/coverage.js';
import { coverageHorizon, movedTo } from '../../../src/roster/coverage-horizon.js';
import { BASE_MS, HOUR_MS, inputOf, org } from '../../helpers/coverage-org.js';

const MINUTE_MS = 60_000;

/** A minute of the hour: often on the hour or half hour, where the generated shifts begin and end. */
const minute = fc.oneof(fc.constantFrom(0, 30), fc.integer({ min: 0, max: 59 }));

const case_ = fc.record({
  o: org,
  t1Minute: minute,
  /** How far t2 is after t1: within a few minutes, hours or days. */
  after: fc.oneof(
    fc.integer({ min: 1, max: 90 }),
    fc.integer({ min: 1, max: 48 * 60 }),
    fc.integer({ min: 1, max: 40 * 24 * 60 }),
  ),
});

function inputAt(o: Parameters<typeof inputOf>[0], ms: number) {
  return { ...inputOf(o), now: new Date(ms).toISOString() };
}

describe('coverageHorizon', () => {
  it('promises only what recomputing gives: findings at any t2 before horizon(t1) are those of t1 with their edges moved (property)', () => {
    let carried = 0;
    let later = 0;
    let edgesMoved = 0;
    fc.assert(
      fc.property(case_, ({ o, t1Minute, after }) => {
        const t1 = BASE_MS + o.nowHours * HOUR_MS + t1Minute * MINUTE_MS;
        const t2 = t1 + after * MINUTE_MS;
        const at1 = inputAt(o, t1);
        const found1 = computeFindings(at1);
        const horizon = coverageHorizon({ ...at1, copied: at1.removedUsers.values() });
        expect(horizon).toBeGreaterThanOrEqual(t1);
        if (!(t2 < horizon)) {
          later++;
          return;
        }
        carried++;
        const at2 = inputAt(o, t2);
        const moved = movedTo(JSON.stringify(found1), {
          from: at1.now,
          to: at2.now,
          daysForward: o.daysForward,
        });
        expect(JSON.stringify(computeFindings(at2))).toBe(moved);
        if (moved !== JSON.stringify(found1)) edgesMoved++;
      }),
      { numRuns: 3000 },
    );
    // Not vacuous: many draws are carried over, and many are past the horizon.
    expect(carried).toBeGreaterThan(300);
    expect(later).toBeGreaterThan(300);
    expect(edgesMoved).toBeGreaterThan(100);
  });

  it('stops at the first shift boundary ahead, or at a fixed window end', () => {
    const now = '2026-06-01T00:00:00.000Z';
    const input = {
      now,
      daysForward: 1,
      schedules: [
        {
          team: { slug: 't', name: 'T' },
          shifts: [
            {
              policySlug: 'p',
              policyName: 'P',
              rotationName: 'R',
              shiftName: 'S',
              username: 'amy',
              start: '2026-06-01T05:00:00.000Z',
              end: '2026-06-01T06:00:00.000Z',
            },
          ],
        },
      ],
    };
    expect(coverageHorizon(input)).toBe(Date.parse('2026-06-01T05:00:00.000Z'));
    // A removal time copied into a finding equal to the window's start: nothing promised.
    expect(coverageHorizon({ ...input, copied: [now] })).toBe(Date.parse(now));
    // Read at -2h with a one-day window: it ends at 21:00, before any later boundary but the shift.
    const fetched = {
      ...input,
      schedules: input.schedules.map((s) => ({ ...s, fetchedAt: '2026-05-31T22:00:00.000Z' })),
    };
    expect(coverageHorizon({ ...fetched, now: '2026-06-01T07:00:00.000Z' })).toBe(
      Date.parse('2026-06-01T21:00:00.000Z'),
    );
  });

  it('counts a shift starting exactly at the window end: the next instant takes it in', () => {
    const now = '2026-06-01T00:00:00.000Z';
    const shift = (start: string, end: string) => ({
      policySlug: 'p',
      policyName: 'P',
      rotationName: 'R',
      shiftName: 'S',
      username: 'amy',
      start,
      end,
    });
    // amy (unverified) is on call now and again from exactly now + 1 day: no fetchedAt, so the
    // window's end moves with now; no policy, so no nobody_on_call finding holds the window end.
    const input = {
      roster: {
        users: [{ username: 'amy', verified: false }],
        teams: [{ slug: 't', name: 'T' }],
        memberCounts: new Map([['t', 1]]),
      },
      policies: [],
      schedules: [
        {
          team: { slug: 't', name: 'T' },
          shifts: [
            shift('2026-05-31T23:00:00.000Z', '2026-06-01T02:00:00.000Z'),
            shift('2026-06-02T00:00:00.000Z', '2026-06-02T01:00:00.000Z'),
          ],
        },
      ],
      removedUsers: new Map<string, string>(),
      now,
      daysForward: 1,
    };
    const atNow = computeFindings(input);
    const next = computeFindings({ ...input, now: '2026-06-01T00:00:00.001Z' });
    expect(JSON.stringify(next)).not.toBe(JSON.stringify(atNow));
    expect(coverageHorizon(input)).toBe(Date.parse(now));
  });
});

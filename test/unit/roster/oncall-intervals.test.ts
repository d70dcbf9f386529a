import { describe, expect, it } from 'vitest';
import { applyOverrides } from '../../../src/roster/on-call.js';
import {
  listOncallAt,
  listOncallIntervals,
  mergeOncallIntervals,
  type OncallRead,
  showsSameFrom,
  trimToAuthority,
} from '../../../src/roster/oncall-intervals.js';
import type { Shift } from '../../../src/roster/policy-types.js';

const H = 3_600_000;
const ms = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();
const T0 = ms('2026-12-01T00:00:00Z');

const shift = (username: string, fromH: number, toH: number, extra: Partial<Shift> = {}): Shift => ({
  policySlug: 'pol-a',
  policyName: 'Primary',
  rotationName: 'Day and night',
  shiftName: '12h',
  username,
  start: iso(T0 + fromH * H),
  end: iso(T0 + toH * H),
  ...extra,
});

const read = (readAtH: number, shifts: Shift[], extra: Partial<OncallRead> = {}): OncallRead => ({
  teamSlug: 'team-a',
  teamName: 'Team A',
  readAt: iso(T0 + readAtH * H),
  supersededAt: null,
  first: false,
  shifts,
  ...extra,
});

const hoursOf = (people: ReturnType<typeof mergeOncallIntervals>) =>
  Object.fromEntries(people.map((p) => [p.username, p.intervals.reduce((s, [a, b]) => s + b - a, 0) / H]));

describe('who was on call, from the recorded reads', () => {
  const rolls = [shift('ann', 0, 12), shift('bob', 12, 24), shift('ann', 24, 36), shift('bob', 36, 48)];

  it('an override gives its hours to the person covering, split out of the shift it covers', () => {
    const withOverride = applyOverrides(rolls, [
      { originalUsername: 'bob', overrideUsername: 'cat', start: iso(T0 + 14 * H), end: iso(T0 + 18 * H) },
    ]);
    const people = mergeOncallIntervals(
      listOncallIntervals([read(0, withOverride, { first: true })], T0, T0 + 48 * H),
    );
    expect(hoursOf(people)).toEqual({ ann: 24, bob: 20, cat: 4 });
    expect(people.find((p) => p.username === 'cat')?.overrideMs).toBe(4 * H);
    expect(people.find((p) => p.username === 'bob')?.overrideMs).toBe(0);
  });

  it('each read answers from when it was taken until the next different read; the first also for the past', () => {
    const first = read(0, rolls, { first: true, supersededAt: iso(T0 + 20 * H) });
    // Read at 20 h: bob's night is handed to dan from then on.
    const second = read(20, [
      shift('bob', 12, 20),
      shift('dan', 20, 24),
      shift('ann', 24, 36),
      shift('bob', 36, 48),
    ]);
    const people = mergeOncallIntervals(listOncallIntervals([first, second], T0 - 10 * H, T0 + 48 * H));
    expect(hoursOf(people)).toEqual({ ann: 24, bob: 20, dan: 4 });
    // What the first read said about 20–24 h no longer counts; nor does the second read's view of the past.
    const early = read(0, [shift('ann', -6, 12)], { first: true, supersededAt: iso(T0 + 1 * H) });
    const late = read(1, [shift('zed', -6, 12)]);
    expect(
      hoursOf(mergeOncallIntervals(listOncallIntervals([early, late], T0 - 6 * H, T0 + 12 * H))),
    ).toEqual({
      ann: 7,
      zed: 11,
    });
  });

  it('being on call in two rotations of one policy at once counts once', () => {
    const both = [shift('ann', 0, 12), shift('ann', 6, 18, { rotationName: 'Backup' })];
    expect(hoursOf(mergeOncallIntervals(listOncallIntervals([read(0, both)], T0, T0 + 48 * H)))).toEqual({
      ann: 18,
    });
  });

  it('oncall-at names the covering person during an override and the rota around it', () => {
    const withOverride = applyOverrides(rolls, [
      { originalUsername: 'bob', overrideUsername: 'cat', start: iso(T0 + 14 * H), end: iso(T0 + 18 * H) },
    ]);
    const reads = [read(0, withOverride, { first: true })];
    const at = (h: number) => listOncallAt(reads, T0 + h * H).map((e) => [e.username, e.overrideFor]);
    expect(at(13.99)).toEqual([['bob', null]]);
    expect(at(14)).toEqual([['cat', 'bob']]);
    expect(at(17.99)).toEqual([['cat', 'bob']]);
    expect(at(18)).toEqual([['bob', null]]);
  });

  it('a read that shows the same from its own time on changes nothing; one that differs does', () => {
    // The same rolls, read later, with the current roll's start reported as the read time.
    expect(showsSameFrom(rolls, [shift('ann', 5, 12), ...rolls.slice(1)], T0 + 5 * H)).toBe(true);
    expect(showsSameFrom(rolls, [...rolls, shift('ann', 48, 60)], T0 + 5 * H)).toBe(false);
    expect(showsSameFrom(rolls, [shift('bob', 5, 12), ...rolls.slice(1)], T0 + 5 * H)).toBe(false);
  });

  it('a superseded read keeps only the time it answered for', () => {
    expect(trimToAuthority(rolls, T0 + 18 * H)).toEqual([shift('ann', 0, 12), shift('bob', 12, 18)]);
  });
});

/**
 * Who is on call when: a rotation's rolls with its overrides applied, and the windows in which a
 * rotation has nobody at all. Pure; times are ISO instants (offsets already resolved).
 */
import type { Rotation, Shift, TeamSchedule } from './policy-types.js';
import { usernameKey } from './types.js';

/** Someone covering (part of) another person's shift, as VictorOps lists it under `overrides[]`. */
export interface ShiftOverride {
  /** null when VictorOps did not say whose shift it replaces: then it covers any roll it overlaps. */
  originalUsername: string | null;
  overrideUsername: string;
  start: string;
  end: string;
}

const toIso = (ms: number) => new Date(ms).toISOString();

/**
 * Splits each shift an override overlaps into the parts before, during and after it; the part
 * during it belongs to the person covering, with `overrideFor` naming whose shift it was.
 */
export function applyOverrides(shifts: readonly Shift[], overrides: readonly ShiftOverride[]): Shift[] {
  let result = [...shifts];
  for (const o of overrides) {
    const oStart = Date.parse(o.start);
    const oEnd = Date.parse(o.end);
    if (!(oStart < oEnd)) continue;
    const next: Shift[] = [];
    for (const shift of result) {
      const start = Date.parse(shift.start);
      const end = Date.parse(shift.end);
      const covers =
        shift.overrideFor === undefined &&
        (o.originalUsername === null || usernameKey(o.originalUsername) === usernameKey(shift.username));
      if (!covers || oEnd <= start || oStart >= end) {
        next.push(shift);
        continue;
      }
      if (start < oStart) next.push({ ...shift, end: toIso(oStart) });
      next.push({
        ...shift,
        username: o.overrideUsername,
        start: toIso(Math.max(start, oStart)),
        end: toIso(Math.min(end, oEnd)),
        overrideFor: shift.username,
      });
      if (oEnd < end) next.push({ ...shift, start: toIso(oEnd) });
    }
    result = next;
  }
  return result;
}

export interface UncoveredWindow {
  rotation: Rotation;
  /** The first window with nobody on call. */
  start: string;
  end: string;
  /** How many separate such windows there are in the range. */
  windows: number;
}

/**
 * The rotations that have nobody on call for some part of [fromIso, untilIso), with the first such
 * window. A rotation without any roll is uncovered for the whole range.
 */
export function listUncoveredWindows(
  schedule: TeamSchedule,
  fromIso: string,
  untilIso: string,
): UncoveredWindow[] {
  const from = Date.parse(fromIso);
  const to = Date.parse(untilIso);
  const found: UncoveredWindow[] = [];
  for (const rotation of schedule.rotations ?? []) {
    const covered = schedule.shifts
      .filter(
        (s) =>
          s.policySlug === rotation.policySlug &&
          s.rotationName === rotation.rotationName &&
          s.shiftName === rotation.shiftName,
      )
      .map((s) => [Date.parse(s.start), Date.parse(s.end)] as const)
      .sort((a, b) => a[0] - b[0]);
    const gaps: [number, number][] = [];
    let cursor = from;
    for (const [start, end] of covered) {
      if (end <= cursor) continue;
      if (start > cursor) gaps.push([cursor, Math.min(start, to)]);
      cursor = Math.max(cursor, end);
      if (cursor >= to) break;
    }
    if (cursor < to) gaps.push([cursor, to]);
    const real = gaps.filter(([start, end]) => end > start);
    const first = real[0];
    if (first) found.push({ rotation, start: toIso(first[0]), end: toIso(first[1]), windows: real.length });
  }
  return found;
}

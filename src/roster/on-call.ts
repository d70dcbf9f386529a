/**
 * Who is on call when: a rotation's rolls with its overrides applied (the rotation's coverage and
 * gaps are in rotation-coverage.ts). Pure; times are ISO instants (offsets already resolved).
 */
import type { Shift } from './policy-types.js';
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
      const roll = shift.roll ?? { start: shift.start, end: shift.end };
      if (start < oStart) next.push({ ...shift, end: toIso(oStart), roll });
      const { roll: _whole, ...own } = shift;
      next.push({
        ...own,
        username: o.overrideUsername,
        start: toIso(Math.max(start, oStart)),
        end: toIso(Math.min(end, oEnd)),
        overrideFor: shift.username,
      });
      if (oEnd < end) next.push({ ...shift, start: toIso(oEnd), roll });
    }
    result = next;
  }
  return result;
}

/**
 * Coverage of a rotation: who is on call in it when, and when nobody is. Pure.
 *
 * A rotation is "one or more shifts" (Splunk On-Call, "Rotations and shifts"): a follow-the-sun
 * rotation has an apac, an emea and an amer shift, a day/night rotation a day and a night shift.
 * The v2 team schedule lists each shift as its own `schedule[]` entry under the same
 * `rotationName`, and lists a rotation again under every policy of the team that uses it. So a
 * rotation is identified by its team and name, its coverage is the union of all its shifts
 * (overrides already applied), and a gap is an instant where no shift of it has anyone.
 *
 * This is the one place that computes that union: `nobody_on_call`, the offboarding preflight's
 * shift count, and anything that asks "who covers this rotation when" use it.
 */
import type { PolicyRef } from './coverage-types.js';
import { compareText } from './normalise.js';
import type { Shift, TeamSchedule } from './policy-types.js';
import type { Team } from './types.js';
import { usernameKey } from './types.js';

/** [start, end) as ISO instants. */
export interface Interval {
  start: string;
  end: string;
}

/** One person's time on call in a rotation, counted once however many policies list it. */
export interface RotationShift {
  username: string;
  shiftName: string;
  start: string;
  end: string;
  /** Set when an override hands this time to `username`: whose shift it was. */
  overrideFor?: string;
  /**
   * The roll this time belongs to: the parts of one roll an override split keep the roll's
   * times here, so "how many shifts" counts the roll once.
   */
  roll: Interval;
}

export interface RotationCoverage {
  team: Team;
  rotationName: string;
  /** The policies whose schedule lists this rotation, sorted by slug. */
  policies: PolicyRef[];
  /** The names of the rotation's shifts, sorted. */
  shiftNames: string[];
  /** Every on-call time of the rotation that overlaps the window, by start; duplicates across policies dropped. */
  shifts: RotationShift[];
  /** The maximal intervals of the window in which no shift of the rotation has anyone, in order. */
  gaps: Interval[];
}

/** A window end far enough ahead to take every shift that was read. */
export const END_OF_TIME = '9999-12-31T00:00:00.000Z';

/**
 * Each rotation of a team's schedule with who covers it and its gaps within [window.from,
 * window.until). A rotation listed without any roll is one gap over the whole window. Rotations
 * are sorted by name.
 */
export function computeRotationCoverage(
  schedule: TeamSchedule,
  window: { from: string; until: string },
): RotationCoverage[] {
  // Canonical ISO instants compare as text in time order: no Date.parse per shift (a 20k-user
  // org's schedules hold about 10^5 shifts, and this runs in every poll's transaction).
  const from = canonicalInstant(window.from);
  const until = canonicalInstant(window.until);
  const rotations = new Map<
    string,
    { policies: Map<string, PolicyRef>; shiftNames: Set<string>; shifts: Map<string, RotationShift> }
  >();
  const rotationOf = (name: string) => {
    let r = rotations.get(name);
    if (!r) {
      r = { policies: new Map(), shiftNames: new Set(), shifts: new Map() };
      rotations.set(name, r);
    }
    return r;
  };
  for (const r of schedule.rotations ?? []) {
    const rotation = rotationOf(r.rotationName);
    rotation.policies.set(r.policySlug, { slug: r.policySlug, name: r.policyName });
    rotation.shiftNames.add(r.shiftName);
  }
  for (const s of schedule.shifts) {
    const rotation = rotationOf(s.rotationName);
    if (!rotation.policies.has(s.policySlug))
      rotation.policies.set(s.policySlug, { slug: s.policySlug, name: s.policyName });
    rotation.shiftNames.add(s.shiftName);
    const start = canonicalInstant(s.start);
    const end = canonicalInstant(s.end);
    if (!(start < until && end > from)) continue;
    const key = `${usernameKey(s.username)}\u0000${s.shiftName}\u0000${start}\u0000${end}`;
    if (!rotation.shifts.has(key)) rotation.shifts.set(key, rotationShift(s, start, end));
  }
  return [...rotations.entries()]
    .sort((a, b) => compareText(a[0], b[0]))
    .map(([rotationName, r]) => {
      const shifts = [...r.shifts.values()].sort(
        (a, b) => compareText(a.start, b.start) || compareText(a.username, b.username),
      );
      return {
        team: schedule.team,
        rotationName,
        policies: [...r.policies.values()].sort((a, b) => compareText(a.slug, b.slug)),
        shiftNames: [...r.shiftNames].sort(compareText),
        shifts,
        gaps: gapsWithin(shifts, from, until),
      };
    });
}

const CANONICAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Instants already put in `toISOString()` form. VictorOps writes shift times without
 * milliseconds ("2026-12-06T00:00:00Z"), and a 20,000-user org's schedules repeat a few hundred
 * distinct ones over ~15,000 shift ends, so the Date round trip was a sixth of an unchanged
 * poll's CPU (issue 21, `node dist/bench/run.js poll-alone`). Cleared when it grows past the bound,
 * so a long-running daemon does not keep every instant it ever saw.
 */
const canonicalCache = new Map<string, string>();
const CANONICAL_CACHE_MAX = 50_000;

/** `toISOString()` form, which orders as text as it does in time (what the fetch records). */
export function canonicalInstant(iso: string): string {
  if (CANONICAL.test(iso)) return iso;
  let canonical = canonicalCache.get(iso);
  if (canonical === undefined) {
    canonical = new Date(Date.parse(iso)).toISOString();
    if (canonicalCache.size >= CANONICAL_CACHE_MAX) canonicalCache.clear();
    canonicalCache.set(iso, canonical);
  }
  return canonical;
}

function rotationShift(s: Shift, start: string, end: string): RotationShift {
  return {
    username: s.username,
    shiftName: s.shiftName,
    start,
    end,
    ...(s.overrideFor === undefined ? {} : { overrideFor: s.overrideFor }),
    roll: s.roll ?? { start: s.start, end: s.end },
  };
}

/** The parts of [from, until) that no interval covers; `covered` sorted by start, all canonical. */
export function gapsWithin(covered: readonly Interval[], from: string, until: string): Interval[] {
  const gaps: Interval[] = [];
  let cursor = from;
  for (const { start, end } of covered) {
    if (cursor >= until) break;
    if (start > cursor) gaps.push({ start: cursor, end: start < until ? start : until });
    if (end > cursor) cursor = end;
  }
  if (cursor < until) gaps.push({ start: cursor, end: until });
  return gaps;
}

/**
 * How many shifts these are, each roll counted once: the parts of one roll that an override split
 * (before and after the cover) are one shift, not two.
 */
export function countShifts(shifts: readonly RotationShift[]): number {
  return new Set(shifts.map((s) => `${usernameKey(s.username)}\u0000${s.shiftName}\u0000${s.roll.start}`))
    .size;
}

/**
 * How long computed coverage findings stay what a recomputation would give (issue 21: an unchanged
 * roster poll carries them over instead of recomputing). Pure.
 *
 * computeFindings reads `now` in two ways only. It compares instants with the read window's start
 * (`now`) and with each window end (now + daysForward, or a fixed end when the schedule's
 * fetchedAt cuts the window short): those comparisons can only turn when `now` or `now +
 * daysForward` reaches a shift's start or end, or when a fixed end is reached. And it copies the
 * window's edges into findings (a gap beginning at `now`, or ending at now + daysForward): such
 * findings move with every instant, so they are never carried over.
 */
import { DEFAULT_DAYS_FORWARD, READ_WINDOW_MARGIN_MS } from './coverage-people.js';
import type { Finding } from './coverage-types.js';
import type { TeamSchedule } from './policy-types.js';
import { canonicalInstant } from './rotation-coverage.js';

const DAY_MS = 86_400_000;

export interface HorizonInput {
  now: string;
  daysForward?: number | undefined;
  schedules: readonly TeamSchedule[];
}

/**
 * The earliest instant (ms) at which findings computed at `now` may differ from a recomputation:
 * they hold for every later `now` strictly before it. `now` itself when nothing can be promised
 * (a finding holds a window edge, or `now` is not an instant these comparisons can be reasoned
 * about); Infinity when no boundary lies ahead.
 */
export function coverageHorizon(input: HorizonInput, findings: readonly Finding[]): number {
  const nowMs = Date.parse(input.now);
  const spanMs = (input.daysForward ?? DEFAULT_DAYS_FORWARD) * DAY_MS;
  // The finders compare `now` as text with canonical instants: only a canonical `now` orders as time.
  if (!Number.isFinite(nowMs) || !Number.isSafeInteger(spanMs) || canonicalInstant(input.now) !== input.now)
    return nowMs;
  const from = input.now;
  const far = new Date(nowMs + spanMs).toISOString();
  // The window's start has already passed a boundary equal to it (a shift ending now is past, one
  // starting now is on): only later ones count. Its end has not (a shift starting at it is outside
  // until the end moves on): one equal to it counts.
  let nextFromEdge: string | undefined;
  let nextFarEdge: string | undefined;
  const consider = (instant: string) => {
    if (instant > from && (nextFromEdge === undefined || instant < nextFromEdge)) nextFromEdge = instant;
    if (instant >= far && (nextFarEdge === undefined || instant < nextFarEdge)) nextFarEdge = instant;
  };
  let horizon = Number.POSITIVE_INFINITY;
  for (const schedule of input.schedules) {
    for (const s of schedule.shifts) {
      consider(canonicalInstant(s.start));
      consider(canonicalInstant(s.end));
    }
    if (schedule.fetchedAt === undefined) continue;
    // The fixed end min() picks once now + daysForward passes it (the end moves on continuously
    // there: no boundary), and which the window's start then reaches: the schedule's rotations are
    // no longer judged from then on.
    const fixedEnd = Date.parse(schedule.fetchedAt) + spanMs - READ_WINDOW_MARGIN_MS;
    if (!Number.isFinite(fixedEnd)) return nowMs;
    if (fixedEnd >= nowMs) horizon = Math.min(horizon, fixedEnd);
  }
  if (nextFromEdge !== undefined) horizon = Math.min(horizon, Date.parse(nextFromEdge));
  if (nextFarEdge !== undefined) horizon = Math.min(horizon, Date.parse(nextFarEdge) - spanMs);
  // A finding that copies a window edge changes with every instant.
  const text = JSON.stringify(findings);
  if (text.includes(`"${from}"`) || text.includes(`"${far}"`)) return nowMs;
  return horizon;
}

/**
 * How long computed coverage findings stay what a recomputation would give (issue 21: an unchanged
 * roster poll carries them over instead of recomputing). Pure.
 *
 * computeFindings reads `now` in two ways only. It compares instants with the read window's start
 * (`now`) and with each window end (now + daysForward, or a fixed end when the schedule's
 * fetchedAt cuts the window short): those comparisons can only turn when `now` or `now +
 * daysForward` reaches a shift's start or end, or when a fixed end is reached. And it copies the
 * window's edges into findings (a gap from now, a key that reaches nobody from now until the end):
 * before the horizon those are the only values that move, so the findings of a later instant are
 * these with the edges moved (`movedTo`).
 */
import { DEFAULT_DAYS_FORWARD, READ_WINDOW_MARGIN_MS } from './coverage-people.js';
import type { TeamSchedule } from './policy-types.js';
import { canonicalInstant } from './rotation-coverage.js';

const DAY_MS = 86_400_000;

export interface HorizonInput {
  now: string;
  daysForward?: number | undefined;
  schedules: readonly TeamSchedule[];
  /** Other instants findings copy (removal times): none may equal an edge, or movedTo would move it. */
  copied?: Iterable<string>;
}

/**
 * The earliest instant (ms) at which findings computed at `now` may differ from a recomputation
 * otherwise than by their window edges (`movedTo`): for every later `now` strictly before it they
 * do not. `now` itself when nothing can be promised (`now` is not an instant these comparisons can
 * be reasoned about); Infinity when no boundary lies ahead.
 */
export function coverageHorizon(input: HorizonInput): number {
  const nowMs = Date.parse(input.now);
  const spanMs = (input.daysForward ?? DEFAULT_DAYS_FORWARD) * DAY_MS;
  // The finders compare `now` as text with canonical instants: only a canonical `now` orders as time.
  if (!Number.isFinite(nowMs) || !Number.isSafeInteger(spanMs) || canonicalInstant(input.now) !== input.now)
    return nowMs;
  const from = input.now;
  const far = new Date(nowMs + spanMs).toISOString();
  // A boundary equal to an edge counts: a comparison may turn at it, and a finding holding it could
  // not be told from one holding the edge (movedTo would move it).
  let nextFromEdge: string | undefined;
  let nextFarEdge: string | undefined;
  const consider = (instant: string) => {
    if (instant >= from && (nextFromEdge === undefined || instant < nextFromEdge)) nextFromEdge = instant;
    if (instant >= far && (nextFarEdge === undefined || instant < nextFarEdge)) nextFarEdge = instant;
  };
  for (const instant of input.copied ?? []) if (instant === from || instant === far) return nowMs;
  let horizon = Number.POSITIVE_INFINITY;
  for (const schedule of input.schedules) {
    for (const s of schedule.shifts) {
      consider(canonicalInstant(s.start));
      consider(canonicalInstant(s.end));
    }
    if (schedule.fetchedAt === undefined) continue;
    // The fixed end min() picks once now + daysForward passes it (from then on it does not move
    // with now), and which the window's start then reaches: the schedule's rotations are no longer
    // judged from then on.
    const fixedEnd = Date.parse(schedule.fetchedAt) + spanMs - READ_WINDOW_MARGIN_MS;
    if (!Number.isFinite(fixedEnd)) return nowMs;
    for (const edge of [fixedEnd - spanMs, fixedEnd]) if (edge >= nowMs) horizon = Math.min(horizon, edge);
  }
  if (nextFromEdge !== undefined) horizon = Math.min(horizon, Date.parse(nextFromEdge));
  if (nextFarEdge !== undefined) horizon = Math.min(horizon, Date.parse(nextFarEdge) - spanMs);
  return horizon;
}

/**
 * Findings computed at `from` (their JSON text), as computed at `to`: each window edge they hold
 * moved. Exact for any `to` before their horizon, where no boundary equals an edge.
 */
export function movedTo(
  text: string,
  input: { from: string; to: string; daysForward?: number | undefined },
): string {
  if (input.from === input.to) return text;
  const spanMs = (input.daysForward ?? DEFAULT_DAYS_FORWARD) * DAY_MS;
  const farOf = (iso: string) => new Date(Date.parse(iso) + spanMs).toISOString();
  return text
    .replaceAll(`"${input.from}"`, `"${input.to}"`)
    .replaceAll(`"${farOf(input.from)}"`, `"${farOf(input.to)}"`);
}

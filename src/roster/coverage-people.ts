/**
 * The coverage findings about people who cannot be paged: users VictorOps will not page because
 * they have not verified their email (or are still invitations), and rotations with nobody on
 * call at all. Pure.
 */
import type { Finding, PolicyRef } from './coverage-types.js';
import { compareText } from './normalise.js';
import { indexPolicyReferences } from './policies.js';
import type { Policy, TeamSchedule } from './policy-types.js';
import {
  computeRotationCoverage,
  countShifts,
  type RotationCoverage,
  type RotationShift,
} from './rotation-coverage.js';
import type { CoveragePeople, Team } from './types.js';
import { isPendingInvitee, usernameKey } from './types.js';

export interface PeopleFindingsInput {
  /** Its users and teams only: the memberships are not read here. */
  roster: CoveragePeople;
  policies: readonly Policy[];
  schedules: readonly TeamSchedule[];
  now: string;
  daysForward?: number | undefined;
  /**
   * A schedule's rotations over its read window (`readWindowCoverage`); computeFindings passes one
   * memo to both finders here so each schedule's shifts are walked once per poll, not twice.
   */
  rotationsOf?: ((schedule: TeamSchedule) => RotationCoverage[]) | undefined;
}

const DAY_MS = 86_400_000;
/**
 * The window checked for nobody on call stops this far short of what was read, because VictorOps
 * counts `daysForward` from its own clock at the request, a little before the run recorded it.
 */
export const READ_WINDOW_MARGIN_MS = 3_600_000;
export const DEFAULT_DAYS_FORWARD = 14;

/** The end (ms) of the window a schedule's rolls answer for. */
export function windowEnd(
  input: Pick<PeopleFindingsInput, 'now' | 'daysForward'>,
  schedule: TeamSchedule,
): number {
  const days = (input.daysForward ?? DEFAULT_DAYS_FORWARD) * DAY_MS;
  const fromNow = Date.parse(input.now) + days;
  if (schedule.fetchedAt === undefined) return fromNow;
  return Math.min(fromNow, Date.parse(schedule.fetchedAt) + days - READ_WINDOW_MARGIN_MS);
}

/** A schedule's rotations over [now, its window end): what both finders here judge. */
export function readWindowCoverage(
  input: Pick<PeopleFindingsInput, 'now' | 'daysForward'>,
  schedule: TeamSchedule,
): RotationCoverage[] {
  return computeRotationCoverage(schedule, {
    from: input.now,
    until: new Date(windowEnd(input, schedule)).toISOString(),
  });
}

/**
 * `readWindowCoverage` remembered per schedule object for one input (one `now`, one daysForward):
 * the same schedule gives the same rotations, and the callers only read them.
 */
export function rememberReadWindowCoverage(
  input: Pick<PeopleFindingsInput, 'now' | 'daysForward'>,
): (schedule: TeamSchedule) => RotationCoverage[] {
  const known = new Map<TeamSchedule, RotationCoverage[]>();
  return (schedule) => {
    let rotations = known.get(schedule);
    if (rotations === undefined) {
      rotations = readWindowCoverage(input, schedule);
      known.set(schedule, rotations);
    }
    return rotations;
  };
}

/** `unverified_on_call`: an unverified user or a pending invitee on call in the window or paged directly. */
export function findUnpageablePeople(input: PeopleFindingsInput, teamOf: (slug: string) => Team): Finding[] {
  const teams = new Set(input.roster.teams.map((t) => t.slug));
  // Found once: the per-user loop below walks these few, not the whole org again.
  const unpageableUsers = input.roster.users.filter(
    (u) => u.verified === false || isPendingInvitee(u.username),
  );
  const unpageable = new Set(unpageableUsers.map((u) => usernameKey(u.username)));
  if (unpageable.size === 0) return [];
  const rotationsOf = input.rotationsOf ?? ((schedule: TeamSchedule) => readWindowCoverage(input, schedule));
  // Only the schedules in which one of them holds a shift.
  const rotations = input.schedules
    .filter(
      (schedule) =>
        teams.has(schedule.team.slug) && schedule.shifts.some((s) => unpageable.has(usernameKey(s.username))),
    )
    .flatMap(rotationsOf);
  // Indexed once per poll, not scanned per user: every unverified user times every shift and
  // policy was most of an unchanged 20,000-user poll's CPU.
  const heldBy = new Map<string, { rotation: RotationCoverage; s: RotationShift }[]>();
  for (const rotation of rotations) {
    for (const s of rotation.shifts) {
      const key = usernameKey(s.username);
      // Only their shifts are looked up: the others' (most of these schedules) are not kept.
      if (!unpageable.has(key)) continue;
      const list = heldBy.get(key);
      if (list) list.push({ rotation, s });
      else heldBy.set(key, [{ rotation, s }]);
    }
  }
  const referencing = indexPolicyReferences(input.policies);
  const found: Finding[] = [];
  for (const user of unpageableUsers) {
    const pending = isPendingInvitee(user.username);
    const key = usernameKey(user.username);
    const held = [...(heldBy.get(key) ?? [])].sort((a, b) => compareText(a.s.start, b.s.start));
    const pagedBy = referencing(user.username).map(({ slug, name, steps }) => ({
      slug,
      name,
      steps,
    }));
    if (held.length === 0 && pagedBy.length === 0) continue;
    const first = held[0];
    found.push({
      kind: 'unverified_on_call',
      key: `unverified_on_call:${key}`,
      username: user.username,
      pending,
      shift: first
        ? {
            team: teamOf(first.rotation.team.slug),
            policy: firstPolicy(first.rotation),
            rotation: first.rotation.rotationName,
            start: first.s.start,
            end: first.s.end,
          }
        : null,
      shifts: countShiftsByRotation(held),
      pagedBy,
    });
  }
  return found;
}

/** Shifts counted once per rotation and roll, across the rotations they are in. */
export function countShiftsByRotation(
  held: readonly { rotation: RotationCoverage; s: RotationShift }[],
): number {
  const byRotation = new Map<string, RotationShift[]>();
  for (const { rotation, s } of held) {
    const k = `${rotation.team.slug}\u0000${rotation.rotationName}`;
    byRotation.set(k, [...(byRotation.get(k) ?? []), s]);
  }
  let total = 0;
  for (const shifts of byRotation.values()) total += countShifts(shifts);
  return total;
}

/** The policy a rotation is reported under: the first of those that list it (sorted by slug). */
export function firstPolicy(rotation: RotationCoverage): PolicyRef {
  return rotation.policies[0] ?? { slug: '', name: '' };
}

/**
 * `nobody_on_call`: a rotation in which no shift has anyone for part of the next days, once per
 * rotation however many policies of the team use it. `knownPolicies` are the policies that exist
 * (read, or listed but unreadable): a rotation only of policies that are gone pages nobody anyway,
 * and the policy's removal is the news.
 */
export function findUncoveredRotations(
  input: PeopleFindingsInput & { knownPolicies: ReadonlySet<string> },
  teamOf: (slug: string) => Team,
): Finding[] {
  const teams = new Set(input.roster.teams.map((t) => t.slug));
  const rotationsOf = input.rotationsOf ?? ((schedule: TeamSchedule) => readWindowCoverage(input, schedule));
  const found: Finding[] = [];
  for (const schedule of input.schedules) {
    if (!teams.has(schedule.team.slug)) continue;
    // Not only saves work: an unparseable fetchedAt (a NaN window end) is skipped here instead of throwing.
    if (!(windowEnd(input, schedule) > Date.parse(input.now))) continue;
    for (const rotation of rotationsOf(schedule)) {
      const policies = rotation.policies.filter((p) => input.knownPolicies.has(p.slug));
      const first = rotation.gaps[0];
      if (policies.length === 0 || !first) continue;
      found.push({
        kind: 'nobody_on_call',
        key: `nobody_on_call:${schedule.team.slug}:${rotation.rotationName}`,
        team: teamOf(schedule.team.slug),
        policy: policies[0] ?? firstPolicy(rotation),
        policies,
        rotation: rotation.rotationName,
        shifts: rotation.shiftNames,
        start: first.start,
        end: first.end,
        windows: rotation.gaps.length,
      });
    }
  }
  return found;
}

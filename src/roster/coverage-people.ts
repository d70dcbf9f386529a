/**
 * The coverage findings about people who cannot be paged: users VictorOps will not page because
 * they have not verified their email (or are still invitations), and rotations with nobody on
 * call at all. Pure.
 */
import type { Finding } from './coverage-types.js';
import { listUncoveredWindows } from './on-call.js';
import { indexPolicyReferences } from './policies.js';
import type { Policy, TeamSchedule } from './policy-types.js';
import type { Roster, Team } from './types.js';
import { isPendingInvitee, usernameKey } from './types.js';

export interface PeopleFindingsInput {
  roster: Roster;
  policies: readonly Policy[];
  schedules: readonly TeamSchedule[];
  now: string;
  daysForward?: number;
}

const DAY_MS = 86_400_000;
/**
 * The window checked for nobody on call stops this far short of what was read, because VictorOps
 * counts `daysForward` from its own clock at the request, a little before the run recorded it.
 */
const READ_WINDOW_MARGIN_MS = 3_600_000;
const DEFAULT_DAYS_FORWARD = 14;

function windowEnd(input: PeopleFindingsInput, schedule: TeamSchedule): number {
  const days = (input.daysForward ?? DEFAULT_DAYS_FORWARD) * DAY_MS;
  const fromNow = Date.parse(input.now) + days;
  if (schedule.fetchedAt === undefined) return fromNow;
  return Math.min(fromNow, Date.parse(schedule.fetchedAt) + days - READ_WINDOW_MARGIN_MS);
}

/** `unverified_on_call`: an unverified user or a pending invitee on call in the window or paged directly. */
export function findUnpageablePeople(input: PeopleFindingsInput, teamOf: (slug: string) => Team): Finding[] {
  const teams = new Set(input.roster.teams.map((t) => t.slug));
  // Indexed once per poll, not scanned per user: every unverified user times every shift and
  // policy was most of an unchanged 20,000-user poll's CPU.
  const shiftsOf = new Map<string, { schedule: TeamSchedule; s: TeamSchedule['shifts'][number] }[]>();
  for (const schedule of input.schedules) {
    if (!teams.has(schedule.team.slug)) continue;
    const until = windowEnd(input, schedule);
    for (const s of schedule.shifts) {
      if (!(s.end > input.now && Date.parse(s.start) < until)) continue;
      const key = usernameKey(s.username);
      const list = shiftsOf.get(key) ?? [];
      list.push({ schedule, s });
      shiftsOf.set(key, list);
    }
  }
  const referencing = indexPolicyReferences(input.policies);
  const found: Finding[] = [];
  for (const user of input.roster.users) {
    const pending = isPendingInvitee(user.username);
    if (user.verified !== false && !pending) continue;
    const key = usernameKey(user.username);
    const shifts = [...(shiftsOf.get(key) ?? [])].sort((a, b) =>
      a.s.start < b.s.start ? -1 : a.s.start > b.s.start ? 1 : 0,
    );
    const pagedBy = referencing(user.username).map(({ slug, name, steps }) => ({
      slug,
      name,
      steps,
    }));
    if (shifts.length === 0 && pagedBy.length === 0) continue;
    const first = shifts[0];
    found.push({
      kind: 'unverified_on_call',
      key: `unverified_on_call:${key}`,
      username: user.username,
      pending,
      shift: first
        ? {
            team: teamOf(first.schedule.team.slug),
            policy: { slug: first.s.policySlug, name: first.s.policyName },
            rotation: first.s.rotationName,
            start: first.s.start,
            end: first.s.end,
          }
        : null,
      shifts: shifts.length,
      pagedBy,
    });
  }
  return found;
}

/** `nobody_on_call`: a rotation of a policy with nobody on call for part of the next days. */
export function findUncoveredRotations(
  input: PeopleFindingsInput,
  teamOf: (slug: string) => Team,
): Finding[] {
  const teams = new Set(input.roster.teams.map((t) => t.slug));
  const policies = new Set(input.policies.map((p) => p.slug));
  const found: Finding[] = [];
  for (const schedule of input.schedules) {
    if (!teams.has(schedule.team.slug)) continue;
    const until = windowEnd(input, schedule);
    if (!(until > Date.parse(input.now))) continue;
    for (const w of listUncoveredWindows(schedule, input.now, new Date(until).toISOString())) {
      // A rotation of a policy that is gone pages nobody anyway; the policy's removal is the news.
      if (!policies.has(w.rotation.policySlug)) continue;
      found.push({
        kind: 'nobody_on_call',
        key: `nobody_on_call:${schedule.team.slug}:${w.rotation.policySlug}:${w.rotation.rotationName}:${w.rotation.shiftName}`,
        team: teamOf(schedule.team.slug),
        policy: { slug: w.rotation.policySlug, name: w.rotation.policyName },
        rotation: w.rotation.rotationName,
        shift: w.rotation.shiftName,
        start: w.start,
        end: w.end,
        windows: w.windows,
      });
    }
  }
  return found;
}

/** Policy and on-call schedule bodies in the shapes the real API returns (reference §1). */
import type { SimOrg, SimTeam } from './org.js';
import type { SimPolicy, SimPolicyEntry, SimShift } from './policies.js';

const PREFIX = '/api-public';

export function policyListJson(org: SimOrg): Record<string, unknown> {
  return {
    policies: org.listPolicies().map((policy) => ({
      policy: { name: policy.name, slug: policy.slug, _selfUrl: `${PREFIX}/v1/policies/${policy.slug}` },
      team: { name: org.getTeam(policy.teamSlug)?.name ?? '', slug: policy.teamSlug },
    })),
  };
}

function entryJson(org: SimOrg, entry: SimPolicyEntry): Record<string, unknown> {
  if (entry.executionType === 'rotation_group') {
    return {
      executionType: 'rotation_group',
      rotationGroup: { slug: entry.rotationSlug, label: entry.rotationLabel },
    };
  }
  const user = org.getUser(entry.username);
  // A deleted user stays in the policy; VictorOps then knows only the username.
  return {
    executionType: 'user_page',
    user: user
      ? { username: user.username, firstName: user.firstName, lastName: user.lastName }
      : { username: entry.username },
  };
}

export function policyJson(org: SimOrg, policy: SimPolicy): Record<string, unknown> {
  return {
    name: policy.name,
    slug: policy.slug,
    teamSlug: policy.teamSlug,
    ignoreCustomPagingPolicies: false,
    steps: policy.steps.map((step) => ({
      timeout: step.timeout,
      entries: step.entries.map((entry) => entryJson(org, entry)),
    })),
  };
}

/** [startMs, endMs): the part of the schedule a request asked for. */
export interface ScheduleWindow {
  startMs: number;
  endMs: number;
}

const overlaps = (shift: SimShift, window: ScheduleWindow): boolean =>
  Date.parse(shift.start) < window.endMs && Date.parse(shift.end) > window.startMs;

/** One entry per (rotation, shift name), rolls in time order; rotations with no shift in the window are left out. */
function rotationSchedules(shifts: readonly SimShift[], window: ScheduleWindow): Record<string, unknown>[] {
  const rotations = new Map<string, SimShift[]>();
  for (const shift of shifts) {
    if (!overlaps(shift, window)) continue;
    const key = `${shift.rotationName}\u0000${shift.shiftName}`;
    const rolls = rotations.get(key) ?? [];
    rolls.push(shift);
    rotations.set(key, rolls);
  }
  return [...rotations.values()].map((rolls) => {
    rolls.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    const holding =
      rolls.find(
        (roll) => Date.parse(roll.start) <= window.startMs && window.startMs < Date.parse(roll.end),
      ) ?? rolls[0];
    return {
      onCallUser: { username: holding?.username ?? '' },
      onCallType: 'rotation_group',
      rotationName: holding?.rotationName ?? '',
      shiftName: holding?.shiftName ?? '',
      shiftRoll: holding?.end ?? '',
      rolls: rolls.map((roll) => ({
        change: roll.start,
        until: roll.end,
        onCallUser: { username: roll.username },
        isRoll: true,
      })),
    };
  });
}

export function teamScheduleJson(
  org: SimOrg,
  team: SimTeam,
  window: ScheduleWindow,
): Record<string, unknown> {
  const shifts = org.listShifts(team.slug);
  return {
    team: { name: team.name, slug: team.slug },
    schedules: org
      .listPolicies()
      .filter((policy) => policy.teamSlug === team.slug)
      .map((policy) => ({
        policy: { name: policy.name, slug: policy.slug },
        schedule: rotationSchedules(
          shifts.filter((shift) => shift.policySlug === policy.slug),
          window,
        ),
        overrides: [],
      })),
  };
}

/**
 * Escalation policies and two weeks of on-call shifts for a generated org. One staffed team
 * is left without a policy on purpose, because real orgs have one and roster-watch reports it.
 */
import { formatTimestamp, type SimMembership, type SimTeam } from './org.js';
import type { SimPolicy, SimPolicyEntry, SimPolicyStep, SimShift } from './policies.js';
import type { Random } from './random.js';

export interface GeneratedPolicies {
  policies: SimPolicy[];
  shifts: SimShift[];
}

const DAY_MS = 86_400_000;
const SCHEDULE_DAYS = 14;
const ROTATION_SIZE = 3;
const STEP_TIMEOUTS = [5, 10, 15, 30] as const;

/** The team left without a policy: the second-to-last, once the last is the empty one. */
export function unpolicedTeamIndex(teamCount: number): number {
  return teamCount >= 4 ? teamCount - 2 : -1;
}

function pickDistinct(random: Random, items: readonly string[], count: number): string[] {
  const chosen = new Set<string>();
  while (chosen.size < Math.min(count, items.length)) chosen.add(random.pick(items));
  return [...chosen];
}

function generateSteps(
  random: Random,
  members: readonly string[],
  rotation: SimPolicyEntry,
): SimPolicyStep[] {
  const steps: SimPolicyStep[] = [];
  const stepCount = random.int(1, 3);
  for (let index = 0; index < stepCount; index += 1) {
    // The first step usually pages the rotation, later ones usually named people (leads, managers).
    const entries: SimPolicyEntry[] = random.chance(index === 0 ? 0.7 : 0.2) ? [rotation] : [];
    const people = entries.length === 0 ? random.int(1, 2) : random.int(0, 1);
    for (const username of pickDistinct(random, members, people)) {
      entries.push({ executionType: 'user', username });
    }
    steps.push({ timeout: random.pick(STEP_TIMEOUTS), entries });
  }
  return steps;
}

/**
 * Real policies also page the rotation's next or previous person, email addresses, webhooks and
 * other policies. Chosen by the policy's position, not drawn, so every seed's users, teams and
 * people in steps stay what they were before these types were added.
 */
function addOtherEntryTypes(
  steps: SimPolicyStep[],
  position: number,
  team: SimTeam,
  rotation: SimPolicyEntry,
  previous: SimPolicy | undefined,
): void {
  const last = steps.at(-1);
  if (!last) return;
  const local = team.name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  switch (position % 4) {
    case 0:
      if (rotation.executionType === 'rotation_group' && steps.length > 1)
        last.entries.push({ executionType: 'rotation_group_next', rotationSlug: rotation.rotationSlug });
      break;
    case 1:
      last.entries.push({ executionType: 'email', address: `${local}-escalations@example.com` });
      break;
    case 2:
      last.entries.push({ executionType: 'webhook', webhookSlug: `wh-${team.slug.slice(5, 21)}` });
      break;
    default:
      if (previous) last.entries.push({ executionType: 'policy_routing', policySlug: previous.slug });
  }
}

/**
 * 1-day shifts from the start of today (UTC) that cover the next 14 days. Aligned to midnight,
 * so two orgs generated moments apart from the same seed are still equal.
 */
function generateShifts(
  random: Random,
  policy: SimPolicy,
  team: SimTeam,
  members: readonly string[],
  nowMs: number,
): SimShift[] {
  const offset = random.int(0, members.length - 1);
  const rota = Array.from(
    { length: Math.min(ROTATION_SIZE, members.length) },
    (_, k) => members[(offset + k) % members.length] ?? '',
  );
  const firstDay = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const count = Math.ceil((nowMs + SCHEDULE_DAYS * DAY_MS - firstDay) / DAY_MS);
  const shifts: SimShift[] = [];
  for (let day = 0; day < count; day += 1) {
    shifts.push({
      teamSlug: team.slug,
      policySlug: policy.slug,
      rotationName: `${team.name} rotation`,
      shiftName: 'Primary',
      username: rota[day % rota.length] ?? '',
      start: formatTimestamp(new Date(firstDay + day * DAY_MS)),
      end: formatTimestamp(new Date(firstDay + (day + 1) * DAY_MS)),
    });
  }
  return shifts;
}

export function generatePolicies(
  random: Random,
  teams: readonly SimTeam[],
  memberships: readonly SimMembership[],
  now: Date,
): GeneratedPolicies {
  const membersByTeam = new Map<string, string[]>();
  for (const { username, teamSlug } of memberships) {
    const members = membersByTeam.get(teamSlug) ?? [];
    members.push(username);
    membersByTeam.set(teamSlug, members);
  }
  const takenSlugs = new Set<string>();
  const uniqueSlug = (prefix: string, length: number): string => {
    for (;;) {
      const slug = `${prefix}${random.alphanumeric(length)}`;
      if (!takenSlugs.has(slug)) {
        takenSlugs.add(slug);
        return slug;
      }
    }
  };

  const skipped = unpolicedTeamIndex(teams.length);
  const policies: SimPolicy[] = [];
  const shifts: SimShift[] = [];
  teams.forEach((team, index) => {
    const members = membersByTeam.get(team.slug) ?? [];
    if (members.length === 0 || index === skipped) return;
    const rotation: SimPolicyEntry = {
      executionType: 'rotation_group',
      rotationSlug: uniqueSlug('rtg-', 12),
      rotationLabel: `${team.name} rotation`,
    };
    const steps = generateSteps(random, members, rotation);
    addOtherEntryTypes(steps, policies.length, team, rotation, policies.at(-1));
    const policy: SimPolicy = {
      slug: uniqueSlug('pol-', 16),
      name: `${team.name} Primary`,
      teamSlug: team.slug,
      steps,
    };
    policies.push(policy);
    shifts.push(...generateShifts(random, policy, team, members, now.getTime()));
  });
  return { policies, shifts };
}

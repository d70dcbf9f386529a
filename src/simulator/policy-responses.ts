/** Policy and on-call schedule bodies in the shapes the real API returns (reference §1). */
import type { SimOrg, SimTeam } from './org.js';
import type { SimOverride, SimPolicy, SimPolicyEntry, SimShift } from './policies.js';

const PREFIX = '/api-public';

/** `GET /v1/org/routing-keys`, in the shape of test/fixtures/victorops/v1-org-routing-keys.json. */
export function routingKeysJson(org: SimOrg): Record<string, unknown> {
  return {
    routingKeys: org.listRoutingKeys().map((key) => ({
      routingKey: key.routingKey,
      targets: key.targets.flatMap((slug) => {
        const policy = org.getPolicy(slug);
        return policy
          ? [{ policyName: policy.name, policySlug: slug, _teamUrl: `${PREFIX}/v1/team/${policy.teamSlug}` }]
          : [];
      }),
      isDefault: key.isDefault,
    })),
    _selfUrl: `${PREFIX}/v1/org/routing-keys`,
  };
}

export function policyListJson(org: SimOrg): Record<string, unknown> {
  return {
    policies: org.listPolicies().map((policy) => ({
      policy: { name: policy.name, slug: policy.slug, _selfUrl: `${PREFIX}/v1/policies/${policy.slug}` },
      team: { name: org.getTeam(policy.teamSlug)?.name ?? '', slug: policy.teamSlug },
    })),
  };
}

/** Each entry type with its own target object, as in the real API (reference §1). */
function entryJson(org: SimOrg, entry: SimPolicyEntry): Record<string, unknown> {
  switch (entry.executionType) {
    case 'user':
      // Answered in the user's own spelling; a deleted user stays in the policy as it was written.
      return {
        executionType: 'user',
        user: { username: org.getUser(entry.username)?.username ?? entry.username },
      };
    case 'email':
      return { executionType: 'email', email: { address: entry.address } };
    case 'webhook':
      return { executionType: 'webhook', webhook: { slug: entry.webhookSlug } };
    case 'policy_routing':
      return { executionType: 'policy_routing', targetPolicy: { policySlug: entry.policySlug } };
    default:
      return {
        executionType: entry.executionType,
        rotationGroup: {
          slug: entry.rotationSlug,
          ...(entry.rotationLabel === undefined ? {} : { label: entry.rotationLabel }),
        },
      };
  }
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

/**
 * Times carry a UTC offset, as the real API writes them (`2026-12-01T09:00:00-06:00`); each team
 * gets its own offset so clients that read them as local times or as `Z` are caught.
 */
const TEAM_OFFSETS_MINUTES = [-360, 0, 330, 60, -300] as const;

export function teamOffsetMinutes(teamSlug: string): number {
  let sum = 0;
  for (const char of teamSlug) sum += char.charCodeAt(0);
  return TEAM_OFFSETS_MINUTES[sum % TEAM_OFFSETS_MINUTES.length] ?? 0;
}

export function formatWithOffset(iso: string, offsetMinutes: number): string {
  const local = new Date(Date.parse(iso) + offsetMinutes * 60_000).toISOString().slice(0, 19);
  if (offsetMinutes === 0) return `${local}Z`;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}

const userRef = (username: string) => ({ username });

/** The override covering `at` for `username`'s shift, if any. */
function overrideAt(overrides: readonly SimOverride[], username: string, atMs: number) {
  return overrides.find(
    (o) =>
      o.originalUsername.toLowerCase() === username.toLowerCase() &&
      Date.parse(o.start) <= atMs &&
      atMs < Date.parse(o.end),
  );
}

/**
 * One entry per (rotation, shift name), rolls in time order. A rotation whose people are all gone
 * from the window is still listed, with no on-call user and no rolls, as VictorOps lists it.
 */
function rotationSchedules(
  rotations: readonly { rotationName: string; shiftName: string }[],
  shifts: readonly SimShift[],
  overrides: readonly SimOverride[],
  window: ScheduleWindow,
  time: (iso: string) => string,
): Record<string, unknown>[] {
  return rotations.map(({ rotationName, shiftName }) => {
    const rolls = shifts
      .filter((s) => s.rotationName === rotationName && s.shiftName === shiftName && overlaps(s, window))
      .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    const holding = rolls.find(
      (roll) => Date.parse(roll.start) <= window.startMs && window.startMs < Date.parse(roll.end),
    );
    const covering = holding ? overrideAt(overrides, holding.username, window.startMs) : undefined;
    return {
      ...(holding ? { onCallUser: userRef(holding.username) } : {}),
      ...(covering ? { overrideOnCallUser: userRef(covering.overrideUsername) } : {}),
      onCallType: 'rotation_group',
      rotationName,
      shiftName,
      ...(holding ? { shiftRoll: time(holding.end) } : {}),
      rolls: rolls.map((roll) => ({
        start: time(roll.start),
        end: time(roll.end),
        onCallUser: userRef(roll.username),
        isRoll: roll !== holding,
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
  const overrides = org.listOverrides(team.slug);
  const offset = teamOffsetMinutes(team.slug);
  const time = (iso: string) => formatWithOffset(iso, offset);
  return {
    team: { name: team.name, slug: team.slug },
    schedules: org
      .listPolicies()
      .filter((policy) => policy.teamSlug === team.slug)
      .map((policy) => {
        const own = shifts.filter((shift) => shift.policySlug === policy.slug);
        const rotations = new Map<string, { rotationName: string; shiftName: string }>();
        for (const s of own) rotations.set(`${s.rotationName}\u0000${s.shiftName}`, s);
        const policyRef = { name: policy.name, slug: policy.slug };
        return {
          policy: policyRef,
          schedule: rotationSchedules([...rotations.values()], own, overrides, window, time),
          overrides: overrides
            .filter((o) => o.policySlug === policy.slug)
            .filter((o) => Date.parse(o.start) < window.endMs && Date.parse(o.end) > window.startMs)
            .map((o) => ({
              origOnCallUser: userRef(o.originalUsername),
              overrideOnCallUser: userRef(o.overrideUsername),
              start: time(o.start),
              end: time(o.end),
              policy: policyRef,
            })),
        };
      }),
  };
}

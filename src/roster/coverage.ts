/**
 * Coverage findings: the ways an org can silently stop paging people, computed purely from the
 * recorded roster, policies and schedules. Each finding has a stable key, so the same problem
 * seen by the next poll is the same finding (not a new one), and it resolves when it is gone.
 */
import {
  findUncoveredRotations,
  findUnpageablePeople,
  firstPolicy,
  rememberReadWindowCoverage,
} from './coverage-people.js';
import type { Finding, FindingsDiff, OpenFinding } from './coverage-types.js';
import { findExemption } from './identity-match.js';
import type { Exemption } from './identity-types.js';
import { compareText } from './normalise.js';
import type { Policy, TeamSchedule, UnreadPolicy } from './policy-types.js';
import { computeRotationCoverage, countShifts, END_OF_TIME } from './rotation-coverage.js';
import { findRoutingKeyFindings } from './routing-key-reach.js';
import type { RoutingKey } from './routing-keys.js';
import type { CoveragePeople, Roster, Team } from './types.js';
import { usernameKey } from './types.js';

/**
 * What coverage reads of the roster: its users and teams, and how many members each team has. The
 * memberships themselves are read for that count only, so a caller that knows the counts (the
 * unchanged poll, from its fingerprint check) passes them instead of rebuilding every membership.
 */
export type CoverageRoster = CoveragePeople &
  (
    | { memberships: Roster['memberships'] }
    /** Members per team slug; a team it does not name has none. */
    | { memberCounts: ReadonlyMap<string, number> }
  );

/** Members per team slug, of a roster's memberships or as given. */
function memberCountsOf(roster: CoverageRoster): ReadonlyMap<string, number> {
  if ('memberCounts' in roster) return roster.memberCounts;
  const counts = new Map<string, number>();
  for (const m of roster.memberships) counts.set(m.teamSlug, (counts.get(m.teamSlug) ?? 0) + 1);
  return counts;
}

export interface ComputeFindingsInput {
  roster: CoverageRoster;
  policies: readonly Policy[];
  schedules: readonly TeamSchedule[];
  /** Lower-cased username → when the history recorded its removal. */
  removedUsers: ReadonlyMap<string, string>;
  /** ISO instant: shifts that ended before it are past. */
  now: string;
  /** How far ahead (days) a rotation must have someone on call: ONCALL_DAYS_FORWARD. */
  daysForward?: number | undefined;
  /**
   * Policies the list names but whose detail could not be read and that have no recorded version:
   * they exist (a route to one does not dangle, their team has a policy) but their steps are unknown.
   */
  unreadPolicies?: readonly UnreadPolicy[];
  /** The org's routing keys; null or absent before any poll read them (no key findings then). */
  routingKeys?: readonly RoutingKey[] | null;
  /** REACH_EXEMPT: routing keys matching one get no reachability finding. */
  reachExemptions?: readonly Exemption[];
}

/**
 * The policies that page nobody: no step pages anyone except through routes into policies that
 * themselves page nobody. A route into a policy that is unknown (unreadable) or missing is not
 * judged here (missing is a dangling reference).
 */
function policiesPagingNobody(policies: readonly Policy[]): Set<string> {
  const bySlug = new Map(policies.map((p) => [p.slug, p]));
  const nobody = new Set<string>();
  // Grow the set until it stops changing: a policy joins when every entry it has routes into it.
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of policies) {
      if (nobody.has(p.slug)) continue;
      const entries = p.steps.flatMap((s) => s.entries);
      if (entries.every((e) => e.kind === 'policy' && bySlug.has(e.policySlug) && nobody.has(e.policySlug))) {
        nobody.add(p.slug);
        changed = true;
      }
    }
  }
  return nobody;
}

/** Sorted by key; at most one finding per key. */
export function computeFindings(input: ComputeFindingsInput): Finding[] {
  const { roster, policies, schedules } = input;
  const users = new Set(roster.users.map((u) => usernameKey(u.username)));
  const teams = new Map(roster.teams.map((t) => [t.slug, t]));
  const teamOf = (slug: string): Team => teams.get(slug) ?? { slug, name: slug };
  const removedAt = (username: string) => input.removedUsers.get(usernameKey(username)) ?? null;
  const findings = new Map<string, Finding>();
  const add = (f: Finding) => {
    if (!findings.has(f.key)) findings.set(f.key, f);
  };

  const unread = input.unreadPolicies ?? [];
  const policySlugs = new Set([...policies.map((p) => p.slug), ...unread.map((p) => p.slug)]);
  const pagingNobody = policiesPagingNobody(policies);
  for (const p of policies) {
    if (!pagingNobody.has(p.slug)) continue;
    add({
      kind: 'empty_policy',
      key: `empty_policy:${p.slug}`,
      policy: { slug: p.slug, name: p.name },
      team: teamOf(p.teamSlug),
      routedFrom: policies.flatMap((from) =>
        from.steps
          .filter((s) => s.entries.some((e) => e.kind === 'policy' && e.policySlug === p.slug))
          .map((s) => ({ policy: { slug: from.slug, name: from.name }, step: s.index })),
      ),
    });
  }
  for (const p of policies) {
    const policy = { slug: p.slug, name: p.name };
    for (const step of p.steps) {
      // A policy that pages nobody at all is one finding (empty_policy), not one per step.
      if (step.entries.length === 0 && !pagingNobody.has(p.slug)) {
        add({
          kind: 'empty_step',
          key: `empty_step:${p.slug}:${step.index}`,
          policy,
          team: teamOf(p.teamSlug),
          step: step.index,
        });
      }
      for (const entry of step.entries) {
        if (entry.kind === 'policy' && !policySlugs.has(entry.policySlug)) {
          add({
            kind: 'dangling_reference',
            key: `dangling_reference:${p.slug}:${step.index}:policy:${entry.policySlug}`,
            policy,
            team: teamOf(p.teamSlug),
            step: step.index,
            username: null,
            targetPolicy: entry.policySlug,
            removedAt: null,
          });
        }
        if (entry.kind !== 'user' || users.has(usernameKey(entry.username))) continue;
        add({
          kind: 'dangling_reference',
          key: `dangling_reference:${p.slug}:${step.index}:${usernameKey(entry.username)}`,
          policy,
          team: teamOf(p.teamSlug),
          step: step.index,
          username: entry.username,
          removedAt: removedAt(entry.username),
        });
      }
    }
  }

  for (const schedule of schedules) {
    // A team that no longer exists has no schedule to fix; one whose shifts are all held by users
    // of the org has nothing to report here.
    if (!teams.has(schedule.team.slug)) continue;
    if (schedule.shifts.every((s) => users.has(usernameKey(s.username)))) continue;
    for (const rotation of computeRotationCoverage(schedule, { from: input.now, until: END_OF_TIME })) {
      const byUser = new Map<string, typeof rotation.shifts>();
      for (const s of rotation.shifts) {
        if (s.end <= input.now || users.has(usernameKey(s.username))) continue;
        const k = usernameKey(s.username);
        byUser.set(k, [...(byUser.get(k) ?? []), s]);
      }
      for (const [k, held] of byUser) {
        const first = held[0];
        if (!first) continue;
        add({
          kind: 'removed_user_on_call',
          key: `removed_user_on_call:${schedule.team.slug}:${rotation.rotationName}:${k}`,
          team: teamOf(schedule.team.slug),
          policy: firstPolicy(rotation),
          rotation: rotation.rotationName,
          shift: first.shiftName,
          username: first.username,
          start: first.start,
          end: first.end,
          shifts: countShifts(held),
          removedAt: removedAt(first.username),
        });
      }
    }
  }

  const memberCount = memberCountsOf(roster);
  const teamsWithPolicy = new Set([...policies.map((p) => p.teamSlug), ...unread.map((p) => p.teamSlug)]);
  for (const team of roster.teams) {
    if ((memberCount.get(team.slug) ?? 0) === 0) {
      add({ kind: 'team_without_members', key: `team_without_members:${team.slug}`, team });
    } else if (!teamsWithPolicy.has(team.slug)) {
      add({ kind: 'team_without_policy', key: `team_without_policy:${team.slug}`, team });
    }
  }
  // Both judge the same read window of the same schedules: each schedule's rotations are computed once.
  const rotationsOf = rememberReadWindowCoverage(input);
  for (const f of findUnpageablePeople({ ...input, rotationsOf }, teamOf)) add(f);
  for (const f of findUncoveredRotations({ ...input, knownPolicies: policySlugs, rotationsOf }, teamOf))
    add(f);
  if (input.routingKeys) {
    const exemptions = input.reachExemptions ?? [];
    const keyFindings = findRoutingKeyFindings({
      routingKeys: input.routingKeys,
      policies,
      unreadPolicies: new Set(unread.map((p) => p.slug)),
      schedules,
      users,
      now: input.now,
      ...(input.daysForward === undefined ? {} : { daysForward: input.daysForward }),
      isExempt: (key) => findExemption(exemptions, key) !== undefined,
    });
    for (const f of keyFindings) add(f);
  }
  return [...findings.values()].sort((a, b) => compareText(a.key, b.key));
}

export function diffFindings(open: readonly OpenFinding[], computed: readonly Finding[]): FindingsDiff {
  const openKeys = new Map(open.map((o) => [o.finding.key, o]));
  const computedKeys = new Set(computed.map((f) => f.key));
  return {
    appeared: computed.filter((f) => !openKeys.has(f.key)),
    resolved: open.filter((o) => !computedKeys.has(o.finding.key)),
    still: computed.filter((f) => openKeys.has(f.key)),
  };
}

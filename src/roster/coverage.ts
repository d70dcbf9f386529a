/**
 * Coverage findings: the ways an org can silently stop paging people, computed purely from the
 * recorded roster, policies and schedules. Each finding has a stable key, so the same problem
 * seen by the next poll is the same finding (not a new one), and it resolves when it is gone.
 */
import { findUncoveredRotations, findUnpageablePeople } from './coverage-people.js';
import type { Finding, FindingsDiff, OpenFinding } from './coverage-types.js';
import { compareText } from './normalise.js';
import type { Policy, TeamSchedule } from './policy-types.js';
import type { Roster, Team } from './types.js';
import { usernameKey } from './types.js';

export interface ComputeFindingsInput {
  roster: Roster;
  policies: readonly Policy[];
  schedules: readonly TeamSchedule[];
  /** Lower-cased username → when the history recorded its removal. */
  removedUsers: ReadonlyMap<string, string>;
  /** ISO instant: shifts that ended before it are past. */
  now: string;
  /** How far ahead (days) a rotation must have someone on call: ONCALL_DAYS_FORWARD. */
  daysForward?: number;
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

  const policySlugs = new Set(policies.map((p) => p.slug));
  for (const p of policies) {
    const policy = { slug: p.slug, name: p.name };
    for (const step of p.steps) {
      if (step.entries.length === 0) {
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
    // A team that no longer exists has no schedule to fix.
    if (!teams.has(schedule.team.slug)) continue;
    const upcoming = schedule.shifts.filter((s) => s.end > input.now && !users.has(usernameKey(s.username)));
    for (const s of upcoming) {
      const key = `removed_user_on_call:${schedule.team.slug}:${s.policySlug}:${s.rotationName}:${s.shiftName}:${usernameKey(s.username)}`;
      const existing = findings.get(key);
      if (existing?.kind === 'removed_user_on_call') {
        existing.shifts += 1;
        if (s.start < existing.start) {
          existing.start = s.start;
          existing.end = s.end;
        }
        continue;
      }
      add({
        kind: 'removed_user_on_call',
        key,
        team: teamOf(schedule.team.slug),
        policy: { slug: s.policySlug, name: s.policyName },
        rotation: s.rotationName,
        shift: s.shiftName,
        username: s.username,
        start: s.start,
        end: s.end,
        shifts: 1,
        removedAt: removedAt(s.username),
      });
    }
  }

  const memberCount = new Map<string, number>();
  for (const m of roster.memberships) memberCount.set(m.teamSlug, (memberCount.get(m.teamSlug) ?? 0) + 1);
  const teamsWithPolicy = new Set(policies.map((p) => p.teamSlug));
  for (const team of roster.teams) {
    if ((memberCount.get(team.slug) ?? 0) === 0) {
      add({ kind: 'team_without_members', key: `team_without_members:${team.slug}`, team });
    } else if (!teamsWithPolicy.has(team.slug)) {
      add({ kind: 'team_without_policy', key: `team_without_policy:${team.slug}`, team });
    }
  }
  for (const f of findUnpageablePeople(input, teamOf)) add(f);
  for (const f of findUncoveredRotations(input, teamOf)) add(f);
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

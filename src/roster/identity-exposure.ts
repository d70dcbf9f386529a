/**
 * Each VictorOps user's on-call exposure (teams, policies that page them, upcoming shifts) from the
 * recorded roster, policies and schedules, indexed once so 20,000 users cost one pass each. Pure.
 */

import { EXPOSURE_SHIFTS_MAX, type Exposure } from './identity-types.js';
import { compareText } from './normalise.js';
import type { Policy, TeamSchedule } from './policy-types.js';
import { type Roster, type Team, usernameKey } from './types.js';

export interface ExposureInput {
  roster: Roster;
  policies: readonly Policy[];
  schedules: readonly TeamSchedule[];
  /** ISO instant: shifts that ended before it are past. */
  now: string;
}

export type ExposureLookup = (username: string) => Exposure;

/**
 * `only`: the username keys (usernameKey) whose exposure will be asked for; the others are not
 * indexed, so a sync with ~1,000 findings among 20,000 users builds ~1,000 exposures, not 20,000
 * (issue 21). Asking for another username then answers no exposure.
 */
export function indexExposure(input: ExposureInput, only?: ReadonlySet<string>): ExposureLookup {
  const teams = new Map(input.roster.teams.map((t) => [t.slug, t]));
  const teamOf = (slug: string): Team => teams.get(slug) ?? { slug, name: slug };
  const byUser = new Map<string, Exposure>();
  const exposureOf = (username: string): Exposure | null => {
    const key = usernameKey(username);
    let e = byUser.get(key);
    if (e === undefined) {
      if (only !== undefined && !only.has(key)) return null;
      e = { teams: [], policies: [], shifts: [], shiftCount: 0 };
      byUser.set(key, e);
    }
    return e;
  };
  for (const m of input.roster.memberships) exposureOf(m.username)?.teams.push(teamOf(m.teamSlug));
  for (const p of input.policies) {
    for (const step of p.steps) {
      for (const entry of step.entries) {
        if (entry.kind !== 'user') continue;
        const e = exposureOf(entry.username);
        if (e === null) continue;
        const existing = e.policies.find((x) => x.slug === p.slug);
        if (existing) {
          if (!existing.steps.includes(step.index)) existing.steps.push(step.index);
        } else {
          e.policies.push({
            slug: p.slug,
            name: p.name,
            team: teamOf(p.teamSlug),
            steps: [step.index],
            viaRotation: false,
          });
        }
      }
    }
  }
  for (const schedule of input.schedules) {
    for (const s of schedule.shifts) {
      if (s.end <= input.now) continue;
      const e = exposureOf(s.username);
      if (e === null) continue;
      e.shiftCount += 1;
      e.shifts.push({
        team: schedule.team,
        policy: { slug: s.policySlug, name: s.policyName },
        rotation: s.rotationName,
        start: s.start,
        end: s.end,
      });
      if (!e.policies.some((x) => x.slug === s.policySlug)) {
        e.policies.push({
          slug: s.policySlug,
          name: s.policyName,
          team: schedule.team,
          steps: [],
          viaRotation: true,
        });
      }
    }
  }
  for (const e of byUser.values()) {
    e.teams.sort((a, b) => compareText(a.name, b.name));
    e.policies.sort((a, b) => compareText(a.name, b.name));
    e.shifts.sort((a, b) => compareText(a.start, b.start));
    e.shifts = e.shifts.slice(0, EXPOSURE_SHIFTS_MAX);
  }
  return (username) => {
    const e = byUser.get(usernameKey(username));
    return e === undefined ? { teams: [], policies: [], shifts: [], shiftCount: 0 } : structuredClone(e);
  };
}

export function isExposed(e: Exposure): boolean {
  return e.teams.length > 0 || e.policies.length > 0 || e.shiftCount > 0;
}

/**
 * Escalation policies and on-call shifts, composed into the org. Usernames here are plain
 * strings, not links to users: VictorOps leaves a deleted user in policies and schedules,
 * and that silent gap is exactly what roster-watch has to find.
 */
import { SimOrgError } from '../errors.js';
import type { Random } from './random.js';

/** The entry types of the real API (reference §1); `rotationLabel` is sent only when set. */
export type SimPolicyEntry =
  | { executionType: 'user'; username: string }
  | {
      executionType: 'rotation_group' | 'rotation_group_next' | 'rotation_group_previous';
      rotationSlug: string;
      rotationLabel?: string | undefined;
    }
  | { executionType: 'email'; address: string }
  | { executionType: 'webhook'; webhookSlug: string }
  | { executionType: 'policy_routing'; policySlug: string };

export interface SimPolicyStep {
  /** Minutes before the next step is paged. */
  timeout: number;
  entries: SimPolicyEntry[];
}

export interface SimPolicy {
  slug: string;
  name: string;
  teamSlug: string;
  steps: SimPolicyStep[];
}

/** One upcoming on-call shift of a team, under one of its policies. */
export interface SimShift {
  teamSlug: string;
  policySlug: string;
  rotationName: string;
  shiftName: string;
  username: string;
  /** ISO-8601 with a Z. */
  start: string;
  end: string;
}

/** Someone covering part of another person's shift under one policy (`overrides[]`). */
export interface SimOverride {
  policySlug: string;
  originalUsername: string;
  overrideUsername: string;
  start: string;
  end: string;
}

export interface NewSimPolicy {
  name: string;
  teamSlug: string;
  steps: SimPolicyStep[];
  slug?: string;
}

export interface SimPolicyUpdate {
  name?: string | undefined;
  steps?: SimPolicyStep[] | undefined;
}

export interface PolicyBook {
  list(): readonly SimPolicy[];
  get(slug: string): SimPolicy | undefined;
  add(input: NewSimPolicy): SimPolicy;
  update(slug: string, input: SimPolicyUpdate): SimPolicy;
  /** Also drops the policy's shifts: a schedule only exists under a policy. */
  remove(slug: string): void;
  removeTeam(teamSlug: string): void;
  listShifts(teamSlug?: string): readonly SimShift[];
  setShifts(teamSlug: string, shifts: readonly Omit<SimShift, 'teamSlug'>[]): void;
  listOverrides(teamSlug: string): readonly SimOverride[];
  setOverrides(teamSlug: string, overrides: readonly SimOverride[]): void;
}

export interface PolicyBookDeps {
  /** Throws team-not-found for an unknown team. */
  requireTeam(slug: string): void;
  /** Seeds the slugs of policies created without one. */
  random: Random;
}

const copyEntry = (entry: SimPolicyEntry): SimPolicyEntry => ({ ...entry });

/** Deep copies, so no caller can edit a stored policy through an array it still holds. */
export const copySteps = (steps: readonly SimPolicyStep[]): SimPolicyStep[] =>
  steps.map((step) => ({ timeout: step.timeout, entries: step.entries.map(copyEntry) }));

export const copyPolicy = (policy: SimPolicy): SimPolicy => ({ ...policy, steps: copySteps(policy.steps) });

export function createPolicyBook(deps: PolicyBookDeps): PolicyBook {
  const policies = new Map<string, SimPolicy>();
  const shiftsByTeam = new Map<string, SimShift[]>();
  const overridesByTeam = new Map<string, SimOverride[]>();

  const requirePolicy = (slug: string): SimPolicy => {
    const policy = policies.get(slug);
    if (!policy) throw new SimOrgError('policy-not-found', `Policy ${slug} was not found`);
    return policy;
  };
  const newSlug = (): string => {
    for (;;) {
      const slug = `pol-${deps.random.alphanumeric(16)}`;
      if (!policies.has(slug)) return slug;
    }
  };
  const checkShift = (teamSlug: string, shift: Omit<SimShift, 'teamSlug'>): SimShift => {
    if (policies.get(shift.policySlug)?.teamSlug !== teamSlug) {
      throw new SimOrgError(
        'policy-not-found',
        `Policy ${shift.policySlug} was not found in team ${teamSlug}`,
      );
    }
    const start = Date.parse(shift.start);
    const end = Date.parse(shift.end);
    if (!(start < end)) {
      throw new SimOrgError('invalid-shift', `Shift ${shift.start}–${shift.end} must end after it starts`);
    }
    return {
      teamSlug,
      policySlug: shift.policySlug,
      rotationName: shift.rotationName,
      shiftName: shift.shiftName,
      username: shift.username,
      start: shift.start,
      end: shift.end,
    };
  };

  return {
    list: () => [...policies.values()],
    get: (slug) => policies.get(slug),
    add(input) {
      deps.requireTeam(input.teamSlug);
      const slug = input.slug ?? newSlug();
      if (policies.has(slug)) throw new SimOrgError('slug-taken', `Policy slug ${slug} is taken`);
      const policy: SimPolicy = {
        slug,
        name: input.name,
        teamSlug: input.teamSlug,
        steps: copySteps(input.steps),
      };
      policies.set(slug, policy);
      return policy;
    },
    update(slug, input) {
      const current = requirePolicy(slug);
      const next: SimPolicy = {
        ...current,
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(input.steps === undefined ? {} : { steps: copySteps(input.steps) }),
      };
      policies.set(slug, next);
      return next;
    },
    remove(slug) {
      const policy = requirePolicy(slug);
      policies.delete(slug);
      const overrides = overridesByTeam.get(policy.teamSlug);
      if (overrides)
        overridesByTeam.set(
          policy.teamSlug,
          overrides.filter((o) => o.policySlug !== slug),
        );
      const shifts = shiftsByTeam.get(policy.teamSlug);
      if (shifts) {
        shiftsByTeam.set(
          policy.teamSlug,
          shifts.filter((shift) => shift.policySlug !== slug),
        );
      }
    },
    removeTeam(teamSlug) {
      for (const policy of [...policies.values()]) {
        if (policy.teamSlug === teamSlug) policies.delete(policy.slug);
      }
      shiftsByTeam.delete(teamSlug);
      overridesByTeam.delete(teamSlug);
    },
    listShifts(teamSlug) {
      if (teamSlug !== undefined) return [...(shiftsByTeam.get(teamSlug) ?? [])];
      return [...shiftsByTeam.values()].flat();
    },
    setShifts(teamSlug, shifts) {
      deps.requireTeam(teamSlug);
      // Checked as a whole first, so a bad shift leaves the team's schedule as it was.
      const checked = shifts.map((shift) => checkShift(teamSlug, shift));
      if (checked.length === 0) shiftsByTeam.delete(teamSlug);
      else shiftsByTeam.set(teamSlug, checked);
    },
    listOverrides: (teamSlug) => [...(overridesByTeam.get(teamSlug) ?? [])],
    setOverrides(teamSlug, overrides) {
      deps.requireTeam(teamSlug);
      const checked = overrides.map((o) => {
        checkShift(teamSlug, { ...o, rotationName: '', shiftName: '', username: o.overrideUsername });
        return { ...o };
      });
      overridesByTeam.set(teamSlug, checked);
    },
  };
}

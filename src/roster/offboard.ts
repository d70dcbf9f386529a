/**
 * The offboarding preflight for one user: everything that still involves them and the ordered
 * steps an admin should take before deleting them. Pure: the CLI gathers the inputs.
 */

import { formatUtcMinute } from './coverage-events.js';
import type { PolicyRef } from './coverage-types.js';
import type { Policy, Shift, TeamSchedule } from './policy-types.js';
import { computeRotationCoverage, countShifts, END_OF_TIME } from './rotation-coverage.js';
import { type KeyLosingPerson, keysLosingLastPerson } from './routing-key-reach.js';
import type { RoutingKey } from './routing-key-types.js';
import type { Team } from './types.js';
import { usernameKey } from './types.js';

export type ReadSource = 'live' | 'stored';

export interface OffboardInput {
  username: string;
  teams: readonly Team[];
  policies: readonly Policy[];
  schedules: readonly TeamSchedule[];
  /** Team names for policies' team slugs. */
  teamNames: ReadonlyMap<string, string>;
  now: string;
  /**
   * The org's routing keys and users (lower-cased usernames), to name the keys that would reach
   * nobody without this user; absent or null when the keys were never read.
   */
  reach?: {
    routingKeys: readonly RoutingKey[] | null;
    users: ReadonlySet<string>;
    daysForward?: number;
    unreadPolicies?: ReadonlySet<string>;
  };
}

export interface OffboardReport {
  username: string;
  teams: Team[];
  policySteps: { policy: PolicyRef; team: Team; step: number; alsoPages: number }[];
  shifts: (Shift & { team: Team })[];
  /** Routing keys whose last person who can be paged (at some time in the read window) is this user. */
  routingKeys: KeyLosingPerson[];
  /** What to do, in order; the last step is always the deletion. */
  actions: string[];
  safeToDelete: boolean;
}

export function buildOffboardReport(input: OffboardInput): OffboardReport {
  const key = usernameKey(input.username);
  const teamOf = (slug: string): Team => ({ slug, name: input.teamNames.get(slug) ?? slug });
  const policySteps: OffboardReport['policySteps'] = [];
  for (const p of input.policies) {
    for (const s of p.steps) {
      if (!s.entries.some((e) => e.kind === 'user' && usernameKey(e.username) === key)) continue;
      policySteps.push({
        policy: { slug: p.slug, name: p.name },
        team: teamOf(p.teamSlug),
        step: s.index,
        alsoPages: s.entries.length - 1,
      });
    }
  }
  // Each rotation once, however many policies list it; a roll split by an override counts once.
  const held = input.schedules.flatMap((schedule) =>
    computeRotationCoverage(schedule, { from: input.now, until: END_OF_TIME }).flatMap((rotation) => {
      const mine = rotation.shifts.filter((s) => usernameKey(s.username) === key);
      return mine.length === 0 ? [] : [{ rotation, mine }];
    }),
  );
  const shifts = held
    .flatMap(({ rotation, mine }) =>
      mine.map((s) => {
        const policy = rotation.policies[0] ?? { slug: '', name: '' };
        return {
          policySlug: policy.slug,
          policyName: policy.name,
          rotationName: rotation.rotationName,
          shiftName: s.shiftName,
          username: s.username,
          start: s.start,
          end: s.end,
          ...(s.overrideFor === undefined ? {} : { overrideFor: s.overrideFor }),
          team: rotation.team,
        };
      }),
    )
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));

  const actions: string[] = [];
  const u = input.username;
  if (input.teams.length > 0) {
    actions.push(
      `Remove ${u} from ${input.teams.length === 1 ? 'team' : 'teams'} ${input.teams.map((t) => t.name).join(', ')} (VictorOps asks for a replacement for their rotations).`,
    );
  }
  for (const ps of policySteps) {
    const alone = ps.alsoPages === 0 ? ' (the only entry: the step would page nobody)' : '';
    actions.push(
      `Replace ${u} in escalation policy '${ps.policy.name}' (team ${ps.team.name}), step ${ps.step}${alone}.`,
    );
  }
  for (const { rotation, mine } of held) {
    const count = countShifts(mine);
    const shiftNames = [...new Set(mine.map((s) => s.shiftName))].sort();
    const first = mine[0]?.start ?? '';
    actions.push(
      `Reassign ${count} upcoming shift${count === 1 ? '' : 's'} of ${u} in team ${rotation.team.name}, rotation '${rotation.rotationName}', ${shiftNames.length === 1 ? 'shift' : 'shifts'} ${shiftNames.map((n) => `'${n}'`).join(', ')} (first ${formatUtcMinute(first)}).`,
    );
  }
  const routingKeys = input.reach?.routingKeys
    ? keysLosingLastPerson(
        {
          routingKeys: input.reach.routingKeys,
          policies: input.policies,
          unreadPolicies: input.reach.unreadPolicies ?? new Set(),
          schedules: input.schedules,
          users: input.reach.users,
          now: input.now,
          ...(input.reach.daysForward === undefined ? {} : { daysForward: input.reach.daysForward }),
        },
        u,
      )
    : [];
  for (const k of routingKeys) {
    const more = k.windows > 1 ? ` (and ${k.windows - 1} later gap${k.windows > 2 ? 's' : ''})` : '';
    actions.push(
      `Give routing key ${k.routingKey} someone else: without ${u}, alerts to it reach nobody from ${formatUtcMinute(k.from)} to ${formatUtcMinute(k.until)}${more}.`,
    );
  }
  const safeToDelete = actions.length === 0;
  actions.push(
    safeToDelete
      ? `Nothing references ${u}: it is safe to delete the user.`
      : `Only then delete ${u}: when the steps above are done, this check says that nothing references them.`,
  );
  return { username: u, teams: [...input.teams], policySteps, shifts, routingKeys, actions, safeToDelete };
}

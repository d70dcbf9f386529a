/** A simulated team for the routing-key tests: one lead, one policy paging one rotation. */
import type { Simulator } from '../../src/simulator/simulator.js';

/**
 * Team `name` with a lead (`<name>.lead`) and a policy `<name> primary` paging rotation `name`;
 * the lead is on call over `onCall` ([start, end) in ms), or nobody when it is null.
 */
export function teamWithRotation(
  sim: Simulator,
  name: string,
  onCall: { start: number; end: number } | null,
) {
  const team = sim.org.addTeam({ name });
  const lead = `${name.toLowerCase()}.lead`;
  sim.org.addUser({
    username: lead,
    firstName: name,
    lastName: 'Lead',
    email: `${lead}@example.com`,
    verified: true,
  });
  sim.org.addMember(team.slug, lead);
  const policy = sim.org.addPolicy({
    name: `${name} primary`,
    teamSlug: team.slug,
    steps: [
      {
        timeout: 0,
        entries: [{ executionType: 'rotation_group', rotationSlug: `rtg-${name}`, rotationLabel: name }],
      },
    ],
  });
  staffRotation(sim, team.slug, policy.slug, name, onCall === null ? null : { username: lead, ...onCall });
  return { team, policy, lead };
}

/** Replaces the team's shifts with one roll of `who` in the rotation, or with none. */
export function staffRotation(
  sim: Simulator,
  teamSlug: string,
  policySlug: string,
  rotationName: string,
  who: { username: string; start: number; end: number } | null,
): void {
  sim.org.setShifts(
    teamSlug,
    who === null
      ? []
      : [
          {
            policySlug,
            rotationName,
            shiftName: 'All day',
            username: who.username,
            start: new Date(who.start).toISOString(),
            end: new Date(who.end).toISOString(),
          },
        ],
  );
}

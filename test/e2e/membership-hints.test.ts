/**
 * Hint-gated polls through the built CLI, as a cron `poll` runs them: both the honest path (team
 * versions move with every membership change) and the simulator's fault switch (they do not).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudEvent } from '../../src/roster/events.js';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { runCli, simulatorCliEnv } from '../helpers/cli.js';
import { assertValidEvent } from '../helpers/event-schema.js';
import { simControlUrl, simRequest } from '../helpers/sim-http.js';

const TEAMS = 5;
let sim: Simulator;
let env: Record<string, string>;

beforeEach(async () => {
  sim = await startSimulator({ users: 30, teams: TEAMS, seed: 21 });
  env = simulatorCliEnv(sim, {
    LOG_LEVEL: 'info',
  });
});
afterEach(async () => {
  await sim.close();
});

/** Runs `poll` and returns its request plan line and the requests it made. */
async function poll(): Promise<{ plan: string; requests: number }> {
  const before = sim.stats.count();
  const r = await runCli(['poll'], env);
  expect(r.code, r.stderr).toBe(0);
  const plan = `${r.stdout}\n${r.stderr}`
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string })
    .find((l) => l.msg?.startsWith('requests planned'));
  return { plan: plan?.msg ?? '', requests: sim.stats.count() - before };
}

async function history(): Promise<CloudEvent[]> {
  const r = await runCli(['history', '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as CloudEvent[];
}

function populatedTeams(): string[] {
  return sim.org
    .listTeams()
    .map((t) => t.slug)
    .filter((slug) => sim.org.memberCount(slug) > 0);
}

/** A member leaves and an outsider joins: memberCount does not move. */
function swapMember(slug: string): void {
  const members = sim.org.membersOfTeam(slug);
  const outsider = sim.org.listUsers().find((u) => !members.includes(u))!;
  sim.org.removeMember(slug, members[0]!.username);
  sim.org.addMember(slug, outsider.username);
}

describe('roster-watch poll with membership hints', () => {
  it('reads only changed teams and a verification slice while the versions tell the truth', async () => {
    expect((await poll()).plan).toBe(`requests planned: 2 lists + ${TEAMS} teams (no previous poll)`);
    const quiet = await poll();
    expect(quiet).toEqual({
      plan: 'requests planned: 2 lists + 0 changed teams + 1 verification',
      requests: 3,
    });

    const [a, b] = populatedTeams();
    swapMember(a!);
    swapMember(b!);
    const changed = await poll();
    expect(changed).toEqual({
      plan: 'requests planned: 2 lists + 2 changed teams + 1 verification',
      requests: 5,
    });
    const membershipEvents = (await history()).filter((e) => e.type.startsWith('victorops.membership'));
    expect(membershipEvents).toHaveLength(4);
    expect(new Set(membershipEvents.map((e) => e.runid))).toEqual(new Set([3]));
  });

  it('with the fault switch on, still reports the change within one round of verification, then reads every team', async () => {
    await poll();
    const control = simControlUrl(sim.url);
    expect(
      (await simRequest(`${control}/team-versions`, { method: 'PUT', body: { bump: false } })).status,
    ).toBe(200);
    swapMember(populatedTeams().at(-1)!);

    let caught: CloudEvent | undefined;
    // Back-to-back polls verify one team each, so TEAMS polls cover the org.
    for (let i = 0; i < TEAMS && !caught; i++) {
      await poll();
      caught = (await history()).find((e) => e.type === 'rosterwatch.hints.unreliable');
    }
    expect(caught, 'the unannounced change was never caught').toBeDefined();
    assertValidEvent(caught);
    const events = await history();
    const membershipRuns = events
      .filter((e) => e.type.startsWith('victorops.membership'))
      .map((e) => e.runid);
    expect(membershipRuns).toEqual([caught!.runid, caught!.runid]);

    const after = await poll();
    expect(after).toEqual({
      plan: `requests planned: 2 lists + ${TEAMS} teams (hints unreliable)`,
      requests: 2 + TEAMS,
    });
    const status = await runCli(['hints'], env);
    expect(status.stdout).toMatch(/membership hints unreliable since .* every poll reads every team/);

    const reset = await runCli(['hints', '--reset'], env);
    expect(reset.code, reset.stderr).toBe(0);
    expect((await poll()).plan).toMatch(/^requests planned: 2 lists \+ 0 changed teams \+ \d+ verification$/);
  });
});

/** The simulator's GET /v1/team has the real shape (the fixture's keys and types), hints included. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';
import { teamListSchema } from '../../../src/victorops/schemas.js';
import { simControlUrl, simRequest } from '../../helpers/sim-http.js';

const fixture = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../../fixtures/victorops/v1-team.json'), 'utf8'),
) as Record<string, unknown>[];

function shapeOf(entry: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(entry).map(([key, value]) => [key, typeof value]));
}

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ users: 10, teams: 3, seed: 5 });
});
afterEach(async () => {
  await sim.close();
});

async function listTeams(): Promise<{ slug: string; version: number; memberCount: number }[]> {
  const response = await simRequest(`${sim.url}/v1/team`);
  expect(response.status).toBe(200);
  return response.json as { slug: string; version: number; memberCount: number }[];
}

describe('simulator GET /v1/team', () => {
  it('answers a bare array whose entries have exactly the fixture’s keys and types', async () => {
    const teams = (await listTeams()) as unknown as Record<string, unknown>[];
    // Every team, so the shape check below cannot pass on an empty answer.
    expect(teams.map((t) => t.slug)).toEqual(sim.org.listTeams().map((t) => t.slug));
    for (const team of teams) expect(shapeOf(team)).toEqual(shapeOf(fixture[0]!));
    expect(teamListSchema.safeParse(teams).success).toBe(true);
  });

  it('bumps a team’s version on every membership change, unless the fault switch is on', async () => {
    const [team] = await listTeams();
    const outsider = sim.org.listUsers().find((u) => !sim.org.membersOfTeam(team!.slug).includes(u))!;
    sim.org.addMember(team!.slug, outsider.username);
    const afterAdd = (await listTeams()).find((t) => t.slug === team!.slug)!;
    expect(afterAdd.version).toBe(team!.version + 1);
    expect(afterAdd.memberCount).toBe(team!.memberCount + 1);

    const control = simControlUrl(sim.url);
    expect(
      (await simRequest(`${control}/team-versions`, { method: 'PUT', body: { bump: false } })).status,
    ).toBe(200);
    sim.org.removeMember(team!.slug, outsider.username);
    const afterRemove = (await listTeams()).find((t) => t.slug === team!.slug)!;
    expect(afterRemove.version).toBe(afterAdd.version);
    expect(afterRemove.memberCount).toBe(team!.memberCount);
    expect((await simRequest(`${control}/team-versions`)).json).toEqual({ bump: false });
  });
});

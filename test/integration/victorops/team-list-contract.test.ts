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

  it('moves a team’s version on a rename and not on membership changes, as the public captures show', async () => {
    const [team] = await listTeams();
    const outsider = sim.org.listUsers().find((u) => !sim.org.membersOfTeam(team!.slug).includes(u))!;
    sim.org.addMember(team!.slug, outsider.username);
    const afterAdd = (await listTeams()).find((t) => t.slug === team!.slug)!;
    expect(afterAdd.version).toBe(team!.version);
    expect(afterAdd.memberCount).toBe(team!.memberCount + 1);
    sim.org.renameTeam(team!.slug, 'Renamed');
    const afterRename = (await listTeams()).find((t) => t.slug === team!.slug)!;
    expect(afterRename.version).toBe(team!.version + 1);
    expect((await simRequest(`${simControlUrl(sim.url)}/team-versions`)).json).toEqual({ bump: false });
  });

  it('moves it on every membership change too with the switch on', async () => {
    const control = simControlUrl(sim.url);
    expect(
      (await simRequest(`${control}/team-versions`, { method: 'PUT', body: { bump: true } })).status,
    ).toBe(200);
    const [team] = await listTeams();
    const outsider = sim.org.listUsers().find((u) => !sim.org.membersOfTeam(team!.slug).includes(u))!;
    sim.org.addMember(team!.slug, outsider.username);
    const afterAdd = (await listTeams()).find((t) => t.slug === team!.slug)!;
    expect(afterAdd.version).toBe(team!.version + 1);
    sim.org.removeMember(team!.slug, outsider.username);
    const afterRemove = (await listTeams()).find((t) => t.slug === team!.slug)!;
    expect(afterRemove.version).toBe(team!.version + 2);
    expect(afterRemove.memberCount).toBe(team!.memberCount);
    expect((await simRequest(`${control}/team-versions`)).json).toEqual({ bump: true });
  });

  it('keeps listing the old memberCount while the count fault is on (the API contradicting itself)', async () => {
    const control = simControlUrl(sim.url);
    const [team] = await listTeams();
    expect(
      (await simRequest(`${control}/team-member-counts`, { method: 'PUT', body: { frozen: true } })).status,
    ).toBe(200);
    const outsider = sim.org.listUsers().find((u) => !sim.org.membersOfTeam(team!.slug).includes(u))!;
    sim.org.addMember(team!.slug, outsider.username);
    expect((await listTeams()).find((t) => t.slug === team!.slug)!.memberCount).toBe(team!.memberCount);
    expect(sim.org.memberCount(team!.slug)).toBe(team!.memberCount + 1);
    await simRequest(`${control}/team-member-counts`, { method: 'PUT', body: { frozen: false } });
    expect((await listTeams()).find((t) => t.slug === team!.slug)!.memberCount).toBe(team!.memberCount + 1);
  });
});

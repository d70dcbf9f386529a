/**
 * The bench's one-user row (changeOneUser): one user's record changes and nothing else, so the row
 * measures a poll that reads the user list patched (that user parsed, the rest by their bytes'
 * digests) and no team (docs/benchmarks.md, forty-ninth part).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { changeOneUser } from '../../../src/bench/poll-cli-bench.js';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('changeOneUser', () => {
  it('changes one user’s address and no other user, team or membership', async () => {
    sim = await startSimulator({ users: 200, teams: 12, seed: 7, rateLimit: null });
    const org = sim.org;
    const users = org.listUsers().map((u) => ({ ...u }));
    const teams = JSON.stringify(org.listTeams());
    const memberships = JSON.stringify(users.map((u) => org.teamsOfUser(u.username).map((t) => t.slug)));
    changeOneUser(sim);
    const after = org.listUsers();
    const changed = after.filter((u, i) => JSON.stringify(u) !== JSON.stringify(users[i]));
    expect(changed).toHaveLength(1);
    expect(changed[0]?.email).toBe(`moved.${changed[0]?.username}@example.com`);
    expect({ ...changed[0], email: null }).toEqual({
      ...users.find((u) => u.username === changed[0]?.username),
      email: null,
    });
    expect(JSON.stringify(org.listTeams())).toBe(teams);
    expect(JSON.stringify(users.map((u) => org.teamsOfUser(u.username).map((t) => t.slug)))).toBe(
      memberships,
    );
  });
});

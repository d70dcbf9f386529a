/**
 * The CLI bench's team-moves row (moveFourPercent): memberships move, the user list does not, so
 * the row measures a poll that reads the user list by its bytes' digest (docs/benchmarks.md,
 * forty-eighth part).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { moveFourPercent } from '../../../src/bench/poll-cli-bench.js';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const teamsOf = (s: Simulator) =>
  new Map(
    s.org.listUsers().map((u) => [
      u.username,
      s.org
        .teamsOfUser(u.username)
        .map((t) => t.slug)
        .sort(),
    ]),
  );

describe('moveFourPercent', () => {
  it('moves every 25th user from one team to one they were not in, and changes no user', async () => {
    sim = await startSimulator({ users: 200, teams: 12, seed: 7, rateLimit: null });
    const users = JSON.stringify(sim.org.listUsers());
    const before = teamsOf(sim);
    moveFourPercent(sim);
    expect(JSON.stringify(sim.org.listUsers())).toBe(users);
    const after = teamsOf(sim);
    const moved = [...before].filter(
      ([name, teams]) => JSON.stringify(after.get(name)) !== JSON.stringify(teams),
    );
    const expected = sim.org
      .listUsers()
      .filter((_, i) => i % 25 === 3)
      .map((u) => u.username);
    expect(moved.map(([name]) => name)).toEqual(expected);
    for (const [name, teams] of moved) {
      const now = after.get(name) ?? [];
      expect(now).toHaveLength(Math.max(teams.length, 1));
      expect(now.filter((slug) => !teams.includes(slug))).toHaveLength(1);
      expect(teams.filter((slug) => !now.includes(slug))).toHaveLength(teams.length > 0 ? 1 : 0);
    }
  });
});

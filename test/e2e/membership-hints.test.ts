/**
 * Hint-gated polls through the built CLI, as a cron `poll` runs them: team versions moving with
 * every membership change (the simulator's switch), the default that follows the public captures
 * (only renames move them: a swap is found by verification), and the API contradicting its own
 * member counts (the count fault).
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

/** The summary line of the last `poll` (`run N: ok: 2 changes; …`). */
let lastSummary = '';

/** Runs `poll` and returns its request plan line and the requests it made. */
async function poll(): Promise<{ plan: string; requests: number }> {
  const before = sim.stats.count();
  const r = await runCli(['poll'], env);
  expect(r.code, r.stderr).toBe(0);
  lastSummary = r.stdout.split('\n').find((l) => l.startsWith('run ')) ?? '';
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
  it('reads only changed teams and a verification slice while the versions move with membership', async () => {
    const control = simControlUrl(sim.url);
    expect(
      (await simRequest(`${control}/team-versions`, { method: 'PUT', body: { bump: true } })).status,
    ).toBe(200);
    expect((await poll()).plan).toBe(`requests planned: 2 lists + ${TEAMS} teams (no previous poll)`);
    // Seconds after the full read, with the hour's round of verification just begun: nothing owed.
    const quiet = await poll();
    expect(quiet).toEqual({
      plan: 'requests planned: 2 lists + 0 changed teams + 0 verification',
      requests: 2,
    });

    const [a, b] = populatedTeams();
    swapMember(a!);
    swapMember(b!);
    const changed = await poll();
    expect(changed).toEqual({
      plan: 'requests planned: 2 lists + 2 changed teams + 0 verification',
      requests: 4,
    });
    const membershipEvents = (await history()).filter((e) => e.type.startsWith('victorops.membership'));
    expect(membershipEvents).toHaveLength(4);
    expect(new Set(membershipEvents.map((e) => e.runid))).toEqual(new Set([3]));
  });

  it('finds a swap by verification without distrusting the hints; distrusts them only when the counts contradict', {
    timeout: 300_000,
  }, async () => {
    // The shortest verify interval: the 5 teams are re-read over 54 s, one every ~11 s.
    env = { ...env, MEMBERSHIP_VERIFY_INTERVAL: '1m' };
    const VERIFY_MS = 60_000;
    /** Polls every 2 s until `done` or a verify interval (and a poll) has passed. */
    const pollUntil = async (done: () => boolean) => {
      const deadline = Date.now() + VERIFY_MS + 5_000;
      while (!done() && Date.now() < deadline) {
        await poll();
        if (!done()) await new Promise((r) => setTimeout(r, 2_000));
      }
    };
    await poll();
    swapMember(populatedTeams().at(-1)!);
    await pollUntil(() => /: [1-9]\d* changes/.test(lastSummary));
    expect(lastSummary).toMatch(
      /: 2 changes; 1 found by verification \(members swapped, count unchanged: the team list cannot show it\)$/,
    );
    const swapRun = Number(/^run (\d+)/.exec(lastSummary)?.[1]);
    let events = await history();
    expect(events.filter((e) => e.type.startsWith('victorops.membership')).map((e) => e.runid)).toEqual([
      swapRun,
      swapRun,
    ]);
    expect(events.map((e) => e.type)).not.toContain('rosterwatch.hints.unreliable');
    expect((await poll()).plan).toMatch(
      /^requests planned: 2 lists \+ 0 changed teams \+ [01] verification$/,
    );

    const control = simControlUrl(sim.url);
    expect(
      (await simRequest(`${control}/team-member-counts`, { method: 'PUT', body: { frozen: true } })).status,
    ).toBe(200);
    const team = populatedTeams()[0]!;
    const members = sim.org.membersOfTeam(team);
    sim.org.addMember(team, sim.org.listUsers().find((u) => !members.includes(u))!.username);
    await pollUntil(() => /hints unreliable/.test(lastSummary));
    expect(lastSummary).toMatch(/the API contradicted its own member counts/);
    const caught = (await history()).find((e) => e.type === 'rosterwatch.hints.unreliable');
    expect(caught, 'the contradiction was never caught').toBeDefined();
    assertValidEvent(caught);
    events = await history();
    expect(events.filter((e) => e.type === 'victorops.membership.added').map((e) => e.runid)).toContain(
      caught!.runid,
    );

    const after = await poll();
    expect(after).toEqual({
      plan: `requests planned: 2 lists + ${TEAMS} teams (hints unreliable)`,
      requests: 2 + TEAMS + 1,
    });
    const status = await runCli(['hints'], env);
    expect(status.stdout).toMatch(
      /membership hints unreliable since .* every poll reads every team until a whole verify interval passes/,
    );

    const reset = await runCli(['hints', '--reset'], env);
    expect(reset.code, reset.stderr).toBe(0);
    expect((await poll()).plan).toMatch(/^requests planned: 2 lists \+ 0 changed teams \+ \d+ verification$/);
  });
});

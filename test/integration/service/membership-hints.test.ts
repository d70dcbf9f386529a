/**
 * Hint-gated polls against the simulator, each one the App's (`createApp` from a config pointing at
 * the simulator, as `roster-watch poll` runs it), with a wall clock the test moves a minute per poll
 * (a poll every 60 s, verify interval 1 h). The stored hints mark is read back through the App.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../../src/clock.js';
import { type Config, loadConfig } from '../../../src/config/load-config.js';
import type { PollResult } from '../../../src/cycles/poll-cycle.js';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';
import { createCapturingLogger } from '../../helpers/capture-logger.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { pollOnce, withApp } from '../../helpers/sim-app.js';

const MINUTE = 60_000;
const TEAMS = 12;

let sim: Simulator;
let databasePath: string;
let config: Config;
let nowMs: number;
let capture: ReturnType<typeof createCapturingLogger>;
// Wall time (what is recorded) moves when the test says; request pacing runs on real time.
const clock: Clock = { now: () => nowMs, monotonicMs: () => performance.now(), sleep: systemClock.sleep };

beforeEach(async () => {
  sim = await startSimulator({ users: 60, teams: TEAMS, seed: 12 });
  databasePath = join(scratchDir('rw-hints-'), 'roster-watch.db');
  config = loadConfig(
    {
      VO_API_ID: 'sim-api-id',
      VO_API_KEY: 'sim-api-key',
      VO_BASE_URL: sim.url,
      VO_MAX_RPS: '500',
      VO_MAX_RETRIES: '1',
      DATABASE_PATH: databasePath,
      MEMBERSHIP_VERIFY_INTERVAL: '1h',
    },
    { requireVictorOps: true },
  );
  nowMs = Date.parse('2026-06-01T12:00:00Z');
  capture = createCapturingLogger();
});
afterEach(async () => {
  await sim.close();
});

/** One poll, a minute after the previous one: one App per poll, like one `roster-watch poll`. */
function poll(): Promise<PollResult> {
  nowMs += MINUTE;
  return pollOnce(config, { clock, logger: capture.logger });
}

/** The stored "hints unreliable" mark, read by an App of its own (as `roster-watch hints` does). */
function hintsMark() {
  return withApp(config, (app) => app.hintsState().unreliable);
}

function lastPlan(): string {
  const plans = capture
    .lines()
    .map((l) => JSON.parse(l) as { msg: string })
    .filter((l) => l.msg.startsWith('requests planned'));
  return plans.at(-1)?.msg ?? '';
}

function types(result: PollResult): string[] {
  return result.events.map((e) => e.type).sort();
}

/** Two members of a team trade places with two outsiders, so memberCount stays the same. */
function swapMembers(slug: string): string[] {
  const members = sim.org.membersOfTeam(slug).map((u) => u.username);
  const outsider = sim.org
    .listUsers()
    .map((u) => u.username)
    .find((u) => !members.includes(u));
  const leaver = members[0];
  if (!outsider || !leaver) throw new Error('the generated team cannot swap a member');
  sim.org.removeMember(slug, leaver);
  sim.org.addMember(slug, outsider);
  return [leaver, outsider];
}

describe('membership hints', () => {
  it('reads only the lists and the verification slice when nothing changed', async () => {
    expect((await poll()).status).toBe('baseline');
    expect(lastPlan()).toBe(`requests planned: 2 lists + ${TEAMS} teams (no previous poll)`);
    const quiet = await poll();
    expect(quiet.status).toBe('ok');
    expect(quiet.changes).toBe(0);
    // 12 teams, a poll a minute, verify hourly: 12 ÷ 54 min = 0.22 of a team a poll, carried over
    // from poll to poll: none until the teams read together at the baseline are 4.5 min old.
    expect(lastPlan()).toBe('requests planned: 2 lists + 0 changed teams + 0 verification');
    expect(quiet.fetched?.stats.requests).toBe(2);
    const verified: number[] = [];
    for (let i = 0; i < 4; i++) verified.push((await poll()).fetched?.stats.requests ?? -1);
    expect(verified).toEqual([2, 2, 2, 3]);
  });

  it('re-reads the teams whose version moved and reports every change in that poll (versions moving on membership, the switch)', async () => {
    sim.org.setTeamVersionBumps(true);
    await poll();
    await poll();
    const [a, b] = sim.org.listTeams().map((t) => t.slug);
    const [leaver, joiner] = swapMembers(a!);
    const newcomer = sim.org
      .listUsers()
      .find((u) => !sim.org.teamsOfUser(u.username).some((t) => t.slug === b));
    sim.org.addMember(b!, newcomer!.username);
    const result = await poll();
    expect(lastPlan()).toBe('requests planned: 2 lists + 2 changed teams + 0 verification');
    expect(result.fetched?.stats.requests).toBe(4);
    const memberships = result.events
      .filter((e) => e.type.startsWith('victorops.membership'))
      .map((e) => e.envelope);
    expect(memberships).toHaveLength(3);
    expect(memberships.join('\n')).toContain(leaver!);
    expect(memberships.join('\n')).toContain(joiner!);
    expect(memberships.join('\n')).toContain(newcomer!.username);
    expect(types(result)).not.toContain('rosterwatch.hints.unreliable');
  });

  it.each([
    ['bumps each team once', true],
    ['leaves the versions alone', false],
  ])('records a deleted user leaving every team without reading them (VictorOps %s)', async (_how, bumps) => {
    await poll();
    sim.org.setTeamVersionBumps(bumps);
    const leaver = sim.org.listUsers().find((u) => sim.org.teamsOfUser(u.username).length >= 2)!;
    const teamCount = sim.org.teamsOfUser(leaver.username).length;
    sim.org.removeUser(leaver.username);
    const result = await poll();
    expect(lastPlan()).toBe('requests planned: 2 lists + 0 changed teams + 0 verification');
    expect(types(result).filter((t) => t === 'victorops.membership.removed')).toHaveLength(teamCount);
    expect(types(result)).toContain('victorops.user.removed');
    expect(types(result)).not.toContain('rosterwatch.hints.unreliable');
    expect(await hintsMark()).toBeNull();
  });

  it('by default (version moves only on renames) reports a count change in the next poll and a swap within one verify interval, counted, hints still followed', async () => {
    await poll();
    await poll();
    const [a, b] = sim.org.listTeams().filter((t) => sim.org.memberCount(t.slug) > 0);
    const newcomer = sim.org
      .listUsers()
      .find((u) => !sim.org.teamsOfUser(u.username).some((t) => t.slug === a!.slug))!;
    sim.org.addMember(a!.slug, newcomer.username);
    const counted = await poll();
    expect(lastPlan()).toBe('requests planned: 2 lists + 1 changed teams + 0 verification');
    expect(types(counted)).toEqual(['victorops.membership.added']);

    const [leaver, joiner] = swapMembers(b!.slug);
    const startMs = nowMs;
    let caught: PollResult | undefined;
    for (let i = 0; i < 60 && !caught; i++) {
      const result = await poll();
      if (result.verifyCatches > 0) caught = result;
      else expect(result.changes).toBe(0);
    }
    expect(caught, 'the swap was never caught').toBeDefined();
    expect(nowMs - startMs).toBeLessThanOrEqual(60 * MINUTE);
    expect(caught!.verifyCatches).toBe(1);
    expect(types(caught!)).toEqual(['victorops.membership.added', 'victorops.membership.removed']);
    const subjects = caught!.events.map((e) => e.envelope).join('\n');
    expect(subjects).toContain(leaver!);
    expect(subjects).toContain(joiner!);
    expect(await hintsMark()).toBeNull();
    await poll();
    expect(lastPlan()).toMatch(/^requests planned: 2 lists \+ 0 changed teams \+ [01] verification$/);
  });

  it('distrusts the hints only while the API contradicts its own memberCount, then follows them again after a clean verify interval', async () => {
    await poll();
    sim.org.setListedCountsFrozen(true);
    const team = sim.org.listTeams().findLast((t) => sim.org.memberCount(t.slug) > 0)!;
    const joiner = sim.org
      .listUsers()
      .find((u) => !sim.org.teamsOfUser(u.username).some((t) => t.slug === team.slug))!;
    sim.org.addMember(team.slug, joiner.username);
    let caught: PollResult | undefined;
    for (let i = 0; i < 60 && !caught; i++) {
      const result = await poll();
      if (types(result).includes('rosterwatch.hints.unreliable')) caught = result;
    }
    expect(caught, 'the contradiction was never seen').toBeDefined();
    expect(caught!.hints).toBe('marked');
    const notice = JSON.parse(
      caught!.events.find((e) => e.type === 'rosterwatch.hints.unreliable')!.envelope,
    ) as {
      data: { team: { slug: string }; listedMemberCount: number; readMemberCount: number };
    };
    expect(notice.data.team.slug).toBe(team.slug);
    expect(notice.data.readMemberCount).toBe(notice.data.listedMemberCount + 1);
    expect(types(caught!)).toContain('victorops.membership.added');

    // Still contradicting: every team read, and the clean interval starts again each poll.
    await poll();
    expect(lastPlan()).toBe(`requests planned: 2 lists + ${TEAMS} teams (hints unreliable)`);
    const stillContradicting = nowMs;
    expect((await hintsMark())?.lastContradictionAt).toBe(new Date(stillContradicting).toISOString());

    sim.org.setListedCountsFrozen(false);
    nowMs += 30 * MINUTE;
    expect((await poll()).hints).toBeNull();
    expect(lastPlan()).toBe(`requests planned: 2 lists + ${TEAMS} teams (hints unreliable)`);
    nowMs = stillContradicting + 60 * MINUTE - MINUTE;
    const recovered = await poll();
    expect(recovered.hints).toBe('trusted again');
    expect(await hintsMark()).toBeNull();
    await poll();
    expect(lastPlan()).toMatch(/^requests planned: 2 lists \+ 0 changed teams \+ \d+ verification$/);
  });

  it('never reports removals for a changed team whose read failed, and reads it again next poll', async () => {
    await poll();
    const team = sim.org.listTeams()[0]!;
    const leaver = sim.org.membersOfTeam(team.slug)[0]!;
    sim.org.removeMember(team.slug, leaver.username);
    sim.faults.inject({ match: `/v1/team/${team.slug}/members`, kind: 'http500', times: 2 });
    const failed = await poll();
    expect(failed.status).toBe('partial');
    expect(types(failed)).not.toContain('victorops.membership.removed');
    const retried = await poll();
    expect(lastPlan()).toBe('requests planned: 2 lists + 1 changed teams + 0 verification');
    expect(types(retried)).toContain('victorops.membership.removed');
  });

  it('reads every team with MEMBERSHIP_HINTS=off', async () => {
    config = loadConfig({ ...configEnv(), MEMBERSHIP_HINTS: 'off' }, { requireVictorOps: true });
    await poll();
    const result = await poll();
    expect(lastPlan()).toBe(`requests planned: 2 lists + ${TEAMS} teams (hints off)`);
    expect(result.fetched?.stats.requests).toBe(2 + TEAMS);
  });
});

function configEnv(): Record<string, string> {
  return {
    VO_API_ID: 'sim-api-id',
    VO_API_KEY: 'sim-api-key',
    VO_BASE_URL: sim.url,
    VO_MAX_RPS: '500',
    VO_MAX_RETRIES: '1',
    DATABASE_PATH: databasePath,
  };
}

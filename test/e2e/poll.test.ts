/**
 * The poll cycle through the built CLI against the simulator: what a person running
 * `roster-watch poll` from cron gets.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudEvent } from '../../src/roster/events.js';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { cliEnv, runCli, simulatorCliEnv, tempDatabase } from '../helpers/cli.js';
import { assertValidEvent } from '../helpers/event-schema.js';

let sim: Simulator;
let db: string;
let env: Record<string, string>;

beforeEach(async () => {
  sim = await startSimulator({ users: 40, teams: 6, seed: 11 });
  db = tempDatabase();
  env = simulatorCliEnv(sim, {
    VO_MAX_RETRIES: '3',
    DATABASE_PATH: db,
    LOG_LEVEL: 'debug',
  });
});
afterEach(async () => {
  await sim.close();
});

async function poll(extra: Record<string, string> = {}) {
  return runCli(['poll'], { ...env, ...extra });
}

async function history(args: string[] = []): Promise<CloudEvent[]> {
  const r = await runCli(['history', '--json', ...args], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as CloudEvent[];
}

async function rosterJson(args: string[] = []) {
  const r = await runCli(['roster', '--json', ...args], env);
  expect(r.code, r.stderr).toBe(0);
  const parsed = JSON.parse(r.stdout) as { at: string; users: unknown[]; teams: unknown[] };
  return { users: parsed.users, teams: parsed.teams };
}

function runRows(): { status: string; error: string | null }[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare('SELECT status, error FROM runs ORDER BY id').all() as {
      status: string;
      error: string | null;
    }[];
  } finally {
    conn.close();
  }
}

describe('roster-watch poll', () => {
  it('records a baseline with one event, then every kind of change as valid CloudEvents', async () => {
    const first = await poll();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/run 1: baseline/);
    const baseline = await history();
    expect(baseline.map((e) => e.type)).toEqual(['rosterwatch.baseline']);

    const org = sim.org;
    const [teamA, teamB] = org.listTeams();
    const someone = org.listUsers().find((u) => org.teamsOfUser(u.username).length > 0)!;
    const leaver = org
      .listUsers()
      .find((u) => u.username !== someone.username && org.teamsOfUser(u.username).length > 0)!;
    org.addUser({ username: 'new.hire+1', firstName: 'Zoë', lastName: 'Ølsen', email: 'zoe@example.com' });
    org.addMember(teamA!.slug, 'new.hire+1');
    org.updateUser(someone.username, {
      firstName: someone.firstName,
      lastName: someone.lastName,
      email: 'changed@example.com',
    });
    org.removeUser(leaver.username);
    org.renameTeam(teamB!.slug, 'Renamed Team');
    const created = org.addTeam({ name: 'Brand New' });
    org.removeTeam(
      org
        .listTeams()
        .find((t) => t.slug !== teamA!.slug && t.slug !== teamB!.slug && t.slug !== created.slug)!.slug,
    );
    if (org.teamsOfUser(someone.username).every((t) => t.slug !== created.slug))
      org.addMember(created.slug, someone.username);

    const second = await poll();
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/run 2: ok: \d+ changes/);
    const events = await history();
    const types = new Set(events.map((e) => e.type));
    for (const type of [
      'victorops.user.added',
      'victorops.user.removed',
      'victorops.user.changed',
      'victorops.membership.added',
      'victorops.membership.removed',
      'victorops.team.added',
      'victorops.team.removed',
      'victorops.team.changed',
    ]) {
      expect(types, type).toContain(type);
    }
    for (const event of events) assertValidEvent(event);
    const sequences = events.map((e) => Number(e.sequence));
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    const changed = events.find((e) => e.type === 'victorops.user.changed')!;
    expect(changed.data).toMatchObject({ changes: [{ field: 'email', after: 'changed@example.com' }] });
    expect((await history(['--user', leaver.username])).map((e) => e.type)).toContain(
      'victorops.user.removed',
    );

    // an unchanged poll adds a run and nothing else
    const third = await poll();
    expect(third.stdout).toMatch(/run 3: ok: 0 changes/);
    expect(await history()).toHaveLength(events.length);
  });

  it('reconstructs the earlier roster exactly with roster --at', async () => {
    await poll();
    const before = await rosterJson();
    const between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    const victim = sim.org.listUsers()[3]!;
    sim.org.removeUser(victim.username);
    sim.org.renameTeam(sim.org.listTeams()[0]!.slug, 'Later Name');
    await poll();
    expect(await rosterJson()).not.toEqual(before);
    expect(await rosterJson(['--at', between])).toEqual(before);
  });

  it('a partial run keeps the unreadable team and reports no removal from it', async () => {
    await poll();
    const team = sim.org.listTeams().find((t) => sim.org.memberCount(t.slug) > 1)!;
    const member = sim.org.membersOfTeam(team.slug)[0]!;
    sim.org.removeMember(team.slug, member.username);
    sim.faults.inject({ match: `/v1/team/${team.slug}/members`, kind: 'http500', times: 100 });
    const r = await poll({ MEMBERSHIP_SOURCE: 'team' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/run 2: partial/);
    expect((await history()).filter((e) => e.type === 'victorops.membership.removed')).toEqual([]);
    expect(runRows()[1]?.status).toBe('partial');
    // once the team can be read again, the removal is reported
    sim.faults.clear();
    await poll({ MEMBERSHIP_SOURCE: 'team' });
    const removed = (await history()).filter((e) => e.type === 'victorops.membership.removed');
    expect(removed.map((e) => [e.subject, (e.data as { team: { slug: string } }).team.slug])).toEqual([
      [member.username, team.slug],
    ]);
  });

  it('a failed run changes nothing, exits 1 with one readable line and announces repeated failure', async () => {
    await poll();
    sim.faults.inject({ match: '/v1/user', kind: 'http503', times: 1000 });
    for (let i = 0; i < 3; i++) {
      const r = await poll({ VO_MAX_RETRIES: '1', POLL_FAILING_AFTER: '3' });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/the poll failed/);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    expect(runRows().map((r) => r.status)).toEqual(['baseline', 'failed', 'failed', 'failed']);
    expect((await history()).map((e) => e.type)).toEqual([
      'rosterwatch.baseline',
      'rosterwatch.poll.failing',
    ]);
    sim.faults.clear();
    const ok = await poll();
    expect(ok.code).toBe(0);
    expect((await history()).map((e) => e.type)).toContain('rosterwatch.poll.recovered');
  });

  it('holds a mass removal, applies it after the confirmations, or at once on accept', async () => {
    await poll();
    // The guard counts people: pending invitations (invited_…) are not among the known users.
    const people = sim.org.listUsers().filter((u) => !u.username.toLowerCase().startsWith('invited_')).length;
    const doomed = sim.org
      .listUsers()
      .filter((u) => !u.username.toLowerCase().startsWith('invited_'))
      .slice(0, 15)
      .map((u) => u.username);
    for (const u of doomed) sim.org.removeUser(u);
    const guardEnv = { REMOVAL_GUARD_CONFIRMATIONS: '3' };
    const held = await poll(guardEnv);
    expect(held.code).toBe(0);
    expect(held.stdout).toMatch(/held/);
    const heldEvents = await history(['--type', 'rosterwatch.guard.*']);
    expect(heldEvents).toHaveLength(1);
    expect(heldEvents[0]?.data).toMatchObject({ removedUsers: 15, knownUsers: people });
    expect(await history(['--type', 'victorops.user.removed'])).toEqual([]);
    await poll(guardEnv); // second agreeing poll: still held
    expect(await history(['--type', 'victorops.user.removed'])).toEqual([]);
    await poll(guardEnv); // third: applied
    expect(await history(['--type', 'victorops.user.removed'])).toHaveLength(15);
    expect(runRows().map((r) => r.status)).toEqual(['baseline', 'held', 'held', 'ok']);

    // a second mass removal, accepted by hand
    for (const u of sim.org
      .listUsers()
      .filter((x) => !x.username.toLowerCase().startsWith('invited_'))
      .slice(0, 10)
      .map((x) => x.username))
      sim.org.removeUser(u);
    await poll(guardEnv);
    const accepted = await runCli(['accept'], env);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(await history(['--type', 'victorops.user.removed'])).toHaveLength(25);
    expect(
      (await history(['--type', 'rosterwatch.guard.released'])).map((e) => (e.data as { how: string }).how),
    ).toEqual(['confirmed', 'accepted']);
    const nothing = await runCli(['accept'], env);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/nothing is held/);
  });

  it('retries malformed responses and still records a correct poll', async () => {
    sim.faults.inject({ match: '/v1/user', kind: 'malformed', times: 1 });
    sim.faults.inject({ match: '/v1/team', kind: 'html502', times: 1 });
    const r = await poll();
    expect(r.code, r.stderr).toBe(0);
    expect((await rosterJson()).users).toHaveLength(40);
  });

  it('never writes the API key to logs, errors or the database', async () => {
    await poll();
    const wrong = await runCli(['poll'], { ...env, VO_API_KEY: 'wrong-secret-c0ffee', VO_MAX_RETRIES: '1' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/authentication failed or rate-limited: check VO_API_ID and VO_API_KEY/);
    const fetched = await runCli(['fetch', '--json'], env);
    for (const output of [wrong.stdout, wrong.stderr, fetched.stdout, fetched.stderr]) {
      expect(output).not.toContain('wrong-secret-c0ffee');
      expect(output).not.toContain('sim-api-key');
    }
    const conn = new Database(db, { readonly: true });
    const dump = JSON.stringify(
      ['runs', 'users', 'events', 'memberships', 'teams'].map((t) =>
        conn.prepare(`SELECT * FROM ${t}`).all(),
      ),
    );
    conn.close();
    expect(dump).not.toContain('sim-api-key');
    expect(dump).not.toContain('wrong-secret-c0ffee');
  });

  it('explains configuration problems in one line each with exit code 2', async () => {
    const r = await runCli(
      ['poll'],
      cliEnv({ VO_MAX_RPS: 'lots', MEMBERSHIP_SOURCE: 'x', DATABASE_PATH: db }),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/VO_API_ID is required/);
    expect(r.stderr).toMatch(/VO_API_KEY is required/);
    expect(r.stderr).toMatch(/VO_MAX_RPS must be a number/);
    expect(r.stderr).toMatch(/MEMBERSHIP_SOURCE must be one of auto, user, team/);
  });
});

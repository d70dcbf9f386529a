/**
 * The coverage audit through the built CLI against the simulator: policy events, every finding
 * kind appearing and resolving, the offboarding preflight and the policy list's pacing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudEvent, CoverageEventData } from '../../src/roster/events.js';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { runCli, simulatorCliEnv } from '../helpers/cli.js';
import { assertValidEvent } from '../helpers/event-schema.js';

let sim: Simulator;
let env: Record<string, string>;

beforeEach(async () => {
  sim = await startSimulator({ users: 30, teams: 6, seed: 21, policyListPerMinute: 0 });
  env = simulatorCliEnv(sim, {
    VO_MAX_RETRIES: '2',
    POLICY_LIST_MIN_INTERVAL_MS: '50',
    LOG_LEVEL: 'warn',
  });
});
afterEach(async () => {
  await sim.close();
});

async function cli(args: string[], extra: Record<string, string> = {}) {
  const r = await runCli(args, { ...env, ...extra });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

async function history(args: string[] = []): Promise<CloudEvent[]> {
  const events = JSON.parse((await cli(['history', '--json', ...args])).stdout) as CloudEvent[];
  for (const e of events) assertValidEvent(e);
  return events;
}

async function openFindings(): Promise<{ kind: string; key: string; message: string }[]> {
  return JSON.parse((await cli(['coverage', '--json'])).stdout);
}

const coverage = (e: CloudEvent) => e.data as CoverageEventData & { username?: string };
const lastRunEvents = async (type: string) => {
  const events = await history(['--type', type]);
  const last = events.at(-1)?.runid;
  return events.filter((e) => e.runid === last);
};

/** A user in the roster paged directly by a policy step, with the step (1-based). */
function pagedUser() {
  for (const policy of sim.org.listPolicies()) {
    for (const [i, step] of policy.steps.entries()) {
      for (const entry of step.entries) {
        if (entry.executionType === 'user' && sim.org.getUser(entry.username)) {
          return { policy, step: i + 1, username: entry.username };
        }
      }
    }
  }
  throw new Error('the generated org has no user_page entry');
}

describe('coverage audit', () => {
  it('baseline findings, then a removed user still paged: dangling reference in the same run, resolved by fixing the policy', async () => {
    await cli(['poll']);
    const baseline = await cli(['policy-poll']);
    expect(baseline.stdout).toMatch(/run 2 \(policy\): baseline/);
    expect(await history(['--type', 'victorops.policy.*'])).toEqual([]);

    const { policy, step, username } = pagedUser();
    sim.org.removeUser(username);
    await cli(['poll']);
    const removed = (await history(['--type', 'victorops.user.removed'])).at(-1)!;
    expect(removed.data).toMatchObject({
      user: { username },
      policies: [
        expect.objectContaining({
          slug: policy.slug,
          name: policy.name,
          steps: expect.arrayContaining([step]),
        }),
      ],
    });
    const dangling = (await history(['--type', 'rosterwatch.coverage.dangling_reference'])).filter(
      (e) => coverage(e).key === `dangling_reference:${policy.slug}:${step}:${username.toLowerCase()}`,
    );
    expect(dangling).toHaveLength(1);
    expect(dangling[0]!.runid).toBe(removed.runid);
    expect(coverage(dangling[0]!)).toMatchObject({ state: 'open', step, username, resolvedAt: null });
    expect(coverage(dangling[0]!).message).toMatch(
      new RegExp(
        `^Escalation policy '${policy.name}' .*step ${step}, still pages ${username}, removed at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC`,
      ),
    );
    const table = await cli(['coverage']);
    expect(table.stdout).toContain(`still pages ${username}`);

    // fix the policy: replace the user with someone who exists
    const replacement = sim.org.listUsers()[0]!.username;
    const steps = sim.org.getPolicy(policy.slug)!.steps.map((s) => ({
      ...s,
      entries: s.entries.map((e) =>
        e.executionType === 'user' && e.username === username ? { ...e, username: replacement } : e,
      ),
    }));
    sim.org.updatePolicy(policy.slug, { steps });
    await cli(['policy-poll']);
    const changed = await lastRunEvents('victorops.policy.changed');
    expect(changed.map((e) => e.subject)).toContain(policy.slug);
    const resolved = (await history(['--type', 'rosterwatch.coverage.dangling_reference'])).filter(
      (e) => coverage(e).state === 'resolved' && coverage(e).username === username,
    );
    expect(resolved.length).toBeGreaterThan(0);
    expect(coverage(resolved[0]!)).toMatchObject({ firstSeen: coverage(dangling[0]!).firstSeen });
    expect(typeof coverage(resolved[0]!).resolvedAt).toBe('string');
    expect(
      (await openFindings()).filter(
        (f) => f.kind === 'dangling_reference' && f.key.includes(`:${policy.slug}:`),
      ),
    ).toEqual([]);
  });

  it('a removed user holding upcoming shifts, resolved when the shifts are reassigned', async () => {
    await cli(['poll']);
    await cli(['policy-poll']);
    const shift = sim.org.listShifts().find((s) => sim.org.getUser(s.username))!;
    const holder = shift.username;
    const team = shift.teamSlug;
    sim.org.removeUser(holder);
    await cli(['poll']);
    const appeared = (await history(['--type', 'rosterwatch.coverage.removed_user_on_call'])).filter(
      (e) => coverage(e).username === holder,
    );
    expect(appeared.length).toBeGreaterThan(0);
    expect(coverage(appeared[0]!)).toMatchObject({ state: 'open', team: { slug: team } });

    const someone = sim.org.listUsers()[0]!.username;
    for (const slug of new Set(
      sim.org
        .listShifts()
        .filter((s) => s.username === holder)
        .map((s) => s.teamSlug),
    )) {
      sim.org.setShifts(
        slug,
        sim.org
          .listShifts(slug)
          .map(({ teamSlug: _t, ...s }) => (s.username === holder ? { ...s, username: someone } : s)),
      );
    }
    await cli(['policy-poll']);
    const all = (await history(['--type', 'rosterwatch.coverage.removed_user_on_call'])).filter(
      (e) => coverage(e).username === holder,
    );
    expect(all.filter((e) => coverage(e).state === 'resolved')).toHaveLength(appeared.length);
    expect((await openFindings()).filter((f) => f.kind === 'removed_user_on_call')).toEqual([]);
  });

  it('team without members, then without a policy, then covered; an empty step; policy added and removed', async () => {
    await cli(['poll']);
    await cli(['policy-poll']);
    const team = sim.org.addTeam({ name: 'Brand New Team' });
    await cli(['poll']);
    expect((await openFindings()).map((f) => f.key)).toContain(`team_without_members:${team.slug}`);

    sim.org.addMember(team.slug, sim.org.listUsers()[1]!.username);
    await cli(['poll']);
    const keys = (await openFindings()).map((f) => f.key);
    expect(keys).not.toContain(`team_without_members:${team.slug}`);
    expect(keys).toContain(`team_without_policy:${team.slug}`);
    const membersResolved = (await history(['--type', 'rosterwatch.coverage.team_without_members'])).filter(
      (e) => coverage(e).state === 'resolved' && coverage(e).key.endsWith(team.slug),
    );
    expect(membersResolved).toHaveLength(1);

    const added = sim.org.addPolicy({
      name: 'Brand New Primary',
      teamSlug: team.slug,
      steps: [
        { timeout: 5, entries: [{ executionType: 'user', username: sim.org.listUsers()[1]!.username }] },
        { timeout: 10, entries: [] },
      ],
    });
    await cli(['policy-poll']);
    expect((await lastRunEvents('victorops.policy.added')).map((e) => e.subject)).toEqual([added.slug]);
    const after = (await openFindings()).map((f) => f.key);
    expect(after).not.toContain(`team_without_policy:${team.slug}`);
    expect(after).toContain(`empty_step:${added.slug}:2`);

    sim.org.updatePolicy(added.slug, { steps: sim.org.getPolicy(added.slug)!.steps.slice(0, 1) });
    await cli(['policy-poll']);
    const emptyStep = await history(['--type', 'rosterwatch.coverage.empty_step']);
    expect(emptyStep.map((e) => coverage(e).state)).toEqual(['open', 'resolved']);

    sim.org.removePolicy(added.slug);
    await cli(['policy-poll']);
    expect((await lastRunEvents('victorops.policy.removed')).map((e) => e.subject)).toEqual([added.slug]);
    expect((await openFindings()).map((f) => f.key)).toContain(`team_without_policy:${team.slug}`);
    const runs = JSON.parse((await cli(['runs', '--json'])).stdout) as { kind: string }[];
    expect(new Set(runs.map((r) => r.kind))).toEqual(new Set(['roster', 'policy']));
    await history();
  });

  it('offboard-check lists teams, policy steps and shifts with ordered steps; only GETs', async () => {
    await cli(['poll']);
    await cli(['policy-poll']);
    const { policy, step, username } = pagedUser();
    const team = sim.org.listTeams().find((t) => t.slug === policy.teamSlug)!;
    if (!sim.org.teamsOfUser(username).some((t) => t.slug === team.slug))
      sim.org.addMember(team.slug, username);
    // Whole seconds: VictorOps (and so the simulator) writes schedule times without milliseconds.
    const wholeSecond = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();
    const start = wholeSecond(Date.now() + 86_400_000);
    const end = wholeSecond(Date.now() + 2 * 86_400_000);
    sim.org.setShifts(team.slug, [
      ...sim.org.listShifts(team.slug).map(({ teamSlug: _t, ...s }) => s),
      { policySlug: policy.slug, rotationName: 'Primary', shiftName: 'Night', username, start, end },
    ]);
    sim.stats.reset();
    const r = await runCli(['offboard-check', username, '--json'], env);
    expect(r.code, r.stderr).toBe(3);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      username,
      existsInVictorOps: true,
      safeToDelete: false,
      sources: { teams: 'live', policies: 'live', schedules: 'live' },
    });
    expect(report.teams.map((t: { slug: string }) => t.slug)).toContain(team.slug);
    expect(report.policySteps).toContainEqual(
      expect.objectContaining({ policy: { slug: policy.slug, name: policy.name }, step }),
    );
    expect(report.shifts).toContainEqual(expect.objectContaining({ shiftName: 'Night', start, end }));
    expect(report.actions.at(-1)).toMatch(/^Only then delete/);
    expect(report.actions[0]).toMatch(/^Remove .* from team/);
    expect(Object.keys(sim.stats.byMethod())).toEqual(['GET']);

    const text = await runCli(['offboard-check', username], env);
    expect(text.code).toBe(3);
    expect(text.stdout).toContain(`step ${step}`);
    expect(text.stdout).toMatch(/what to do, in order:\n {2}1\. Remove/);

    // An unknown name is a mistake to point out, never "safe to delete".
    const unknown = await runCli(['offboard-check', 'nobody.at.all', '--json'], env);
    expect(unknown.code, unknown.stderr).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain('"nobody.at.all" is not a VictorOps user');
    const typo = await runCli(['offboard-check', `${username}x`], env);
    expect(typo.code, typo.stderr).toBe(2);
    expect(typo.stderr).toContain(`did you mean ${username}`);

    // VictorOps unreachable: the stored history answers, and says so
    await sim.close();
    const offline = await runCli(['offboard-check', username, '--json'], {
      ...env,
      VO_MAX_RETRIES: '0',
      VO_TIMEOUT_MS: '500',
    });
    expect(offline.code, offline.stderr).toBe(3);
    expect(JSON.parse(offline.stdout)).toMatchObject({ sources: { teams: 'stored', policies: 'stored' } });
  });

  it('never calls the policy list twice within POLICY_LIST_MIN_INTERVAL_MS across processes', async () => {
    await cli(['poll']);
    await cli(['policy-poll'], { POLICY_LIST_MIN_INTERVAL_MS: '60000' });
    const second = await runCli(['policy-poll', '--no-wait'], {
      ...env,
      POLICY_LIST_MIN_INTERVAL_MS: '60000',
    });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      /policy list was read less than 60000 ms ago .*try again in \d+ s, or leave out --no-wait to wait/,
    );
    expect(
      sim.stats.count({ path: '/v1/policies', method: 'GET' }) - sim.stats.count({ path: '/v1/policies/' }),
    ).toBe(1);
    expect(sim.stats.count({ status: 429 })).toBe(0);
  });

  it('announces failing policy polls after POLL_FAILING_AFTER, and their recovery', async () => {
    await cli(['poll']);
    await cli(['policy-poll']);
    sim.faults.inject({ match: '/v1/policies', kind: 'http503', times: 1000 });
    for (let i = 0; i < 3; i++) {
      const r = await runCli(['policy-poll'], { ...env, VO_MAX_RETRIES: '0', POLL_FAILING_AFTER: '3' });
      expect(r.code).toBe(1);
    }
    const failing = await history(['--type', 'rosterwatch.poll.failing']);
    expect(failing.map((e) => [e.subject, (e.data as { poll: string }).poll])).toEqual([
      ['policy-poll', 'policy'],
    ]);
    sim.faults.clear();
    await cli(['policy-poll'], { POLL_FAILING_AFTER: '3' });
    const recovered = await history(['--type', 'rosterwatch.poll.recovered']);
    expect(recovered.map((e) => e.data)).toEqual([
      expect.objectContaining({ poll: 'policy', failedRuns: 3 }),
    ]);
  });

  it('offboard-check cannot tell (exit 4) when no policy could be read live and none are recorded', async () => {
    await cli(['poll']);
    // A user on no team, paged directly by a policy: only the policies can tell about them.
    const loner = sim.org.listUsers().find((u) => sim.org.teamsOfUser(u.username).length === 0)!;
    const { policy } = pagedUser();
    sim.org.updatePolicy(policy.slug, {
      steps: [
        ...policy.steps,
        { timeout: 5, entries: [{ executionType: 'user', username: loner.username }] },
      ],
    });
    const username = loner.username;
    const slow = { POLICY_LIST_MIN_INTERVAL_MS: '600000' };
    const live = await runCli(['offboard-check', username], { ...env, ...slow });
    expect(live.code, live.stdout).toBe(3); // read live: the policy still pages them
    const again = await runCli(['offboard-check', username, '--json'], { ...env, ...slow });
    expect(again.code, again.stdout).toBe(4); // the list was read seconds ago and nothing is recorded
    expect(JSON.parse(again.stdout)).toMatchObject({ verdict: 'unknown', safeToDelete: false });
  });
});

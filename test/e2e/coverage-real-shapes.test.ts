/**
 * Issue 9's "Done when", through the built CLI against the simulator answering in the real shapes
 * (entries `executionType: "user"` etc., rolls `{start, end}` with offsets, `overrides[]`,
 * `invited_` users): one test per bullet, plus the new findings and events.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudEvent, CoverageEventData } from '../../src/roster/events.js';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { simulatorCliEnv } from '../helpers/cli.js';
import { coverageCli } from '../helpers/coverage-cli.js';

const HOUR = 3_600_000;
let sim: Simulator;
let env: Record<string, string>;

beforeEach(async () => {
  sim = await startSimulator({ users: 12, teams: 3, seed: 9, policyListPerMinute: 0 });
  env = simulatorCliEnv(sim, {
    VO_MAX_RETRIES: '2',
    POLICY_LIST_MIN_INTERVAL_MS: '50',
    LOG_LEVEL: 'warn',
  });
});
afterEach(async () => {
  await sim.close();
});

const { cli, history, openFindings } = coverageCli(() => env);

const finding = (e: CloudEvent) =>
  e.data as CoverageEventData & { policy: { slug: string }; username: string | null; step: number } & Record<
      string,
      unknown
    >;
const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();

function aPerson(username: string, extra: { email?: string; verified?: boolean } = {}) {
  return sim.org.addUser({
    username,
    firstName: username.split(/[._]/)[0] ?? username,
    lastName: 'Test',
    email: extra.email ?? `${username}@example.com`,
    verified: extra.verified ?? true,
  });
}

describe('coverage on the real VictorOps shapes', () => {
  it('users paged directly: two in one step are two references, a swap is a change, a deleted one dangles, offboard-check exits 3 for a policy-only reference', async () => {
    const team = sim.org.addTeam({ name: 'Storage' });
    const ana = aPerson('ana.paged');
    const cole = aPerson('cole.policyonly');
    const dev = aPerson('dev.swap');
    sim.org.addMember(team.slug, ana.username);
    const policy = sim.org.addPolicy({
      name: 'Storage high severity',
      teamSlug: team.slug,
      steps: [
        {
          timeout: 0,
          entries: [
            { executionType: 'user', username: ana.username },
            { executionType: 'user', username: cole.username },
          ],
        },
        { timeout: 15, entries: [{ executionType: 'email', address: 'storage@example.com' }] },
      ],
    });
    await cli(['poll']);
    await cli(['policy-poll']);

    // Referenced only by a policy step: no team, no shift.
    const check = await cli(['offboard-check', cole.username, '--json'], 3);
    expect(JSON.parse(check.stdout)).toMatchObject({
      teams: [],
      shifts: [],
      policySteps: [expect.objectContaining({ policy: { slug: policy.slug, name: policy.name }, step: 1 })],
    });

    sim.org.updatePolicy(policy.slug, {
      steps: [
        {
          timeout: 0,
          entries: [
            { executionType: 'user', username: ana.username },
            { executionType: 'user', username: dev.username },
          ],
        },
        { timeout: 15, entries: [{ executionType: 'email', address: 'storage@example.com' }] },
      ],
    });
    await cli(['policy-poll']);
    const changed = (await history('victorops.policy.changed')).filter((e) => e.subject === policy.slug);
    expect(changed).toHaveLength(1);
    const users = (e: unknown) =>
      (e as { steps: { entries: { kind: string; username?: string }[] }[] }).steps[0]!.entries.map(
        (x) => `${x.kind}:${x.username}`,
      );
    const data = changed[0]!.data as { before: unknown; after: unknown };
    expect(users(data.before)).toEqual([`user:${ana.username}`, `user:${cole.username}`]);
    expect(users(data.after)).toEqual([`user:${ana.username}`, `user:${dev.username}`]);

    sim.org.removeUser(ana.username);
    await cli(['poll']);
    const dangling = (await history('rosterwatch.coverage.dangling_reference')).filter(
      (e) => finding(e).policy.slug === policy.slug,
    );
    expect(dangling.map((e) => [finding(e).username, finding(e).step, finding(e).state])).toEqual([
      [ana.username, 1, 'open'],
    ]);
    expect(finding(dangling[0]!).message).toContain(`'${policy.name}'`);
    expect(finding(dangling[0]!).message).toContain(`still pages ${ana.username}`);
  });

  it('a policy poll over schedules with rolls, offsets and overrides is complete, and an override changes who is on call', async () => {
    const team = sim.org.addTeam({ name: 'Edge' });
    const leaver = aPerson('lee.leaver');
    const cover = aPerson('cam.cover');
    sim.org.addMember(team.slug, leaver.username);
    sim.org.addMember(team.slug, cover.username);
    const policy = sim.org.addPolicy({
      name: 'Edge primary',
      teamSlug: team.slug,
      steps: [
        {
          timeout: 0,
          entries: [{ executionType: 'rotation_group', rotationSlug: 'rtg-edge', rotationLabel: 'Edge' }],
        },
      ],
    });
    const now = Date.now();
    const shift = (username: string, fromH: number, toH: number) => ({
      policySlug: policy.slug,
      rotationName: 'Edge rotation',
      shiftName: 'Primary',
      username,
      start: iso(now + fromH * HOUR),
      end: iso(now + toH * HOUR),
    });
    sim.org.setShifts(team.slug, [
      shift(cover.username, -2, 2),
      shift(leaver.username, 2, 26),
      shift(cover.username, 26, 24 * 20),
    ]);
    // cam covers the whole of lee's shift.
    const override = (toH: number) => ({
      policySlug: policy.slug,
      originalUsername: leaver.username,
      overrideUsername: cover.username,
      start: iso(now + 2 * HOUR),
      end: iso(now + toH * HOUR),
    });
    sim.org.setOverrides(team.slug, [override(26)]);

    await cli(['poll']);
    const baseline = await cli(['policy-poll']);
    expect(baseline.stdout).toMatch(/\(policy\): baseline/);
    expect(baseline.stdout).not.toMatch(/partial|failed/);

    sim.org.removeUser(leaver.username);
    await cli(['poll']);
    const second = await cli(['policy-poll']);
    expect(second.stdout).toMatch(/\(policy\): ok/);
    const onCallKey = (f: { kind: string; key: string }) =>
      f.kind === 'removed_user_on_call' && f.key.includes(leaver.username);
    // Covered by the override: the removed user is not on call at all.
    expect((await openFindings()).filter(onCallKey)).toEqual([]);

    // The override now ends halfway: the rest of the shift is the removed user's again.
    sim.org.setOverrides(team.slug, [override(14)]);
    await cli(['policy-poll']);
    const open = (await openFindings()).filter(onCallKey);
    expect(open).toHaveLength(1);
    const event = (await history('rosterwatch.coverage.removed_user_on_call')).find(
      (e) => finding(e).username === leaver.username,
    )!;
    expect(Date.parse(String(finding(event).start))).toBe(Date.parse(iso(now + 14 * HOUR)));
    expect(Date.parse(String(finding(event).end))).toBe(Date.parse(iso(now + 26 * HOUR)));
  });

  it('invitees: invited, then one registered event (not a removal and an addition), a withdrawn invitation, and the guard ignores withdrawn ones', async () => {
    aPerson('invited_kim.lee_7a1f', { email: 'kim.lee@example.com', verified: false });
    for (let i = 0; i < 6; i += 1) aPerson(`INVITED_temp${i}_0b${i}`, { verified: false });
    await cli(['poll']);
    await cli(['poll']);
    // The baseline is silent; add one more so `invited` is seen as news.
    aPerson('invited_zoe_9c2d', { email: 'zoe@example.com', verified: false });
    await cli(['poll']);
    expect((await history('victorops.user.invited')).map((e) => e.subject)).toEqual(['invited_zoe_9c2d']);
    expect((await history('victorops.user.added')).map((e) => e.subject)).toEqual([]);

    sim.org.removeUser('invited_kim.lee_7a1f');
    aPerson('kim.lee', { email: 'Kim.Lee@example.com' });
    await cli(['poll']);
    const registered = await history('victorops.user.registered');
    expect(registered).toHaveLength(1);
    expect(registered[0]!.data).toMatchObject({ invitedAs: 'invited_kim.lee_7a1f', username: 'kim.lee' });
    const runId = registered[0]!.runid;
    const sameRun = JSON.parse((await cli(['history', '--json'])).stdout) as CloudEvent[];
    expect(sameRun.filter((e) => e.runid === runId).map((e) => e.type)).toEqual([
      'victorops.user.registered',
    ]);

    // Six invitations out of 20 users withdrawn at once: more than the guard's 20 %, but no people.
    for (let i = 0; i < 6; i += 1) sim.org.removeUser(`INVITED_temp${i}_0b${i}`);
    const poll = await cli(['poll']);
    expect(poll.stdout).not.toMatch(/held/);
    expect((await history('victorops.user.invite_withdrawn')).map((e) => e.subject).sort()).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => `INVITED_temp${i}_0b${i}`),
    );
    expect(await history('rosterwatch.guard.held')).toEqual([]);
    expect(await history('victorops.user.removed')).toEqual([]);
  });

  it('people who cannot be paged and rotations with nobody: unverified_on_call, nobody_on_call, policy_routing to a missing policy', async () => {
    const team = sim.org.addTeam({ name: 'Quiet' });
    const unverified = aPerson('una.unverified', { verified: false });
    const invitee = aPerson('invited_ivy_1f2e', { email: 'ivy@example.com', verified: false });
    sim.org.addMember(team.slug, unverified.username);
    const fallback = sim.org.addPolicy({
      name: 'Quiet fallback',
      teamSlug: team.slug,
      steps: [{ timeout: 0, entries: [{ executionType: 'user', username: invitee.username }] }],
    });
    const policy = sim.org.addPolicy({
      name: 'Quiet primary',
      teamSlug: team.slug,
      steps: [
        {
          timeout: 0,
          entries: [{ executionType: 'rotation_group', rotationSlug: 'rtg-q', rotationLabel: 'Quiet' }],
        },
        { timeout: 10, entries: [{ executionType: 'policy_routing', policySlug: fallback.slug }] },
      ],
    });
    const now = Date.now();
    // una holds the next 3 days; after that nobody until the schedule window ends.
    sim.org.setShifts(team.slug, [
      {
        policySlug: policy.slug,
        rotationName: 'Quiet rotation',
        shiftName: 'Primary',
        username: unverified.username,
        start: iso(now - HOUR),
        end: iso(now + 72 * HOUR),
      },
    ]);
    await cli(['poll']);
    await cli(['policy-poll']);
    const findings = await openFindings();
    const mine = (kind: string, part: string) =>
      findings.filter((f) => f.kind === kind && f.key.includes(part));
    expect(mine('unverified_on_call', 'una.unverified')[0]?.message).toMatch(
      /^una\.unverified is listed by VictorOps as not having verified their email, so VictorOps may not page them, yet una\.unverified is on call for team Quiet, rotation 'Quiet rotation', from .* UTC: have them verify their email in VictorOps or reassign\.$/,
    );
    expect(mine('unverified_on_call', 'invited_ivy_1f2e')[0]?.message).toContain(
      `is a pending invitation, not an account yet, so VictorOps cannot page them, yet invited_ivy_1f2e is paged directly by 'Quiet fallback' step 1`,
    );
    const nobody = mine('nobody_on_call', team.slug);
    expect(nobody).toHaveLength(1);
    expect(nobody[0]!.message).toMatch(
      /^Nobody is on call for team Quiet, rotation 'Quiet rotation' \(policy 'Quiet primary'; shift 'Primary'\)/,
    );

    sim.org.removePolicy(fallback.slug);
    await cli(['policy-poll']);
    const dangling = (await history('rosterwatch.coverage.dangling_reference')).filter(
      (e) => finding(e).targetPolicy === fallback.slug,
    );
    expect(dangling).toHaveLength(1);
    expect(finding(dangling[0]!)).toMatchObject({ username: null, step: 2, policy: { slug: policy.slug } });
    expect(finding(dangling[0]!).message).toContain(
      `routes to policy ${fallback.slug}, which no longer exists`,
    );
  });
});

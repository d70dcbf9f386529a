/**
 * On-call hours through the built CLI against the simulator: a two-person 12-hour rotation with
 * an override. The report's hours per person over 48 hours must equal the hours counted minute by
 * minute from the schedule the simulator served (a separate, naive reading of its JSON), and
 * `oncall-at` must name the right person before, during and after the override.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { runCli, simulatorCliEnv } from '../helpers/cli.js';
import { simRequest } from '../helpers/sim-http.js';

let sim: Simulator;
let env: Record<string, string>;

beforeEach(async () => {
  sim = await startSimulator({ users: 12, teams: 3, seed: 23, policyListPerMinute: 0 });
  env = simulatorCliEnv(sim, { POLICY_LIST_MIN_INTERVAL_MS: '0', LOG_LEVEL: 'warn' });
});
afterEach(async () => {
  await sim.close();
});

async function cli(args: string[]) {
  const r = await runCli(args, env);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface ServedRoll {
  start: string;
  end: string;
  onCallUser?: { username: string };
}
interface ServedOverride {
  origOnCallUser?: { username: string };
  overrideOnCallUser?: { username: string };
  start: string;
  end: string;
}
interface ServedSchedule {
  schedules: {
    policy: { slug: string };
    schedule: { rolls: ServedRoll[] }[];
    overrides: ServedOverride[];
  }[];
}

/** Minutes per person in [from, to) for one policy, read straight from the served JSON. */
function minutesFromServed(body: ServedSchedule, policySlug: string, fromMs: number, toMs: number) {
  const schedule = body.schedules.find((s) => s.policy.slug === policySlug);
  if (!schedule) throw new Error(`the simulator served no schedule for ${policySlug}`);
  const minutes = new Map<string, number>();
  for (let t = fromMs; t < toMs; t += 60_000) {
    const here = new Set<string>();
    for (const rotation of schedule.schedule) {
      const roll = rotation.rolls.find((r) => Date.parse(r.start) <= t && t < Date.parse(r.end));
      if (!roll?.onCallUser) continue;
      const covering = schedule.overrides.find(
        (o) =>
          o.origOnCallUser?.username === roll.onCallUser?.username &&
          Date.parse(o.start) <= t &&
          t < Date.parse(o.end),
      );
      here.add(covering?.overrideOnCallUser?.username ?? roll.onCallUser.username);
    }
    for (const person of here) minutes.set(person, (minutes.get(person) ?? 0) + 1);
  }
  return minutes;
}

describe('on-call hours', () => {
  it('a two-person 12-hour rotation with an override: report hours match the served schedule; oncall-at around the override', async () => {
    await cli(['poll']);
    await cli(['policy-poll']);

    const policy = sim.org.listPolicies()[0]!;
    const team = policy.teamSlug;
    const [ann, bob, cat] = sim.org.listUsers().map((u) => u.username);
    const origin = Math.floor(Date.now() / H) * H - 5 * H;
    const rolls = Array.from({ length: 12 }, (_, i) => ({
      policySlug: policy.slug,
      rotationName: 'Follow the clock',
      shiftName: '12h',
      username: i % 2 === 0 ? ann! : bob!,
      start: iso(origin + i * 12 * H),
      end: iso(origin + (i + 1) * 12 * H),
    }));
    // The team's other policies keep nothing: only this rotation is on call in the team.
    sim.org.setShifts(team, rolls);
    // cat covers 5 hours of bob's first night, starting 3 hours into it.
    const override = { start: origin + 15 * H, end: origin + 20 * H };
    sim.org.setOverrides(team, [
      {
        policySlug: policy.slug,
        originalUsername: bob!,
        overrideUsername: cat!,
        start: iso(override.start),
        end: iso(override.end),
      },
    ]);
    await cli(['policy-poll']);

    // 48 hours from the next whole hour: after the read, so the latest read answers for all of it.
    const from = Math.ceil(Date.now() / H) * H;
    const to = from + 48 * H;
    const served = await simRequest(`${sim.url}/v2/team/${team}/oncall/schedule?daysForward=14`);
    expect(served.status).toBe(200);
    const expected = minutesFromServed(served.json as ServedSchedule, policy.slug, from, to);
    expect([...expected.keys()].sort()).toEqual([ann, bob, cat].sort());

    const report = JSON.parse(
      (await cli(['oncall-report', '--from', iso(from), '--to', iso(to), '--team', team, '--json'])).stdout,
    ) as {
      from: string;
      to: string;
      rows: { username: string; policy: { slug: string }; hours: number; overrideHours: number }[];
    };
    expect(report.from).toBe(iso(from));
    const rows = report.rows.filter((r) => r.policy.slug === policy.slug);
    expect(rows.map((r) => r.username).sort()).toEqual([ann, bob, cat].sort());
    for (const row of rows) {
      expect(Math.abs(row.hours * 60 - (expected.get(row.username) ?? 0)), row.username).toBeLessThanOrEqual(
        1,
      );
    }
    expect(rows.reduce((sum, r) => sum + r.hours, 0)).toBeCloseTo(48, 2);
    const catRow = rows.find((r) => r.username === cat)!;
    expect(catRow.overrideHours).toBeCloseTo(catRow.hours, 5);
    expect(catRow.hours).toBeGreaterThan(0);

    // The same through --policy, as CSV, and as the text table with totals.
    const csv = (
      await cli(['oncall-report', '--from', iso(from), '--to', iso(to), '--policy', policy.slug, '--csv'])
    ).stdout;
    expect(csv.split('\r\n')[0]).toBe(
      'username,displayName,team,policy,hours,businessHours,outOfHoursHours,weekendHours,holidayHours,overrideHours',
    );
    expect(csv.trim().split('\r\n')).toHaveLength(4);
    const table = (
      await cli(['oncall-report', '--from', iso(from), '--to', iso(to), '--policy', policy.slug])
    ).stdout;
    expect(table).toMatch(/^total\s+48\.00\s/m);

    const at = async (ms: number) =>
      (
        JSON.parse((await cli(['oncall-at', iso(ms), '--policy', policy.slug, '--json'])).stdout) as {
          username: string;
          overrideFor: string | null;
        }[]
      ).map((e) => [e.username, e.overrideFor]);
    expect(await at(override.start - 60_000)).toEqual([[bob, null]]);
    expect(await at(override.start)).toEqual([[cat, bob]]);
    expect(await at(override.end - 60_000)).toEqual([[cat, bob]]);
    expect(await at(override.end)).toEqual([[bob, null]]);
    const text = (await cli(['oncall-at', iso(override.start + H), '--policy', policy.slug])).stdout;
    expect(text).toContain(`${cat} (override for ${bob})`);
  });

  it('refuses a routing key before any were read, and a window that ends before it starts', async () => {
    await cli(['poll']);
    const key = await runCli(['oncall-at', 'now', '--routing-key', 'db-critical'], env);
    expect(key.code).toBe(1);
    expect(key.stderr).toMatch(/routing keys have not been read yet \(run `policy-poll`/);
    const backwards = await runCli(['oncall-report', '--from', '2026-12-02', '--to', '2026-12-01'], env);
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toMatch(/--from .* must be before --to/);
  });
});

/**
 * What a new user tripped over (issue 19 item 4), through the built CLI against the simulator.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { runCli, simulatorCliEnv } from '../helpers/cli.js';

let sim: Simulator;
let env: Record<string, string>;

beforeEach(async () => {
  sim = await startSimulator({ users: 12, teams: 3, seed: 19, policyListPerMinute: 0 });
  env = simulatorCliEnv(sim, { VO_MAX_RETRIES: '2', POLICY_LIST_MIN_INTERVAL_MS: '50', LOG_LEVEL: 'warn' });
});
afterEach(() => sim.close());

/** Runs the CLI and expects exit 0 (the failure message carries stderr). */
const cli = async (args: string[], extra: Record<string, string> = {}) => {
  const result = await runCli(args, { ...env, ...extra });
  expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result;
};

describe('new-user frictions', () => {
  it('coverage before any policy poll says none has run (and what to run), not "no open findings"', async () => {
    await cli(['poll']);
    const before = await cli(['coverage']);
    expect(before.stdout).toMatch(/no policy poll has run yet/);
    expect(before.stdout).toMatch(/roster-watch policy-poll/);
    expect(before.stdout).not.toMatch(/no open coverage findings/);
    await cli(['policy-poll']);
    expect((await cli(['coverage'])).stdout).not.toMatch(/no policy poll has run yet/);
  });

  it('policy-poll right after doctor waits out the policy list interval, saying why and how long, instead of refusing', async () => {
    const paced = { POLICY_LIST_MIN_INTERVAL_MS: '12000' };
    await cli(['poll']);
    await cli(['doctor'], paced);
    const policyPoll = await cli(['policy-poll'], paced);
    expect(policyPoll.stdout).toMatch(/run \d+ \(policy\): baseline/);
    expect(policyPoll.stderr).toMatch(
      /policy list was read \d+ s ago \(by doctor, a poll or the daemon\).*one call a minute.*waiting \d+ s/,
    );
    // Doctor's read and the poll's, never closer than the interval: the documented limit is kept.
    const listReads =
      sim.stats.count({ path: '/v1/policies', method: 'GET' }) - sim.stats.count({ path: '/v1/policies/' });
    expect(listReads).toBe(2);
  });

  it('every --since accepts what its --help offers: history and redeliver take 7d', async () => {
    await cli(['poll']);
    for (const command of ['history', 'redeliver']) {
      expect((await cli([command, '--help'])).stdout).toMatch(/--since <when>[\s\S]*7d/);
    }
    expect(JSON.parse((await cli(['history', '--since', '7d', '--json'])).stdout)).toEqual(expect.any(Array));
    expect((await cli(['redeliver', '--since', '7d'])).stdout).toMatch(/re-queued \d+ deliveries/);
    const bad = await runCli(['history', '--since', '7 days'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/duration back from now such as 7d/);
  });

  it('runs and deliveries print one table style: a header, aligned columns, no tabs', async () => {
    // A destination nobody listens on: the baseline's delivery stays pending and is listed.
    const webhook = {
      WEBHOOK_URLS: 'http://127.0.0.1:9/hook',
      WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
    };
    await cli(['poll', '--no-deliver'], webhook);
    await cli(['policy-poll', '--no-deliver'], webhook);
    for (const command of ['runs', 'deliveries']) {
      const lines = (await cli([command], webhook)).stdout.trimEnd().split('\n');
      expect(lines[0], command).toMatch(
        command === 'runs' ? /^run {2}kind {4}/ : /^id {2,}status {2,}destination/,
      );
      expect(lines.length, command).toBeGreaterThan(1);
      for (const line of lines) expect(line, command).not.toMatch(/\t/);
      // The second column starts at the same place on every row.
      const second = lines[0]!.indexOf(command === 'runs' ? 'kind' : 'status');
      for (const line of lines.slice(1))
        expect(line.slice(second - 2, second), `${command}: ${line}`).toBe('  ');
    }
  });

  it('fetch shows team names, not slugs; history --team takes a name as well as a slug', async () => {
    const team = sim.org.listTeams()[0]!;
    const fetched = (await cli(['fetch'])).stdout;
    const inBrackets = (text: string) =>
      new RegExp(`\\[([^\\]]*, )?${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(, [^\\]]*)?\\]`);
    expect(fetched).toMatch(inBrackets(team.name));
    expect(fetched).not.toMatch(inBrackets(team.slug));
    expect(fetched).toMatch(/^team {2,}slug$/m);
    await cli(['poll']);
    sim.org.renameTeam(team.slug, `${team.name} Renamed`);
    await cli(['poll']);
    const bySlug = JSON.parse((await cli(['history', '--team', team.slug, '--json'])).stdout);
    const byName = JSON.parse((await cli(['history', '--team', `${team.name} renamed`, '--json'])).stdout);
    expect(bySlug.length).toBeGreaterThan(0);
    expect(byName).toEqual(bySlug);
  });
});

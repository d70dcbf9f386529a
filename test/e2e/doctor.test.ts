/** `roster-watch doctor` through the built CLI against the simulator: GET only, one line per check, exit 0/1/2. */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { runCli, simulatorCliEnv } from '../helpers/cli.js';

let sim: Simulator;
let env: Record<string, string>;

beforeEach(async () => {
  sim = await startSimulator({ users: 40, teams: 6, seed: 12, policyListPerMinute: 0 });
  sim.org.addUser({
    username: 'invited_new.hire_3f9a',
    firstName: 'New',
    lastName: 'Hire',
    email: 'new.hire@example.com',
  });
  env = simulatorCliEnv(sim, {
    VO_MAX_RPS: '4',
    VO_MAX_RETRIES: '1',
    POLICY_LIST_MIN_INTERVAL_MS: '50',
    LOG_LEVEL: 'warn',
  });
});
afterEach(async () => {
  await sim.close();
});

describe('roster-watch doctor', () => {
  it('checks every endpoint class once with GETs and says what a poll will cost', async () => {
    const r = await runCli(['doctor'], env);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const users = sim.org.listUsers().length;
    const teams = sim.org.listTeams().length;
    const policies = sim.org.listPolicies().length;
    expect(lines.filter((l) => l.startsWith('ok '))).toEqual([
      expect.stringMatching(/^ok {3}configuration: VO_BASE_URL http/),
      expect.stringMatching(/^ok {3}database: /),
      `ok   credentials and user list (GET /v1/user): ${users} users`,
      `ok   team list (GET /v1/team): ${teams} teams`,
      expect.stringMatching(
        /^ok {3}one membership read \(GET \/v1\/team\/\{team\}\/members\): team .*: \d+ members$/,
      ),
      `ok   policy list (GET /v1/policies): ${policies} escalation policies`,
      expect.stringMatching(
        /^ok {3}one policy detail \(GET \/v1\/policies\/\{policy\}\): (1 step|\d+ steps)$/,
      ),
      expect.stringMatching(
        /^ok {3}one on-call schedule \(GET \/v2\/team\/\{team\}\/oncall\/schedule\): team /,
      ),
      'ok   routing keys (GET /v1/org/routing-keys): 0 routing keys',
      expect.stringMatching(
        /^ok {3}one person's contact methods \(GET \/v1\/user\/\{user\}\/contact-methods\): \d+ phones?, \d+ emails?, \d+ devices?$/,
      ),
      expect.stringMatching(
        /^ok {3}one person's paging policy \(GET \/v1\/profile\/\{user\}\/policies\): \d+ steps?$/,
      ),
    ]);
    expect(lines).toContain(
      `strategy: auto picks per-team membership reads (${teams} per team vs ${users} per user)`,
    );
    expect(lines.find((l) => l.startsWith('org: '))).toMatch(
      new RegExp(
        `^org: ${users - 1} users \\(\\d+ unverified\\), 1 pending invitation, ${teams} teams, ${policies} escalation policies$`,
      ),
    );
    const roster = 2 + teams;
    expect(lines).toContain(
      `roster poll: ${roster} requests, about ${Math.ceil(roster / 4)} s at VO_MAX_RPS=4`,
    );
    const policy = 2 + policies + teams;
    expect(lines).toContain(
      `policy poll: ${policy} requests, about ${Math.ceil(policy / 4)} s at VO_MAX_RPS=4`,
    );
    expect(lines).toContain(
      `contacts poll (CONTACTS_SCHEDULE): ${2 * (users - 1)} requests to read everyone, about ${users - 1} s at one paging-policy read a second; afterwards the people who can be paged each poll and a slice of the rest`,
    );
    // schedule by cost: at the budget's pace (VO_RATE_PACE 0.8 of 4), a poll this small fits every minute
    expect(lines).toContain(
      `recommended POLICY_SCHEDULE: '* * * * *' or less often (a policy poll takes about ${Math.ceil(policy / 3.2)} s at the budget's pace of 3.2 requests a second, with room for roster polls)`,
    );
    expect(Object.keys(sim.stats.byMethod())).toEqual(['GET']);
    // One read per endpoint class: 6, the routing keys, then one person's contact methods and paging policy.
    expect(sim.stats.count()).toBe(9);
  });

  it('counts the routing keys and warns about keys that route nowhere', async () => {
    const policy = sim.org.listPolicies()[0]!;
    sim.org.setRoutingKey({ routingKey: '.+', targets: [policy.slug], isDefault: true });
    sim.org.setRoutingKey({ routingKey: 'legacy-billing', targets: [], isDefault: false });
    const r = await runCli(['doctor'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'ok   routing keys (GET /v1/org/routing-keys): 2 routing keys; warning: 1 key has no target, so alerts to it page nobody (legacy-billing)',
    );
  });

  it('exits 1 with a FAIL line naming the problem and what to do for a wrong key', async () => {
    const r = await runCli(['doctor'], { ...env, VO_API_KEY: 'wrong-key', VO_MAX_RETRIES: '0' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^FAIL credentials and user list \(GET \/v1\/user\): .*check that VO_API_ID and VO_API_KEY/m,
    );
    expect(r.stdout).not.toContain('wrong-key');
    expect(r.stderr).toContain('a check failed');
  });

  it('exits 1 naming the endpoint class and field when a body does not match', async () => {
    sim.faults.inject({ match: '/oncall/schedule', kind: 'wrongShape200', times: 10 });
    const r = await runCli(['doctor'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'FAIL one on-call schedule (GET /v2/team/{team}/oncall/schedule): v2/team/{team}/oncall/schedule: schedules[0].schedule[0].rolls[0].start: expected string',
    );
  });

  it('a contact-methods or paging-policy answer that is not JSON fails naming the problem, never quoting the body', async () => {
    // A real contact-methods answer cut short: what it would quote holds an email address.
    const fixture = readFileSync('test/fixtures/victorops/v1-user-contact-methods.json', 'utf8');
    const cut = fixture.slice(0, fixture.indexOf('jane.doe@example.com') + 40);
    sim.faults.inject({ match: '/contact-methods', kind: 'malformed', body: cut, times: 10 });
    sim.faults.inject({ match: '/v1/profile/', kind: 'malformed', times: 10 });
    const r = await runCli(['doctor'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^FAIL one person's contact methods \(GET \/v1\/user\/\{user\}\/contact-methods\): GET \/v1\/user\/[^/]+\/contact-methods: the answer was not the expected JSON$/m,
    );
    expect(r.stdout).toMatch(
      /^FAIL one person's paging policy \(GET \/v1\/profile\/\{user\}\/policies\): GET \/v1\/profile\/[^/]+\/policies: the answer was not the expected JSON$/m,
    );
    for (const quoted of ['jane.doe', 'example.com', '{"users"', 'contactMethods'])
      expect(`${r.stdout}${r.stderr}`).not.toContain(quoted);
  });

  it('exits 2 on a configuration problem, before any request', async () => {
    const { VO_API_KEY: _key, ...withoutKey } = env;
    const r = await runCli(['doctor'], withoutKey);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('VO_API_KEY');
    expect(sim.stats.count()).toBe(0);
  });
});

/** A port nothing listens on: bound, then closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** doctor with the default retries, timed: every failure mode ends with exit 1 within 30 s. */
async function timedDoctor(overrides: Record<string, string>) {
  const { VO_MAX_RETRIES: _retries, ...defaults } = env;
  const started = Date.now();
  const r = await runCli(['doctor'], { ...defaults, ...overrides }, { timeoutMs: 90_000 });
  const seconds = (Date.now() - started) / 1000;
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
  expect(seconds, r.stdout).toBeLessThanOrEqual(30);
  expect(r.stdout).toMatch(
    /^skip one policy detail.*: not run: "credentials and user list \(GET \/v1\/user\)" failed/m,
  );
  return r;
}

describe('roster-watch doctor in every failure mode (each timed: exit 1 within 30 s)', () => {
  it('a bare 403 on every request: prints each retry as it goes, then names both causes', async () => {
    const r = await timedDoctor({ VO_API_KEY: 'wrong-key' });
    expect(r.stdout).toMatch(/^ {5}GET \/v1\/user: retrying 1\/3 in \d+\.\d s after 403…$/m);
    expect(r.stdout).toMatch(/^ {5}GET \/v1\/user: retrying 3\/3 in \d+\.\d s after 403…$/m);
    const fail = r.stdout.split('\n').find((l) => l.startsWith('FAIL credentials'))!;
    expect(fail).toContain('answered 403 on every attempt');
    expect(fail).toContain('both to a wrong key and to a rate limit');
    expect(fail).toContain('VO_API_ID and VO_API_KEY');
    expect(fail).toContain('no other process');
    expect(r.stdout).not.toContain('wrong-key');
    // Only the user list was tried (1 + 3 retries): the other checks would only meet the same 403.
    expect(sim.stats.count()).toBe(4);
  });

  it('nothing listening at VO_BASE_URL', async () => {
    const port = await closedPort();
    const r = await timedDoctor({ VO_BASE_URL: `http://127.0.0.1:${port}/api-public` });
    expect(r.stdout).toContain('nothing is listening at that address (connection refused)');
    expect(r.stdout).toMatch(/retrying 1\/\d+ in \d+\.\d s after connection refused…/);
  });

  it('https:// to a server that speaks plain HTTP: a TLS mismatch, said in words', async () => {
    const r = await timedDoctor({ VO_BASE_URL: sim.url.replace(/^http:/, 'https:') });
    const fail = r.stdout.split('\n').find((l) => l.startsWith('FAIL credentials'))!;
    expect(fail).toContain('TLS mismatch: VO_BASE_URL says https');
    expect(fail).not.toMatch(/SSL routines|ssl3_get_record|openssl/i);
    // Not retried: the scheme does not fix itself.
    expect(r.stdout).not.toContain('retrying');
  });

  it('a server that accepts and never answers', async () => {
    sim.faults.inject({ match: '/v1/user', kind: 'hang', times: 50 });
    const r = await timedDoctor({});
    expect(r.stdout).toMatch(/^FAIL credentials and user list \(GET \/v1\/user\): no answer within 6 s/m);
  });
});

/**
 * Issue 18 part A through the built CLI against the simulator: routing keys read once per policy
 * poll, kept with history and announced as events, and the key-level reachability findings
 * (`routing_key_unrouted`, `routing_key_unstaffed`) opening and resolving.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { simulatorCliEnv } from '../helpers/cli.js';
import { coverageCli } from '../helpers/coverage-cli.js';
import { staffRotation, teamWithRotation } from '../helpers/routing-key-org.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let sim: Simulator;
let env: Record<string, string>;
let base: number;

beforeEach(async () => {
  sim = await startSimulator({ users: 6, teams: 1, seed: 18, policyListPerMinute: 0 });
  env = simulatorCliEnv(sim, { VO_MAX_RETRIES: '1', POLICY_LIST_MIN_INTERVAL_MS: '50', LOG_LEVEL: 'warn' });
  base = Math.floor(Date.now() / HOUR) * HOUR - DAY;
});
afterEach(async () => {
  await sim.close();
});

const { cli, history, openFindings } = coverageCli(() => env);

const teamWith = (name: string, staffed: boolean) =>
  teamWithRotation(sim, name, staffed ? { start: base, end: base + 20 * DAY } : null);

const keyFindings = async () =>
  (await openFindings())
    .filter((f) => f.kind.startsWith('routing_key_'))
    .map((f) => [f.kind, f.finding.routingKey]);

describe('routing keys and key-level reachability', () => {
  it('a key with no targets and a key whose only policy has nobody on call are findings, a staffed key is not; resolved when staffed', async () => {
    const web = teamWith('Web', true);
    const db = teamWith('Db', false);
    sim.org.setRoutingKey({ routingKey: '.+', targets: [web.policy.slug], isDefault: true });
    sim.org.setRoutingKey({ routingKey: 'web-critical', targets: [web.policy.slug], isDefault: false });
    sim.org.setRoutingKey({ routingKey: 'db-critical', targets: [db.policy.slug], isDefault: false });
    sim.org.setRoutingKey({ routingKey: 'legacy-billing', targets: [], isDefault: false });
    await cli(['poll']);
    sim.stats.reset();
    await cli(['policy-poll']);
    // One request for the keys in a policy poll.
    expect(sim.stats.count({ path: '/v1/org/routing-keys' })).toBe(1);

    expect(await keyFindings()).toEqual([
      ['routing_key_unrouted', 'legacy-billing'],
      ['routing_key_unstaffed', 'db-critical'],
    ]);
    const unstaffed = (await openFindings()).find((f) => f.kind === 'routing_key_unstaffed');
    expect(unstaffed?.message).toMatch(
      /^Alerts to routing key db-critical reach nobody from .* \(Db primary: rotation Db has no one on call\)/,
    );
    expect(
      (await history('rosterwatch.coverage.routing_key_unstaffed')).map(
        (e) => (e.data as { state: string }).state,
      ),
    ).toEqual(['open']);
    // The first read of the keys records them without announcing each as added.
    expect(await history('victorops.routing_key.added')).toEqual([]);

    staffRotation(sim, db.team.slug, db.policy.slug, 'Db', {
      username: db.lead,
      start: base,
      end: base + 20 * DAY,
    });
    await cli(['policy-poll']);
    expect(await keyFindings()).toEqual([['routing_key_unrouted', 'legacy-billing']]);
    const lifecycle = (await history('rosterwatch.coverage.routing_key_unstaffed')).map((e) => [
      e.subject,
      (e.data as { state: string }).state,
    ]);
    expect(lifecycle).toEqual([
      ['db-critical', 'open'],
      ['db-critical', 'resolved'],
    ]);
  });

  it('key changes are events with history; deleting a policy removes the key whose only target it was; an exempt key opens nothing', async () => {
    const web = teamWith('Web', true);
    const db = teamWith('Db', true);
    sim.org.setRoutingKey({ routingKey: 'db-critical', targets: [db.policy.slug], isDefault: false });
    sim.org.setRoutingKey({ routingKey: 'webhook-only', targets: [], isDefault: false });
    env = { ...env, REACH_EXEMPT: 'webhook-*=feeds the chat webhook on purpose' };
    await cli(['poll']);
    await cli(['policy-poll']);
    expect(await keyFindings()).toEqual([]);

    sim.org.setRoutingKey({ routingKey: 'web-critical', targets: [web.policy.slug], isDefault: false });
    sim.org.setRoutingKey({ routingKey: 'webhook-only', targets: [web.policy.slug], isDefault: false });
    sim.org.removePolicy(db.policy.slug);
    await cli(['policy-poll']);
    expect((await history('victorops.routing_key.added')).map((e) => e.subject)).toEqual(['web-critical']);
    expect((await history('victorops.routing_key.removed')).map((e) => e.subject)).toEqual(['db-critical']);
    const changed = await history('victorops.routing_key.changed');
    expect(changed.map((e) => [e.subject, e.data])).toEqual([
      [
        'webhook-only',
        expect.objectContaining({
          changes: [{ field: 'targets', before: '(no targets)', after: `${web.policy.slug} (Web primary)` }],
        }),
      ],
    ]);
  });

  it('a failed read of the keys reports no key removed and keeps the findings', async () => {
    teamWith('Web', true);
    sim.org.setRoutingKey({ routingKey: 'legacy-billing', targets: [], isDefault: false });
    await cli(['poll']);
    await cli(['policy-poll']);
    sim.faults.inject({ match: '/v1/org/routing-keys', kind: 'http500', times: 1000 });
    await cli(['policy-poll']);
    expect(await history('victorops.routing_key.removed')).toEqual([]);
    expect(await keyFindings()).toEqual([['routing_key_unrouted', 'legacy-billing']]);
  });

  it('offboard-check names the routing keys that would reach nobody without the user', async () => {
    const web = teamWith('Web', true);
    sim.org.setRoutingKey({ routingKey: 'web-critical', targets: [web.policy.slug], isDefault: false });
    await cli(['poll']);
    await cli(['policy-poll']);
    const text = await cli(['offboard-check', web.lead], 3);
    expect(text.stdout).toContain('routing keys that would reach nobody without them (1):');
    expect(text.stdout).toMatch(
      /Give routing key web-critical someone else: without web\.lead, alerts to it reach nobody from /,
    );
    const json = JSON.parse((await cli(['offboard-check', web.lead, '--json'], 3)).stdout);
    expect(json.routingKeys.map((k: { routingKey: string }) => k.routingKey)).toEqual(['web-critical']);
  });

  it('oncall-at --routing-key answers for the policies the key targeted at that instant, as recorded then', async () => {
    const web = teamWith('Web', true);
    const db = teamWith('Db', true);
    sim.org.setRoutingKey({ routingKey: 'svc-critical', targets: [web.policy.slug], isDefault: false });
    sim.org.setRoutingKey({ routingKey: 'legacy-billing', targets: [], isDefault: false });
    await cli(['poll']);
    await cli(['policy-poll']);
    const beforeChange = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    sim.org.setRoutingKey({ routingKey: 'svc-critical', targets: [db.policy.slug], isDefault: false });
    await cli(['policy-poll']);

    const onCall = async (at: string) =>
      (
        JSON.parse((await cli(['oncall-at', at, '--routing-key', 'svc-critical', '--json'])).stdout) as {
          username: string;
          policySlug: string;
        }[]
      ).map((e) => [e.policySlug, e.username]);
    expect(await onCall(beforeChange)).toEqual([[web.policy.slug, web.lead]]);
    expect(await onCall('now')).toEqual([[db.policy.slug, db.lead]]);
    const text = (await cli(['oncall-at', 'now', '--routing-key', 'svc-critical'])).stdout;
    expect(text).toContain(`routing key svc-critical at `);
    expect(text).toContain(`${db.policy.slug} (Db primary)`);
    expect(text).toMatch(new RegExp(`Db primary \\(${db.policy.slug}\\) · Db.*: ${db.lead}`));

    const empty = await cli(['oncall-at', 'now', '--routing-key', 'legacy-billing']);
    expect(empty.stdout).toContain('it had no targets: alerts to it reached nobody');
    const unknown = await cli(['oncall-at', 'now', '--routing-key', 'db-critical'], 2);
    expect(unknown.stderr).toMatch(/"db-critical" was not a routing key at .*legacy-billing, svc-critical/);
    const early = await cli(['oncall-at', new Date(base).toISOString(), '--routing-key', 'svc-critical'], 1);
    expect(early.stderr).toMatch(/routing keys were first read at .*; nothing is recorded for/);
  });
});

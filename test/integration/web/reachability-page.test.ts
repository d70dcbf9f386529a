/**
 * The Reachability page (`/ui/reachability`) and the routing keys on a policy page, over a history
 * the App's own polls recorded from the simulator: each key → its policies → who is on call now and
 * next, the gaps highlighted from the open key findings, and an exempt key's reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';
import { openStore, type Store } from '../../../src/store/db.js';
import type { UiServer } from '../../../src/web/serve.js';
import { tempDatabase } from '../../helpers/cli.js';
import { teamWithRotation } from '../../helpers/routing-key-org.js';
import { pollOnce, simConfig, withApp } from '../../helpers/sim-app.js';
import { startTestUi } from '../../helpers/ui-server.js';

const HOUR = 3_600_000;
let sim: Simulator;
let store: Store;
let server: UiServer;
let base: string;
let dbSlug: string;
let webSlug: string;
let config: ReturnType<typeof simConfig>;

beforeAll(async () => {
  sim = await startSimulator({ users: 3, teams: 1, seed: 18, policyListPerMinute: 0 });
  const start = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
  const teamWith = (name: string, staffed: boolean) =>
    teamWithRotation(sim, name, staffed ? { start, end: start + 30 * 24 * HOUR } : null).policy.slug;
  webSlug = teamWith('Web', true);
  dbSlug = teamWith('Db', false);
  sim.org.setRoutingKey({ routingKey: 'web-critical', targets: [webSlug], isDefault: false });
  sim.org.setRoutingKey({ routingKey: 'db-critical', targets: [dbSlug], isDefault: false });
  sim.org.setRoutingKey({ routingKey: 'legacy-billing', targets: [], isDefault: false });
  sim.org.setRoutingKey({ routingKey: 'webhook-feed', targets: [], isDefault: false });
  const path = tempDatabase();
  config = simConfig(sim, path, {
    POLICY_LIST_MIN_INTERVAL_MS: '0',
    REACH_EXEMPT: 'webhook-*=feeds chat on purpose',
  });
  await pollOnce(config);
  await withApp(config, (app) => app.pollPolicies(new AbortController().signal));
  store = openStore(path, { readonly: true });
  server = await startTestUi(store, {
    reachExemptions: config.reach.exemptions,
  });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
  store?.close();
  await sim?.close();
});

async function get(path: string): Promise<string> {
  const res = await fetch(`${base}${path}`);
  expect(res.status, path).toBe(200);
  return res.text();
}

/** The table row (`<tr>…</tr>`) that mentions `text`. */
function rowOf(html: string, text: string): string {
  const at = html.indexOf(text, html.indexOf('id="t-routing-keys"'));
  expect(at, text).toBeGreaterThan(0);
  return html.slice(html.lastIndexOf('<tr', at), html.indexOf('</tr>', at));
}

describe('the Reachability page', () => {
  it('is linked from the header nav', async () => {
    expect(await get('/ui')).toContain('href="/ui/reachability"');
  });

  it('shows each key with its policy, who is on call now, the gaps and the reachable column', async () => {
    const html = await get('/ui/reachability');
    const web = rowOf(html, 'web-critical');
    expect(web).toContain(`href="/ui/policies/${webSlug}"`);
    expect(web).toContain('web.lead');
    expect(web).toContain('none in the read schedule');
    expect(web).toContain('not read yet');
    const db = rowOf(html, 'db-critical');
    expect(db).toContain('nobody on call');
    expect(db).toContain('⚠ Alerts to routing key db-critical reach nobody from');
    expect(rowOf(html, 'legacy-billing')).toContain('no target: alerts to it reach nobody');
    expect(rowOf(html, 'legacy-billing')).toContain('⚠ Alerts to routing key legacy-billing reach nobody');
    expect(rowOf(html, 'webhook-feed')).toContain('exempt (REACH_EXEMPT webhook-*): feeds chat on purpose');
  });

  it('says whether the person on call now can be reached, once a contacts poll has read them', async () => {
    const lead = sim.org.listUsers().find((u) => u.username === 'web.lead');
    expect(lead).toBeDefined();
    // An sms rule to an unverified phone, then push with no device: nothing reaches them.
    sim.contacts.set('web.lead', lead?.email ?? null, {
      phoneVerified: false,
      emailVerified: true,
      devices: [],
      policy: [['sms', 'push']],
    });
    await withApp(config, (app) => app.pollContacts(new AbortController().signal));
    const unreachable = rowOf(await get('/ui/reachability'), 'web-critical');
    expect(unreachable).toContain('⚠ cannot be reached: their paging policy texts phone …');
    expect(unreachable).toContain('no device has the app installed');
    expect(unreachable).not.toContain('not read yet');

    sim.contacts.verifyPhone('web.lead', lead?.email ?? null);
    await withApp(config, (app) => app.pollContacts(new AbortController().signal));
    expect(rowOf(await get('/ui/reachability'), 'web-critical')).toMatch(/yes: texts phone …\d\d/);
  });

  it('a policy page lists the routing keys that target it, and the key findings about it', async () => {
    const html = await get(`/ui/policies/${dbSlug}`);
    expect(rowOf(html, 'db-critical')).toContain('only this policy');
    expect(html).toContain('routing_key_unstaffed');
  });
});

/**
 * Person-level reachability through the built CLI against the simulator (issue 18 part B): an
 * on-call person whose paging policy texts an unverified phone and pushes to no device is
 * `unreachable_on_call` until the phone is verified; a person with a verified phone and a device
 * is not; and no full phone number or contact address appears anywhere roster-watch writes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CoverageEventData } from '../../src/roster/events.js';
import { type SlackReceiver, startSlackReceiver } from '../../src/simulator/receivers/slack-receiver.js';
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../src/simulator/receivers/webhook-receiver.js';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { runCli, simulatorCliEnv } from '../helpers/cli.js';
import { coverageCli } from '../helpers/coverage-cli.js';
import { aWebhookSecret } from '../helpers/delivery-fixtures.js';

let sim: Simulator;
let hook: WebhookReceiver;
let slack: SlackReceiver;
let env: Record<string, string>;
const outputs: string[] = [];

beforeEach(async () => {
  sim = await startSimulator({ users: 10, teams: 3, seed: 21, policyListPerMinute: 0 });
  const secret = aWebhookSecret();
  hook = await startWebhookReceiver({ host: '127.0.0.1', port: 0, secret });
  slack = await startSlackReceiver({ host: '127.0.0.1', port: 0 });
  env = simulatorCliEnv(sim, {
    VO_MAX_RETRIES: '2',
    POLICY_LIST_MIN_INTERVAL_MS: '50',
    LOG_LEVEL: 'debug',
    WEBHOOK_URLS: `${hook.url}/hook`,
    WEBHOOK_SECRET: secret,
    SLACK_WEBHOOK_URL: `${slack.url}/services/T/B/x`,
    DELIVERY_RETRY_SCHEDULE: '0ms',
  });
  outputs.length = 0;
});
afterEach(async () => {
  await Promise.all([sim.close(), hook.close(), slack.close()]);
});

const { history, openFindings } = coverageCli(() => env);
async function cli(args: string[]) {
  const r = await runCli(args, env);
  outputs.push(`$ ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  expect(r.code, `${args.join(' ')}: ${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

const control = (path: string, method: string, body?: unknown) =>
  fetch(`${sim.url.replace(/\/api-public$/, '')}/_sim${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

/** Someone on call right now, and someone else with a shift in the read window. */
function onCall(): [string, string] {
  const now = new Date().toISOString();
  const shifts = sim.org.listShifts().filter((s) => now < s.end);
  const alice = shifts.find((s) => s.start <= now)?.username;
  const bob = shifts.find((s) => s.username !== alice)?.username;
  expect(alice && bob).toBeTruthy();
  return [alice!, bob!];
}

describe('contacts-poll and person-level reachability', () => {
  it('an unverified phone and no app is unreachable_on_call until the phone is verified; a verified phone and a device is not; no full value leaks', async () => {
    await cli(['poll']);
    await cli(['policy-poll']);
    const [alice, bob] = onCall();
    // Everyone reachable first, so the findings are about alice alone.
    for (const u of sim.org.listUsers())
      sim.contacts.set(u.username, u.email, {
        phoneVerified: true,
        emailVerified: true,
        devices: ['iOS'],
        policy: [['push', 'sms']],
      });
    const put = await control(`/contacts/${encodeURIComponent(alice)}`, 'PUT', {
      phoneVerified: false,
      devices: [],
      policy: [['sms', 'push']],
    });
    expect(put.status).toBe(200);

    const first = await cli(['contacts-poll']);
    expect(first.stdout).toMatch(/run \d+ \(contacts\): ok: read 10 people/);
    const open = (await openFindings()).filter((f) => f.kind === 'unreachable_on_call');
    expect(open.map((f) => f.key)).toEqual([`unreachable_on_call:${alice.toLowerCase()}`]);
    const phone = sim.contacts.get(alice, null).phone;
    const hint = `…${phone.replace(/\D/g, '').slice(-2)}`;
    expect(open[0]!.message).toContain(`${alice} is on call for team`);
    expect(open[0]!.message).toContain(`texts phone ${hint}, which is unverified`);
    expect(open[0]!.message).toContain('no device has the app installed');
    expect(open[0]!.finding).toMatchObject({
      username: alice,
      rules: [
        { step: 1, type: 'sms', reason: `texts phone ${hint}, which is unverified` },
        { step: 1, type: 'push', reason: 'pushes to the app, but no device has the app installed' },
      ],
    });
    // bob has a verified phone and a device: no finding of either kind.
    expect(
      (await openFindings()).filter(
        (f) => f.key.endsWith(`:${bob.toLowerCase()}`) && /reach|email_only/.test(f.kind),
      ),
    ).toEqual([]);

    expect((await control(`/contacts/${encodeURIComponent(alice)}/verify-phone`, 'POST')).status).toBe(200);
    await cli(['contacts-poll']);
    expect((await openFindings()).filter((f) => f.kind === 'unreachable_on_call')).toEqual([]);
    const lifecycle = (await history('rosterwatch.coverage.unreachable_on_call')).map(
      (e) => (e.data as CoverageEventData).state,
    );
    expect(lifecycle).toEqual(['open', 'resolved']);
    const changed = await history('victorops.user.contact_methods_changed');
    expect(changed.map((e) => e.subject)).toEqual([alice]);
    expect(changed[0]!.data).toMatchObject({ changed: [{ after: { kind: 'phone', verified: true, hint } }] });

    // The privacy scan: every output, database byte, webhook body and Slack message.
    await cli(['deliver']);
    for (const args of [['history', '--json'], ['coverage', '--json'], ['coverage'], ['runs', '--json']])
      await cli(args);
    expect(hook.received.length).toBeGreaterThan(0);
    expect(slack.messages.length).toBeGreaterThan(0);
    const dbDir = dirname(env.DATABASE_PATH!);
    const places: [string, string][] = [
      ...outputs.map((o, i): [string, string] => [`CLI run ${i} (${o.split('\n')[0]})`, o]),
      ...readdirSync(dbDir).map((f): [string, string] => [
        `database file ${f}`,
        readFileSync(join(dbDir, f), 'latin1'),
      ]),
      ...hook.received.map((w, i): [string, string] => [`webhook ${i}`, JSON.stringify(w)]),
      ...slack.messages.map((m, i): [string, string] => [`Slack message ${i}`, JSON.stringify(m)]),
    ];
    const values = sim.org.listUsers().flatMap((u) => {
      const c = sim.contacts.get(u.username, u.email);
      // The phone as served, and its digits alone (a formatter might strip the punctuation).
      return [c.phone, c.phone.replace(/\D/g, ''), c.personalEmail];
    });
    expect(values.length).toBe(30);
    const leaks = places.flatMap(([where, text]) =>
      values.filter((v) => text.includes(v)).map((v) => `${v} in ${where}`),
    );
    expect(leaks).toEqual([]);
    // The scan can see: the hint is there.
    expect(places.some(([, text]) => text.includes(hint))).toBe(true);
    // VictorOps allows one paging-policy read a second: 10 people take about 10 s a contacts poll.
  }, 120_000);
});

/**
 * The contacts poll through createApp against the simulator: history with hints only, and a
 * person whose read fails keeps what was recorded (never reported removed), with their finding
 * still open. Real time: VictorOps' one paging-policy read a second paces these few reads.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/load-config.js';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';
import { loadPersonContacts } from '../../../src/store/contacts-store.js';
import { openStore } from '../../../src/store/db.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import {
  pollOnce,
  setEveryonesContacts,
  simConfig,
  UNREACHABLE_PROFILE,
  withApp,
} from '../../helpers/sim-app.js';

let sim: Simulator;
let config: Config;
const signal = new AbortController().signal;

beforeEach(async () => {
  sim = await startSimulator({ users: 4, teams: 1, seed: 5, policyListPerMinute: 0 });
  config = simConfig(sim, join(scratchDir('rw-contacts-'), 'rw.db'), {
    POLICY_LIST_MIN_INTERVAL_MS: '0',
    VO_MAX_RETRIES: '0',
  });
  setEveryonesContacts(sim, UNREACHABLE_PROFILE);
});
afterEach(async () => {
  await sim.close();
});

describe('contacts poll', () => {
  it('a failed read of one person keeps their recorded contacts and findings; nobody is reported removed', async () => {
    await pollOnce(config);
    await withApp(config, (app) => app.pollPolicies(signal));
    const first = await withApp(config, (app) => app.pollContacts(signal));
    expect(first).toMatchObject({ status: 'ok', read: 4, failed: 0 });
    const opened = await withApp(config, (app) => app.openFindings());
    const reach = opened.filter((f) => f.finding.kind === 'unreachable_on_call').map((f) => f.finding.key);
    // Everyone texts an unverified phone and has no app: everyone who can be paged is a finding.
    expect(reach.length).toBeGreaterThanOrEqual(2);
    // A policy poll does not read contacts: it leaves reachability findings as they are.
    await withApp(config, (app) => app.pollPolicies(signal));
    const afterPolicyPoll = (await withApp(config, (app) => app.openFindings())).map((f) => f.finding.key);
    for (const key of reach) expect(afterPolicyPoll).toContain(key);
    const someone = sim.org
      .listUsers()
      .find((u) => reach[0] === `unreachable_on_call:${u.username.toLowerCase()}`)!.username;

    // Everyone's devices go; the one person whose read fails must not look changed.
    for (const u of sim.org.listUsers())
      sim.contacts.set(u.username, u.email, {
        phoneVerified: true,
        emailVerified: true,
        devices: [],
        policy: [['sms']],
      });
    sim.faults.inject({ match: `/v1/user/${someone}/contact-methods`, kind: 'http500', times: 5 });
    const second = await withApp(config, (app) => app.pollContacts(signal));
    expect(second).toMatchObject({ status: 'partial', failed: 1 });
    const subjects = second.events
      .filter((e) => e.type === 'victorops.user.contact_methods_changed')
      .map((e) => (JSON.parse(e.envelope) as { subject: string }).subject);
    // The others changed (phone verified); the one who could not be read is not among them.
    expect(subjects.length).toBe(3);
    expect(subjects).not.toContain(someone);

    const store = openStore(config.databasePath, { readonly: true });
    try {
      expect(loadPersonContacts(store, someone)).toMatchObject({
        methods: expect.arrayContaining([expect.objectContaining({ kind: 'phone', verified: false })]),
      });
    } finally {
      store.close();
    }
    const stillOpen = (await withApp(config, (app) => app.openFindings())).map((f) => f.finding.key);
    expect(stillOpen).toContain(`unreachable_on_call:${someone.toLowerCase()}`);
    // The others were read and are reachable now: their findings resolved.
    for (const key of reach.filter((k) => k !== `unreachable_on_call:${someone.toLowerCase()}`))
      expect(stillOpen).not.toContain(key);
  }, 60_000);

  it('refuses before any roster is recorded, saying what to run', async () => {
    await expect(withApp(config, (app) => app.pollContacts(signal))).rejects.toThrow(/roster-watch poll/);
  });
});

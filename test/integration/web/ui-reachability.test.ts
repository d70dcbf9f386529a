/**
 * The user page's reachability, from a history recorded through createApp against the simulator:
 * contact methods as hints with their verified state, the paging policy's rules and whether each
 * reaches the person, the finding; and never the full phone number or address.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';
import { openStore, type Store } from '../../../src/store/db.js';
import type { UiServer } from '../../../src/web/serve.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import {
  pollOnce,
  setEveryonesContacts,
  simConfig,
  UNREACHABLE_PROFILE,
  withApp,
} from '../../helpers/sim-app.js';
import { startTestUi } from '../../helpers/ui-server.js';

let sim: Simulator;
let store: Store;
let server: UiServer;
let alice: string;
const signal = new AbortController().signal;

beforeAll(async () => {
  sim = await startSimulator({ users: 3, teams: 1, seed: 5, policyListPerMinute: 0 });
  const config = simConfig(sim, join(scratchDir('rw-ui-reach-'), 'rw.db'), {
    POLICY_LIST_MIN_INTERVAL_MS: '0',
  });
  setEveryonesContacts(sim, UNREACHABLE_PROFILE);
  await pollOnce(config);
  await withApp(config, (app) => app.pollPolicies(signal));
  await withApp(config, (app) => app.pollContacts(signal));
  store = openStore(config.databasePath, { readonly: true });
  const open = store.sqlite
    .prepare("SELECT json_extract(data, '$.username') AS u FROM findings WHERE kind = 'unreachable_on_call'")
    .all() as { u: string }[];
  expect(open.length).toBeGreaterThan(0);
  alice = open[0]!.u;
  server = await startTestUi(store, {
    now: () => new Date(),
  });
}, 30_000);
afterAll(async () => {
  await server?.close();
  store?.close();
  await sim?.close();
});

describe('the user page: reachability', () => {
  it('shows hints, verified state, each rule and the finding, and no full value', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/ui/users/${encodeURIComponent(alice)}`);
    expect(res.status).toBe(200);
    const body = await res.text();
    const c = sim.contacts.get(alice, null);
    const hint = `…${c.phone.replace(/\D/g, '').slice(-2)}`;
    expect(body).toContain('Contact methods (hints only)');
    expect(body).toContain(`phone ${hint}`);
    expect(body).toContain(`no: texts phone ${hint}, which is unverified`);
    expect(body).toContain('no: pushes to the app, but no device has the app installed');
    expect(body).toContain('cannot be reached');
    for (const full of [c.phone, c.phone.replace(/\D/g, ''), c.personalEmail])
      expect(body).not.toContain(full);
  });
});

/**
 * Lone surrogates in what a policy poll reads (issue 21): JSON may escape half a surrogate pair
 * (`"\ud800"`), and SQLite stores such text with U+FFFD in its place. Polled through the simulator
 * and the real client, fetch and cycle, an org whose policy names, entries, team names, rotation
 * and shift names and routing keys hold lone surrogates is recorded once and then found unchanged.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.js';
import { type PolicyCycleDeps, runPolicyPollCycle } from '../../../src/cycles/policy-cycle.js';
import { createSilentLogger } from '../../../src/logger.js';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';
import { openStore, type Store } from '../../../src/store/db.js';
import type { VictorOpsClient } from '../../../src/victorops/client.js';
import { fetchPolicies } from '../../../src/victorops/fetch-policies.js';
import { clientFor } from '../../helpers/client.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { simConfig, withApp } from '../../helpers/sim-app.js';

const HOUR = 3_600_000;
let sim: Simulator;
let client: VictorOpsClient;
const stores: Store[] = [];

beforeEach(async () => {
  sim = await startSimulator({ users: 0, teams: 0, seed: 21, policyListPerMinute: 0 });
  client = clientFor(sim, { maxRetries: 1 });
});
afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  await client.close();
  await sim.close();
});

function newStore(): Store {
  const store = openStore(join(scratchDir('rw-lone-surrogates-'), 'db.sqlite'));
  stores.push(store);
  return store;
}

function depsOf(store: Store): PolicyCycleDeps {
  return {
    store,
    clock: systemClock,
    logger: createSilentLogger(),
    source: 'urn:roster-watch:test',
    destinations: [],
    policyListMinIntervalMs: 0,
    pollFailingAfter: 3,
    whenListTooSoon: 'wait',
    fetchPolicies: (teams, signal) =>
      fetchPolicies({ client, clock: systemClock, teams, daysForward: 14, concurrency: 2, signal }),
  };
}

type Kind = 'policy name' | 'policy entries' | 'team and schedule names' | 'routing keys';

/**
 * One team with two policies, a rotation with an override and two routing keys; the text of
 * `kinds` holds lone surrogates (the rest is plain, so each kind is tried alone).
 */
function org(kinds: readonly Kind[]) {
  const lone = (kind: Kind, text: string, odd: string) => (kinds.includes(kind) ? `${text}${odd}` : text);
  const team = sim.org.addTeam({ name: lone('team and schedule names', 'Ops-', '\ud800'), slug: 'team-ops' });
  const ann = lone('team and schedule names', 'ann', '\udc00');
  for (const username of [ann, 'bob']) {
    sim.org.addUser({ username, firstName: 'A', lastName: 'B', email: 'a@example.com', verified: true });
    sim.org.addMember(team.slug, username);
  }
  const other = sim.org.addPolicy({ name: 'Other', teamSlug: team.slug, steps: [], slug: 'pol-other' });
  const policy = sim.org.addPolicy({
    name: lone('policy name', 'Primary-', '\udbff'),
    slug: 'pol-primary',
    teamSlug: team.slug,
    steps: [
      {
        timeout: 5,
        entries: [
          { executionType: 'user', username: lone('policy entries', 'carl', '\udc00') },
          {
            executionType: 'rotation_group',
            rotationSlug: lone('policy entries', 'rtg-', '\ud800'),
            rotationLabel: lone('policy entries', 'Rota-', '\udc00'),
          },
          { executionType: 'email', address: lone('policy entries', 'x@example.com', '\ud800') },
          { executionType: 'webhook', webhookSlug: lone('policy entries', 'wh-', '\udc00') },
        ],
      },
      { timeout: 0, entries: [{ executionType: 'user', username: 'bob' }] },
    ],
  });
  const base = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
  sim.org.setShifts(team.slug, [
    {
      policySlug: policy.slug,
      rotationName: lone('team and schedule names', 'Rota-', '\udc00'),
      shiftName: lone('team and schedule names', 'Day-', '\ud800'),
      username: ann,
      start: new Date(base).toISOString(),
      end: new Date(base + 30 * 24 * HOUR).toISOString(),
    },
  ]);
  sim.org.setOverrides(team.slug, [
    {
      policySlug: policy.slug,
      originalUsername: ann,
      overrideUsername: 'bob',
      start: new Date(base + 2 * HOUR).toISOString(),
      end: new Date(base + 4 * HOUR).toISOString(),
    },
  ]);
  const key = lone('routing keys', 'db-', '\ud800');
  sim.org.setRoutingKey({ routingKey: key, targets: [policy.slug, other.slug], isDefault: false });
  sim.org.setRoutingKey({ routingKey: '.+', targets: [policy.slug], isDefault: true });
}

const rows = (store: Store, sql: string) => store.sqlite.prepare(sql).raw().all();
const KINDS: Kind[] = ['policy name', 'policy entries', 'team and schedule names', 'routing keys'];

describe('a policy poll of text with lone surrogates', () => {
  for (const kinds of [...KINDS.map((k) => [k]), KINDS])
    it(`records it as SQLite keeps it, then finds nothing changed and no error (${kinds.join(', ')})`, async () => {
      org(kinds);
      const store = newStore();
      const results = [];
      for (let i = 0; i < 3; i++)
        results.push(await runPolicyPollCycle(depsOf(store), new AbortController().signal));
      expect(results.map((r) => [r.status, r.changes, r.error, r.events.map((e) => e.type)])).toEqual([
        ['baseline', 0, null, []],
        ['ok', 0, null, []],
        ['ok', 0, null, []],
      ]);
      // One version of everything, as SQLite keeps it: U+FFFD where the lone surrogate was.
      expect(rows(store, 'SELECT slug, name, team_slug, valid_to FROM policies ORDER BY slug')).toEqual([
        ['pol-other', 'Other', 'team-ops', null],
        ['pol-primary', kinds.includes('policy name') ? 'Primary-\ufffd' : 'Primary-', 'team-ops', null],
      ]);
      expect(rows(store, 'SELECT routing_key, valid_to FROM routing_keys ORDER BY routing_key')).toEqual([
        ['.+', null],
        [kinds.includes('routing keys') ? 'db-\ufffd' : 'db-', null],
      ]);
      expect(rows(store, 'SELECT team_slug, team_name FROM team_schedules')).toEqual([
        ['team-ops', kinds.includes('team and schedule names') ? 'Ops-\ufffd' : 'Ops-'],
      ]);
      // Steps, shifts, rotations and key targets are JSON, which would keep a lone surrogate as an escape and
      // hand it on in events and on-call reads: none is left.
      const steps = rows(store, "SELECT steps FROM policies WHERE slug = 'pol-primary'");
      const json = [
        steps,
        rows(store, 'SELECT shifts, rotations FROM team_schedules'),
        rows(store, 'SELECT targets FROM routing_keys'),
      ];
      for (const text of json) expect(JSON.stringify(text)).not.toMatch(/\\\\u[dD][89a-fA-F]/);
      if (kinds.includes('policy entries')) expect(JSON.stringify(steps)).toMatch(/carl\ufffd/);
    });
});

describe('the application’s polls of text with lone surrogates', () => {
  it('a roster poll, then policy and contacts polls three times each: nothing changed after the first', async () => {
    org(KINDS);
    // A device type and an email domain with lone surrogates: contacts keep them as hints.
    sim.contacts.set('bob', 'bob@ex\ud800.com', {
      phoneVerified: true,
      emailVerified: true,
      devices: ['Pixel \udc00'],
      policy: [['push', 'email']],
    });
    const config = simConfig(sim, join(scratchDir('rw-lone-app-'), 'db.sqlite'), {
      POLICY_LIST_MIN_INTERVAL_MS: '0',
    });
    const signal = new AbortController().signal;
    await withApp(config, async (app) => {
      expect((await app.pollRoster(signal)).status).toBe('baseline');
      const policyPolls = [];
      for (let i = 0; i < 3; i++) policyPolls.push(await app.pollPolicies(signal));
      expect(policyPolls.map((r) => [r.status, r.changes, r.error])).toEqual([
        ['baseline', 0, null],
        ['ok', 0, null],
        ['ok', 0, null],
      ]);
      // Coverage findings are recorded with the first policy poll; none opens or resolves again.
      expect(policyPolls.slice(1).flatMap((r) => r.events.map((e) => e.type))).toEqual([]);
      const contactPolls = [];
      for (let i = 0; i < 3; i++) contactPolls.push(await app.pollContacts(signal));
      // bob is read every time (paged by the policy); ann's name cannot be put in a request path.
      expect(contactPolls.map((r) => r.read)).toEqual([1, 1, 1]);
      expect(contactPolls.map((r) => [r.status, r.error, r.failed])).toEqual([
        ['ok', null, 0],
        ['ok', null, 0],
        ['ok', null, 0],
      ]);
      expect(contactPolls.flatMap((r) => r.events.map((e) => e.type))).toEqual([]);
      expect((await app.pollRoster(signal)).changes).toBe(0);
    });
  }, 30_000);
});

describe('a policy whose detail cannot be read, listed with lone surrogates', () => {
  it('is a failed scope spelled as the recorded policies are, so its recorded version is carried', async () => {
    org(['policy name']);
    const store = newStore();
    const signal = new AbortController().signal;
    await runPolicyPollCycle(depsOf(store), signal);
    sim.faults.inject({ match: '/v1/policies/pol-primary', kind: 'http500', times: 100 });
    const partial = await runPolicyPollCycle(depsOf(store), signal);
    expect([partial.status, partial.changes, partial.events.map((e) => e.type)]).toEqual(['partial', 0, []]);
    expect(partial.fetched?.failedScopes.map((f) => (f.kind === 'policy' ? [f.slug, f.name] : []))).toEqual([
      ['pol-primary', 'Primary-\ufffd'],
    ]);
    expect(rows(store, "SELECT name, valid_to FROM policies WHERE slug = 'pol-primary'")).toEqual([
      ['Primary-\ufffd', null],
    ]);
  });
});

/**
 * Contract: the simulator answers `GET /v1/org/routing-keys` in the shape of the real-shape fixture
 * (test/fixtures/victorops/v1-org-routing-keys.json), and deleting a policy deletes the keys whose
 * only target it was, as VictorOps does (source in that folder's README).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { compareShapes, describeShape } from '../helpers/json-shape.js';
import { simControlUrl, simRequest } from '../helpers/sim-http.js';
import { readFixture } from '../helpers/victorops-fixtures.js';

let sim: Simulator;
let primary: string;
let secondary: string;

beforeAll(async () => {
  sim = await startSimulator({ users: 4, teams: 1, seed: 5 });
  const team = sim.org.addTeam({ name: 'DB' });
  const step = [{ timeout: 0, entries: [{ executionType: 'email' as const, address: 'db@example.com' }] }];
  primary = sim.org.addPolicy({ name: 'DB primary', teamSlug: team.slug, steps: step }).slug;
  secondary = sim.org.addPolicy({ name: 'DB secondary', teamSlug: team.slug, steps: step }).slug;
  const control = simControlUrl(sim.url);
  for (const [key, body] of [
    ['.%2B', { targets: [primary], isDefault: true }],
    ['db-critical', { targets: [primary, secondary] }],
    ['db-only-secondary', { targets: [secondary] }],
    ['legacy-billing', { targets: [] }],
  ] as const) {
    const r = await simRequest(`${control}/routing-keys/${key}`, { method: 'PUT', body });
    expect(r.status, r.text).toBe(200);
  }
});

afterAll(async () => {
  await sim.close();
});

const keys = async () => {
  const r = await simRequest(`${sim.url}/v1/org/routing-keys`);
  expect(r.status, r.text).toBe(200);
  return r.json as {
    routingKeys: { routingKey: string; targets: { policySlug: string }[]; isDefault: boolean }[];
  };
};

describe('the simulated routing keys', () => {
  it('answer in exactly the fixture shape', async () => {
    expect(
      compareShapes(describeShape(readFixture('v1-org-routing-keys.json')), describeShape(await keys())),
    ).toEqual([]);
  });

  it('refuse a target that is not a policy of the org', async () => {
    const r = await simRequest(`${simControlUrl(sim.url)}/routing-keys/bad`, {
      method: 'PUT',
      body: { targets: ['pol-nope'] },
    });
    expect(r.status).toBe(404);
  });

  it('deleting a policy drops it from every key and deletes the keys whose only target it was', async () => {
    const r = await simRequest(`${simControlUrl(sim.url)}/policies/${secondary}`, { method: 'DELETE' });
    expect(r.status, r.text).toBe(200);
    const body = await keys();
    expect(
      body.routingKeys.map((k) => [k.routingKey, k.targets.map((t) => t.policySlug), k.isDefault]),
    ).toEqual([
      ['.+', [primary], true],
      ['db-critical', [primary], false],
      ['legacy-billing', [], false],
    ]);
  });
});

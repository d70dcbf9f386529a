/**
 * Contract: the simulator answers the contact-method and personal paging-policy endpoints in
 * exactly the shapes of the real-shape fixtures, and its /_sim/contacts controls change what it
 * serves (verify a phone, add a device, set a whole profile).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { contactMethodsSchema, pagingPolicySchema } from '../../src/victorops/contact-schemas.js';
import { compareShapes, describeShape } from '../helpers/json-shape.js';
import { simControlUrl, simRequest } from '../helpers/sim-http.js';
import { readFixture } from '../helpers/victorops-fixtures.js';

let sim: Simulator;
let jane: string;

beforeAll(async () => {
  sim = await startSimulator({ users: 6, teams: 2, seed: 3 });
  jane = sim.org.listUsers()[0]!.username;
  // The fixture's person: a phone, a device, push + sms then phone + email.
  const put = await simRequest(`${simControlUrl(sim.url)}/contacts/${jane}`, {
    method: 'PUT',
    body: {
      phoneVerified: false,
      devices: ['Android'],
      policy: [
        ['push', 'sms'],
        ['phone', 'email'],
      ],
    },
  });
  expect(put.status).toBe(200);
});
afterAll(async () => {
  await sim.close();
});

const get = async (path: string) => {
  const r = await simRequest(`${sim.url}${path}`);
  expect(r.status, r.text).toBe(200);
  return r.json;
};

describe('simulator contacts contract', () => {
  it.each([
    ['v1-user-contact-methods.json', () => `/v1/user/${jane}/contact-methods`],
    ['v1-profile-paging-policy.json', () => `/v1/profile/${jane}/policies`],
  ])('%s', async (fixture, path) => {
    expect(compareShapes(describeShape(readFixture(fixture)), describeShape(await get(path())))).toEqual([]);
  });

  it('answers 404 for someone VictorOps does not know', async () => {
    expect((await simRequest(`${sim.url}/v1/user/nobody-here/contact-methods`)).status).toBe(404);
    expect((await simRequest(`${sim.url}/v1/profile/nobody-here/policies`)).status).toBe(404);
  });

  it('verifies a phone and adds a device through /_sim', async () => {
    const before = contactMethodsSchema.parse(await get(`/v1/user/${jane}/contact-methods`));
    expect(before.phones.map((p) => p.verified)).toEqual(['unverified']);
    expect(
      (await simRequest(`${simControlUrl(sim.url)}/contacts/${jane}/verify-phone`, { method: 'POST' }))
        .status,
    ).toBe(200);
    expect(
      (
        await simRequest(`${simControlUrl(sim.url)}/contacts/${jane}/devices`, {
          method: 'POST',
          body: { deviceType: 'iOS' },
        })
      ).status,
    ).toBe(200);
    const after = contactMethodsSchema.parse(await get(`/v1/user/${jane}/contact-methods`));
    expect(after.phones.map((p) => p.verified)).toEqual(['verified']);
    expect(after.devices.map((d) => d.deviceType)).toEqual(['Android', 'iOS']);
    const policy = pagingPolicySchema.parse(await get(`/v1/profile/${jane}/policies`));
    expect(policy.steps[0]!.rules[1]!.contact?.id).toBe(after.phones[0]!.id);
  });

  it('refuses a paging policy without rules, and an unknown person', async () => {
    const control = simControlUrl(sim.url);
    expect(
      (
        await simRequest(`${control}/contacts/${jane}`, {
          method: 'PUT',
          body: { phoneVerified: true, policy: [[]] },
        })
      ).status,
    ).toBe(400);
    expect(
      (await simRequest(`${control}/contacts/nobody-here/verify-phone`, { method: 'POST' })).status,
    ).toBe(404);
  });

  it('gives a generated org the mix a real org has (phone and app, unverified, email only)', () => {
    const profiles = Array.from({ length: 200 }, (_, i) => sim.contacts.get(`person${i}`, null));
    expect(profiles.some((p) => p.phoneVerified === true && p.devices.length > 0)).toBe(true);
    expect(profiles.some((p) => p.phoneVerified === false && p.devices.length === 0)).toBe(true);
    expect(profiles.some((p) => p.policy.flat().every((t) => t === 'email'))).toBe(true);
  });
});

/**
 * The simulated people's contact methods and own paging policies, served in the real shapes
 * (test/fixtures/victorops/v1-user-contact-methods.json, v1-profile-paging-policy.json). Every
 * user gets a profile derived from the seed and the username the first time it is asked for, so
 * a generated org of any size has the mix a real org has: most people with a verified phone and
 * the app, some with an unverified phone and no app, some still on the default email-only policy.
 * Control routes (contacts-control-routes.ts) change one person for tests and the demo.
 */
import { createRandom } from './random.js';

export type SimRuleType = 'push' | 'sms' | 'phone' | 'email';

export interface SimContactProfile {
  /** null = no phone. */
  phoneVerified: boolean | null;
  emailVerified: boolean;
  devices: string[];
  /** Steps of rule types; sms/phone rules point at the phone, email rules at the email. */
  policy: SimRuleType[][];
}

export interface SimPersonContacts extends SimContactProfile {
  phoneId: number;
  emailId: number;
  deviceIds: number[];
  phone: string;
  /** The account's address ("Default", as VictorOps creates it). */
  email: string;
  /** A second, personal address ("Personal", unverified), as in the fixture. */
  personalEmailId: number;
  personalEmail: string;
}

export interface SimContactBook {
  /** The person's contacts (created on first use); the caller checks the user exists. */
  get(username: string, email: string | null): SimPersonContacts;
  set(username: string, email: string | null, profile: SimContactProfile): SimPersonContacts;
  /** Verifies the person's phone; false when they have none. */
  verifyPhone(username: string, email: string | null): boolean;
  addDevice(username: string, email: string | null, deviceType: string): void;
}

function hashOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The derived profile: 70 % phone + app, 10 % unverified phone and no app, 10 % email only, 10 % phone only. */
function derivedProfile(seed: number, username: string): SimContactProfile {
  const random = createRandom(hashOf(`${seed}:${username.toLowerCase()}`));
  const roll = random.next();
  if (roll < 0.7)
    return {
      phoneVerified: true,
      emailVerified: true,
      devices: [random.pick(['iOS', 'Android'])],
      policy: [['push', 'sms'], ['phone']],
    };
  if (roll < 0.8)
    return { phoneVerified: false, emailVerified: true, devices: [], policy: [['sms', 'push']] };
  if (roll < 0.9) return { phoneVerified: null, emailVerified: true, devices: [], policy: [['email']] };
  return { phoneVerified: true, emailVerified: true, devices: [], policy: [['sms'], ['phone']] };
}

export function createContactBook(seed: number): SimContactBook {
  const people = new Map<string, SimPersonContacts>();
  let nextId = 250_000;
  const build = (username: string, email: string | null, profile: SimContactProfile): SimPersonContacts => {
    const random = createRandom(hashOf(`phone:${seed}:${username.toLowerCase()}`));
    const person: SimPersonContacts = {
      ...profile,
      devices: [...profile.devices],
      policy: profile.policy.map((s) => [...s]),
      phoneId: nextId++,
      emailId: nextId++,
      deviceIds: profile.devices.map(() => nextId++),
      // 555-01xx numbers are reserved for fiction.
      phone: `+1 555-01${String(random.int(0, 99)).padStart(2, '0')}-${String(random.int(0, 9999)).padStart(4, '0')}`,
      email: email ?? `${username.toLowerCase()}@example.com`,
      personalEmailId: nextId++,
      personalEmail: `${username.toLowerCase()}.home@example.org`,
    };
    people.set(username.toLowerCase(), person);
    return person;
  };
  const get = (username: string, email: string | null) =>
    people.get(username.toLowerCase()) ?? build(username, email, derivedProfile(seed, username));
  return {
    get,
    set: (username, email, profile) => build(username, email, profile),
    verifyPhone(username, email) {
      const person = get(username, email);
      if (person.phoneVerified === null) return false;
      person.phoneVerified = true;
      return true;
    },
    addDevice(username, email, deviceType) {
      const person = get(username, email);
      person.devices.push(deviceType);
      person.deviceIds.push(nextId++);
    },
  };
}

const verifiedText = (v: boolean) => (v ? 'verified' : 'unverified');

/** `GET /v1/user/{user}/contact-methods`, in the fixture's shape. */
export function contactMethodsJson(username: string, p: SimPersonContacts): unknown {
  const base = `/api-public/v1/user/${username}/contact-methods`;
  const ext = (id: number) => `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`;
  return {
    emails: {
      _selfUrl: `${base}/emails`,
      contactMethods: [
        {
          id: p.emailId,
          label: 'Default',
          value: p.email,
          contactType: 'Email',
          rank: 500,
          verified: verifiedText(p.emailVerified),
          extId: ext(p.emailId),
          _selfUrl: `${base}/emails/${ext(p.emailId)}`,
        },
        {
          id: p.personalEmailId,
          label: 'Personal',
          value: p.personalEmail,
          contactType: 'Email',
          rank: 400,
          verified: 'unverified',
          extId: ext(p.personalEmailId),
          _selfUrl: `${base}/emails/${ext(p.personalEmailId)}`,
        },
      ],
    },
    phones: {
      _selfUrl: `${base}/phones`,
      contactMethods:
        p.phoneVerified === null
          ? []
          : [
              {
                id: p.phoneId,
                label: 'Mobile',
                value: p.phone,
                contactType: 'Phone',
                rank: 500,
                verified: verifiedText(p.phoneVerified),
                extId: ext(p.phoneId),
                _selfUrl: `${base}/phones/${ext(p.phoneId)}`,
              },
            ],
    },
    devices: {
      _selfUrl: `${base}/devices`,
      contactMethods: p.devices.map((deviceType, i) => {
        const id = p.deviceIds[i] ?? 0;
        return {
          id,
          deviceType,
          label: `${username} - ${deviceType}`,
          extId: ext(id),
          _selfUrl: `${base}/devices/${ext(id)}`,
        };
      }),
    },
  };
}

/** `GET /v1/profile/{user}/policies`, in the fixture's shape (0-based indexes, push without contact). */
export function pagingPolicyJson(username: string, p: SimPersonContacts): unknown {
  return {
    steps: p.policy.map((rules, index) => ({
      index,
      timeout: index === 0 ? 5 : 10,
      rules: rules.map((type, ruleIndex) => {
        if (type === 'push') return { index: ruleIndex, type };
        const contact =
          type === 'email' ? { id: p.emailId, type: 'Email' } : { id: p.phoneId, type: 'Phone' };
        return { index: ruleIndex, type, contact };
      }),
    })),
    _selfUrl: `/api-public/v1/profile/${username}/policies`,
  };
}

/**
 * A realistic demo org for the README's screenshots (`npm run screenshots`): plausible people and
 * teams and ten days of drift with a story a reader recognises: a hire, a departure still paged
 * by a policy, an override, and a leaver the HR file found. Written through the real write paths,
 * like ui-history.ts; the hostile names stay in that one, which is for the tests.
 */
import type { PersonContacts } from '../../src/roster/contact-types.js';
import type { Finding } from '../../src/roster/coverage-types.js';
import type { PolicyEntry } from '../../src/roster/policy-entries.js';
import type { Policy, Shift } from '../../src/roster/policy-types.js';
import type { Roster, User } from '../../src/roster/types.js';
import { recordContactsPoll } from '../../src/store/contacts-store.js';
import { inTransaction, openStore, type Store } from '../../src/store/db.js';
import { appendEvents } from '../../src/store/events.js';
import { applyFindingsDiff } from '../../src/store/findings.js';
import { recordIdentitySync } from '../../src/store/identity.js';
import { recordOncallReads } from '../../src/store/oncall-reads.js';
import {
  claimDueDeliveries,
  enqueueDeliveries,
  recordAttempt,
  syncDestinations,
} from '../../src/store/outbox.js';
import { applyPolicyHistory, saveTeamSchedules } from '../../src/store/policies.js';
import { applyRoutingKeyHistory } from '../../src/store/routing-keys.js';
import { insertRun } from '../../src/store/runs.js';
import { aRoster, aTeam, aUser } from './builders.js';
import { recordRosterRun } from './ui-history.js';

/** The demo's "now": the pages and pictures are the same from run to run. */
export const DEMO_NOW = '2026-03-04T15:30:00.000Z';

const person = (username: string, first: string, last: string, email?: string): User =>
  aUser(username, {
    firstName: first,
    lastName: last,
    email:
      email ??
      `${first
        .toLowerCase()
        .normalize('NFD')
        .replace(/[^a-z]/g, '')}.${last
        .toLowerCase()
        .normalize('NFD')
        .replace(/[^a-z-]/g, '')}@northwind.example`,
  });

const TEAMS = [
  aTeam('platform', 'Platform'),
  aTeam('payments', 'Payments'),
  aTeam('mobile', 'Mobile Apps'),
  aTeam('support-t2', 'Support Tier 2'),
];

const PEOPLE: [User, string[]][] = [
  [person('aisha.bello', 'Aisha', 'Bello'), ['payments']],
  [person('marcus.hale', 'Marcus', 'Hale'), ['payments']],
  [person('priya.raman', 'Priya', 'Raman'), ['platform', 'payments']],
  [person('dkowalski', 'Daniel', 'Kowalski'), ['platform']],
  [person('jose.alvarez', 'José', 'Álvarez'), ['platform']],
  [person('mei.chen', 'Mei', 'Chen'), ['mobile']],
  [person('oliver.grant', 'Oliver', 'Grant'), ['mobile']],
  [person('sofia.rossi', 'Sofia', 'Rossi'), ['support-t2']],
  [person('kwame.mensah', 'Kwame', 'Mensah'), ['support-t2', 'platform']],
  [person('hannah.weiss', 'Hannah', 'Weiß'), ['mobile']],
  [person('liam.oconnor', 'Liam', "O'Connor"), ['support-t2']],
  [person('yuki.tanaka', 'Yuki', 'Tanaka'), ['payments']],
];

function roster(people: readonly [User, string[]][]): Roster {
  return aRoster({
    users: people.map(([u]) => u),
    teams: TEAMS,
    memberships: people.flatMap(([u, teams]) => teams.map((t) => [u.username, t] as [string, string])),
  });
}

/** Day `n` of the story (day 1 is Tuesday 23 February 2026, day 10 is Thursday 4 March). */
const day = (n: number, hour = 9) => new Date(Date.UTC(2026, 1, 22 + n, hour)).toISOString();
const march = (d: number, hour = 9) =>
  `2026-03-${String(d).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.000Z`;

const rotation = (rotationSlug: string, rotationLabel: string): PolicyEntry => ({
  kind: 'rotation',
  executionType: 'rotation_group',
  rotationSlug,
  rotationLabel,
});
const pages = (...usernames: string[]): PolicyEntry[] =>
  usernames.map((username) => ({ kind: 'user', username }));

const PAYMENTS_PRIMARY: Policy = {
  slug: 'pol-payments-primary',
  name: 'Payments primary',
  teamSlug: 'payments',
  steps: [
    {
      index: 1,
      timeout: 5,
      entries: [rotation('rtg-pay', 'Payments weekly')],
    },
    { index: 2, timeout: 10, entries: pages('marcus.hale') },
    { index: 3, timeout: 15, entries: [{ kind: 'policy', policySlug: 'pol-platform-primary' }] },
  ],
};

const PLATFORM_PRIMARY: Policy = {
  slug: 'pol-platform-primary',
  name: 'Platform primary',
  teamSlug: 'platform',
  steps: [
    {
      index: 1,
      timeout: 10,
      entries: [rotation('rtg-plat', 'Platform weekly')],
    },
    { index: 2, timeout: 20, entries: pages('priya.raman') },
  ],
};

const MOBILE_HOURS: Policy = {
  slug: 'pol-mobile-business-hours',
  name: 'Mobile business hours',
  teamSlug: 'mobile',
  steps: [
    {
      index: 1,
      timeout: 15,
      entries: pages('mei.chen', 'oliver.grant'),
    },
  ],
};

const SOURCE = 'urn:roster-watch:victorops:northwind';

function shift(
  policy: Policy,
  rotation: string,
  username: string,
  start: string,
  end: string,
  overrideFor?: string,
): Shift {
  return {
    policySlug: policy.slug,
    policyName: policy.name,
    rotationName: rotation,
    shiftName: 'Week',
    username,
    start,
    end,
    ...(overrideFor === undefined ? {} : { overrideFor }),
  };
}

function recordPolicyRun(store: Store, at: string): void {
  inTransaction(store, () => {
    const runId = insertRun(store, {
      kind: 'policy',
      startedAt: at,
      finishedAt: at,
      status: 'ok',
      strategy: null,
      stats: { requests: 9, retries: 0, rateLimited: 0 },
      counts: null,
      failedScopes: [],
      changeCount: 3,
      error: null,
      rosterHash: null,
      policyCount: 3,
    });
    applyPolicyHistory(store, runId, at, {
      added: [PAYMENTS_PRIMARY, PLATFORM_PRIMARY, MOBILE_HOURS],
      removed: [],
      changed: [],
    });
    const schedules = [
      {
        team: aTeam('payments', 'Payments'),
        shifts: [
          shift(PAYMENTS_PRIMARY, 'Payments weekly', 'aisha.bello', march(2, 8), march(4, 8)),
          // Aisha swapped the rest of her week with Yuki: an override.
          shift(PAYMENTS_PRIMARY, 'Payments weekly', 'yuki.tanaka', march(4, 8), march(9, 8), 'aisha.bello'),
          shift(PAYMENTS_PRIMARY, 'Payments weekly', 'tomas.novak', march(9, 8), march(16, 8)),
        ],
      },
      {
        team: aTeam('platform', 'Platform'),
        shifts: [
          shift(PLATFORM_PRIMARY, 'Platform weekly', 'jose.alvarez', march(2, 8), march(6, 8)),
          shift(PLATFORM_PRIMARY, 'Platform weekly', 'dkowalski', march(6, 8), march(13, 8)),
          shift(PLATFORM_PRIMARY, 'Platform weekly', 'kwame.mensah', march(13, 8), march(20, 8)),
        ],
      },
    ];
    saveTeamSchedules(store, runId, at, schedules);
    // The On-call page reads what the policy poll recorded, as the poll records it.
    recordOncallReads(store, runId, at, schedules);
    const marcusGone: Finding = {
      kind: 'dangling_reference',
      key: 'dangling_reference:pol-payments-primary:2:marcus.hale',
      policy: { slug: PAYMENTS_PRIMARY.slug, name: PAYMENTS_PRIMARY.name },
      team: aTeam('payments', 'Payments'),
      step: 2,
      username: 'marcus.hale',
      removedAt: day(7),
    };
    const target = (p: Policy) => ({ policySlug: p.slug, policyName: p.name });
    applyRoutingKeyHistory(store, runId, at, {
      added: [
        { routingKey: '.+', isDefault: true, targets: [target(PLATFORM_PRIMARY)] },
        { routingKey: 'payments-critical', isDefault: false, targets: [target(PAYMENTS_PRIMARY)] },
        { routingKey: 'platform-alerts', isDefault: false, targets: [target(PLATFORM_PRIMARY)] },
        // Left behind when the old billing service's policy was deleted: alerts to it page nobody.
        { routingKey: 'legacy-billing', isDefault: false, targets: [] },
      ],
      removed: [],
      changed: [],
    });
    const billingUnrouted: Finding = {
      kind: 'routing_key_unrouted',
      key: 'routing_key_unrouted:legacy-billing',
      routingKey: 'legacy-billing',
      isDefault: false,
      missingPolicies: [],
    };
    applyFindingsDiff(store, { appeared: [marcusGone, billingUnrouted], resolved: [], still: [] }, runId, at);
    appendEvents(
      store,
      [PAYMENTS_PRIMARY, PLATFORM_PRIMARY, MOBILE_HOURS].map((policy) => ({
        type: 'victorops.policy.added' as const,
        subject: policy.slug,
        data: { policy },
      })),
      { source: SOURCE, runId, time: at },
    );
  });
}

/** Hints only, as the contacts poll keeps them: never a full number or address. */
const reachable = (username: string, digits: string, device: string): PersonContacts => ({
  username,
  methods: [
    { id: 1, kind: 'phone', verified: true, hint: `…${digits}` },
    { id: 2, kind: 'email', verified: true, hint: '@northwind.example' },
    { id: 3, kind: 'device', verified: null, hint: device },
  ],
  pagingPolicy: [
    { index: 1, timeout: 5, rules: [{ type: 'push', contactId: null }] },
    { index: 2, timeout: 10, rules: [{ type: 'sms', contactId: 1 }] },
  ],
});

/** A contacts poll: José, on call for Platform now, changed phones and never verified the new one. */
function recordContactsRun(store: Store, at: string): void {
  const jose: PersonContacts = {
    username: 'jose.alvarez',
    methods: [
      { id: 4, kind: 'phone', verified: false, hint: '…17' },
      { id: 5, kind: 'email', verified: true, hint: '@northwind.example' },
    ],
    pagingPolicy: [
      {
        index: 1,
        timeout: 5,
        rules: [
          { type: 'sms', contactId: 4 },
          { type: 'push', contactId: null },
        ],
      },
    ],
  };
  const read = [
    reachable('yuki.tanaka', '42', 'iOS'),
    reachable('aisha.bello', '08', 'Android'),
    reachable('tomas.novak', '63', 'iOS'),
    reachable('dkowalski', '91', 'Android'),
    reachable('kwame.mensah', '25', 'iOS'),
    reachable('priya.raman', '56', 'iOS'),
    jose,
  ];
  const platform = { slug: PLATFORM_PRIMARY.slug, name: PLATFORM_PRIMARY.name };
  const unreachable: Finding = {
    kind: 'unreachable_on_call',
    key: 'unreachable_on_call:jose.alvarez',
    username: 'jose.alvarez',
    rules: [
      { step: 1, type: 'sms', reason: 'texts phone …17, which is unverified' },
      { step: 1, type: 'push', reason: 'pushes to the app, but no device has the app installed' },
    ],
    shift: {
      team: aTeam('platform', 'Platform'),
      policy: platform,
      rotation: 'Platform weekly',
      start: march(2, 8),
      end: march(6, 8),
    },
    shifts: 1,
    pagedBy: [],
    policies: [platform],
  };
  inTransaction(store, () =>
    recordContactsPoll(store, {
      startedAt: at,
      finishedAt: at,
      status: 'ok',
      error: null,
      stats: { requests: read.length * 2, retries: 0, rateLimited: 0 },
      read,
      changed: read,
      failedScopes: [],
      readAtMs: Date.parse(at),
      events: [],
      coverage: { diff: { appeared: [unreachable], resolved: [], still: [] }, events: [] },
      source: SOURCE,
      deliveries: { destinations: [], nowMs: Date.parse(at) },
    }),
  );
}

function recordHrLeaver(store: Store, at: string): void {
  inTransaction(store, () =>
    recordIdentitySync(store, {
      startedAt: at,
      finishedAt: at,
      status: 'ok',
      error: null,
      decisions: [],
      diff: {
        appeared: [
          {
            kind: 'identity.inactive',
            key: 'identity.inactive:dkowalski',
            username: 'dkowalski',
            email: 'daniel.kowalski@northwind.example',
            matchedBy: 'email',
            identities: [
              {
                source: 'file',
                id: 'E-20417',
                email: 'daniel.kowalski@northwind.example',
                displayName: 'Daniel Kowalski',
                status: 'terminated',
                statusChangedAt: march(2, 17),
              },
            ],
            activeElsewhere: [],
            statusUnknown: null,
            pending: false,
            exposure: {
              teams: [aTeam('platform', 'Platform')],
              policies: [
                {
                  slug: PLATFORM_PRIMARY.slug,
                  name: PLATFORM_PRIMARY.name,
                  team: aTeam('platform', 'Platform'),
                  steps: [],
                  viaRotation: true,
                },
              ],
              shifts: [
                {
                  team: aTeam('platform', 'Platform'),
                  policy: { slug: PLATFORM_PRIMARY.slug, name: PLATFORM_PRIMARY.name },
                  rotation: 'Platform weekly',
                  start: march(6, 8),
                  end: march(13, 8),
                },
              ],
              shiftCount: 1,
            },
          },
        ],
        resolved: [],
        still: [],
      },
      events: [],
      stats: { requests: 1, retries: 0, rateLimited: 0 },
      source: SOURCE,
      deliveries: { destinations: [], nowMs: Date.parse(at) },
    }),
  );
}

/** Ten days of a 12-person org; returns the store and the run of the day the digest picture shows. */
export function recordDemoHistory(path: string): { store: Store; digestRunId: number } {
  const store = openStore(path);
  let people = PEOPLE.map(([u, t]) => [u, [...t]] as [User, string[]]);
  let previous = aRoster();
  let digestRunId = 0;
  const change = (n: number, edit: () => void) => {
    edit();
    const next = roster(people);
    const runId = recordRosterRun(store, previous, next, day(n), n === 1 ? 'baseline' : 'ok');
    previous = next;
    return runId;
  };
  for (let n = 1; n <= 10; n++) {
    const runId = change(n, () => {
      if (n === 3) {
        people = people.map(([u, t]) =>
          u.username === 'priya.raman'
            ? [{ ...u, email: 'priya.raman@platform.northwind.example' }, t]
            : [u, t],
        );
      }
      if (n === 5) people.push([person('tomas.novak', 'Tomás', 'Novák'), ['payments']]);
      if (n === 7) people = people.filter(([u]) => u.username !== 'marcus.hale');
      if (n === 8) {
        people = people.map(([u, t]) => (u.username === 'kwame.mensah' ? [u, [...t, 'mobile']] : [u, t]));
        people.push([person('lena.fischer', 'Lena', 'Fischer'), ['mobile']]);
      }
    });
    if (n === 8) digestRunId = runId;
  }
  recordPolicyRun(store, march(3, 10));
  recordHrLeaver(store, march(3, 11));
  recordContactsRun(store, march(3, 12));
  recordDemoDeliveries(store);
  return { store, digestRunId };
}

/** Every event delivered to the SIEM webhook. */
function recordDemoDeliveries(store: Store): void {
  syncDestinations(store, [{ name: 'siem', kind: 'webhook', events: [] }]);
  const sequences = (
    store.sqlite.prepare('SELECT sequence FROM events ORDER BY sequence').all() as { sequence: number }[]
  ).map((r) => r.sequence);
  const atMs = Date.parse(march(3, 12));
  for (const destination of ['siem'] as const) {
    const planned = sequences.map((eventSequence) => ({
      destination,
      destinationKind: 'webhook' as const,
      kind: 'event' as const,
      eventSequence,
      runId: null,
    }));
    inTransaction(store, () => enqueueDeliveries(store, planned, atMs));
    for (const row of claimDueDeliveries(store, {
      destination,
      nowMs: atMs,
      limit: sequences.length,
      leaseMs: 1,
    })) {
      recordAttempt(store, {
        deliveryId: row.id,
        attemptedAtMs: atMs,
        latencyMs: 40,
        nextAttemptAtMs: atMs,
        statusCode: 204,
        outcome: 'delivered',
        error: null,
      });
    }
  }
}

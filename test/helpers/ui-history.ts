/**
 * A small recorded history for the web view's tests, written through the real write paths
 * (runs, SCD2 history, events, findings), with names that are hostile on purpose.
 */
import type { Finding } from '../../src/roster/coverage-types.js';
import { diffRosters, diffToEvents } from '../../src/roster/diff.js';
import type { Policy } from '../../src/roster/policy-types.js';
import type { Roster } from '../../src/roster/types.js';
import { inTransaction, openStore, type Store } from '../../src/store/db.js';
import { appendEvents } from '../../src/store/events.js';
import { applyFindingsDiff } from '../../src/store/findings.js';
import { applyHistory } from '../../src/store/history.js';
import { recordIdentitySync } from '../../src/store/identity.js';
import {
  claimDueDeliveries,
  enqueueDeliveries,
  recordAttempt,
  syncDestinations,
} from '../../src/store/outbox.js';
import { applyPolicyHistory, saveTeamSchedules } from '../../src/store/policies.js';
import { insertRun } from '../../src/store/runs.js';
import { aRoster, aTeam, aUser } from './builders.js';

export const HOSTILE = {
  script: '<script>alert("owned")</script>',
  img: '"><img src=x onerror=alert(1)>',
  rtl: 'gnp\u202Eexe.doc',
  terminal: '\u001b[31mred\u001b[0m\u0007',
};

/** A username that is hostile itself (it must survive URLs, attributes and text). */
export const HOSTILE_USERNAME = `mallory"><img src=x onerror=alert(2)>`;

const alice = () => aUser('alice', { firstName: 'Alice', lastName: 'Liddell' });
const mallory = () =>
  aUser(HOSTILE_USERNAME, {
    firstName: HOSTILE.script,
    lastName: HOSTILE.img,
    displayName: HOSTILE.rtl,
    email: `${HOSTILE.terminal}@example.com`,
  });
const teams = () => [
  aTeam('ops', 'Operations'),
  aTeam('payments', 'Payments'),
  aTeam('evil', `Evil ${HOSTILE.rtl} ${HOSTILE.script}`),
];

function rosterOne(): Roster {
  return aRoster({
    users: [alice(), aUser('bob', { firstName: 'Bob', lastName: 'Builder' }), mallory()],
    teams: teams(),
    memberships: [
      ['alice', 'ops'],
      ['bob', 'payments'],
      [HOSTILE_USERNAME, 'evil'],
    ],
  });
}

/** Bob's email changes, Carol joins, Alice joins payments. */
function rosterTwo(): Roster {
  return aRoster({
    users: [
      alice(),
      aUser('bob', { firstName: 'Bob', lastName: 'Builder', email: 'bob@new.example.com' }),
      aUser('carol', { firstName: 'Carol', lastName: 'Danvers' }),
      mallory(),
    ],
    teams: teams(),
    memberships: [
      ['alice', 'ops'],
      ['alice', 'payments'],
      ['bob', 'payments'],
      ['carol', 'ops'],
      [HOSTILE_USERNAME, 'evil'],
    ],
  });
}

export function rosterThree(): Roster {
  const two = rosterTwo();
  return aRoster({
    users: two.users.filter((u) => u.username !== 'bob'),
    teams: two.teams,
    memberships: two.memberships.filter((m) => m.username !== 'bob').map((m) => [m.username, m.teamSlug]),
  });
}

export const TIMES = {
  one: '2026-03-01T09:00:00.000Z',
  two: '2026-03-02T09:00:00.000Z',
  three: '2026-03-03T09:00:00.000Z',
  policy: '2026-03-03T10:00:00.000Z',
};

const SOURCE = 'urn:roster-watch:victorops:test';

let idCounter = 0;
/** Fixed event ids, so pages (and the README's screenshots) are the same from run to run. */
const nextId = () => `00000000-0000-4000-8000-${String(++idCounter).padStart(12, '0')}`;

export function recordRosterRun(
  store: Store,
  before: Roster,
  after: Roster,
  at: string,
  status: 'baseline' | 'ok',
): number {
  return inTransaction(store, () => {
    const diff = diffRosters(before, after);
    const drafts = status === 'baseline' ? [] : diffToEvents(diff, before, after);
    const runId = insertRun(store, {
      startedAt: at,
      finishedAt: at,
      status,
      strategy: 'team',
      stats: { requests: 3, retries: 0, rateLimited: 0 },
      counts: { users: after.users.length, teams: after.teams.length, memberships: after.memberships.length },
      failedScopes: [],
      changeCount: drafts.length,
      error: null,
      rosterHash: null,
    });
    applyHistory(store, runId, at, diff);
    appendEvents(store, drafts, { source: SOURCE, runId, time: at, newId: nextId });
    return runId;
  });
}

const POLICY: Policy = {
  slug: 'pol-payments',
  name: `Payments primary ${HOSTILE.script}`,
  teamSlug: 'payments',
  steps: [
    {
      index: 1,
      timeout: 5,
      entries: [
        { kind: 'user', username: 'bob' },
        { kind: 'user', username: 'alice' },
      ],
    },
    {
      index: 2,
      timeout: 10,
      entries: [
        {
          kind: 'rotation',
          executionType: 'rotation_group',
          rotationSlug: 'rtg-primary',
          rotationLabel: 'Primary',
        },
      ],
    },
    {
      index: 3,
      timeout: 10,
      entries: [
        {
          kind: 'rotation',
          executionType: 'rotation_group_next',
          rotationSlug: 'rtg-payments',
          rotationLabel: 'Payments rota',
        },
      ],
    },
  ],
};

/** Three roster runs (baseline, changes, bob removed) and a policy run with a finding. */
export function recordUiHistory(path: string): Store {
  idCounter = 0;
  const store = openStore(path);
  const empty = aRoster();
  recordRosterRun(store, empty, rosterOne(), TIMES.one, 'baseline');
  recordRosterRun(store, rosterOne(), rosterTwo(), TIMES.two, 'ok');
  recordRosterRun(store, rosterTwo(), rosterThree(), TIMES.three, 'ok');
  inTransaction(store, () => {
    const runId = insertRun(store, {
      kind: 'policy',
      startedAt: TIMES.policy,
      finishedAt: TIMES.policy,
      status: 'ok',
      strategy: null,
      stats: { requests: 2, retries: 0, rateLimited: 0 },
      counts: null,
      failedScopes: [],
      changeCount: 1,
      error: null,
      rosterHash: null,
      policyCount: 1,
    });
    applyPolicyHistory(store, runId, TIMES.policy, { added: [POLICY], removed: [], changed: [] });
    saveTeamSchedules(store, runId, TIMES.policy, [
      {
        team: aTeam('payments', 'Payments'),
        shifts: [
          {
            policySlug: 'pol-payments',
            policyName: POLICY.name,
            rotationName: 'Primary',
            shiftName: 'Week',
            username: 'alice',
            start: '2099-01-01T00:00:00Z',
            end: '2099-01-08T00:00:00Z',
          },
        ],
      },
    ]);
    const finding = {
      kind: 'dangling_reference' as const,
      key: 'dangling_reference:pol-payments:1:bob',
      policy: { slug: POLICY.slug, name: POLICY.name },
      team: aTeam('payments', 'Payments'),
      step: 1,
      username: 'bob',
      removedAt: TIMES.three,
    };
    applyFindingsDiff(store, { appeared: [finding], resolved: [], still: [] }, runId, TIMES.policy);
    // A kind this build does not know (a newer build wrote it): stored the way every finding is,
    // and the view must show it from the stored row.
    const unknownKind = {
      kind: 'nobody_on_call',
      key: 'nobody_on_call:ops',
      team: { slug: 'ops', name: 'Operations' },
      message: 'Nobody is on call for Operations',
    } as unknown as Finding;
    applyFindingsDiff(store, { appeared: [unknownKind], resolved: [], still: [] }, runId, TIMES.policy);
    appendEvents(
      store,
      [{ type: 'victorops.policy.added', subject: POLICY.slug, data: { policy: POLICY } }],
      { source: SOURCE, runId, time: TIMES.policy, newId: nextId },
    );
  });
  recordIdentityFinding(store);
  recordDeliveries(store);
  return store;
}

export const TIMES_IDENTITY = '2026-03-03T11:00:00.000Z';

/** An identity sync (the HR file) that finds Carol has left but is still on Operations. */
function recordIdentityFinding(store: Store): void {
  inTransaction(store, () =>
    recordIdentitySync(store, {
      startedAt: TIMES_IDENTITY,
      finishedAt: TIMES_IDENTITY,
      status: 'ok',
      error: null,
      decisions: [],
      diff: {
        appeared: [
          {
            kind: 'identity.inactive',
            key: 'identity.inactive:carol',
            username: 'carol',
            email: 'carol@example.com',
            matchedBy: 'email',
            identities: [
              {
                source: 'file',
                id: 'E-1042',
                email: 'carol@example.com',
                displayName: 'Carol Danvers',
                status: 'terminated',
                statusChangedAt: '2026-03-02T17:00:00.000Z',
              },
            ],
            activeElsewhere: [],
            statusUnknown: null,
            pending: false,
            exposure: { teams: [aTeam('ops', 'Operations')], policies: [], shifts: [], shiftCount: 0 },
          },
        ],
        resolved: [],
        still: [],
      },
      events: [],
      stats: { requests: 0, retries: 0, rateLimited: 0 },
      source: SOURCE,
      deliveries: { destinations: [], nowMs: Date.parse(TIMES_IDENTITY) },
    }),
  );
}

/** One delivered and one dead webhook delivery, written by the outbox's own functions. */
function recordDeliveries(store: Store): void {
  syncDestinations(store, [
    { name: 'hooks', kind: 'webhook', events: [] },
    { name: 'slack', kind: 'slack', events: [] },
  ]);
  const atMs = Date.parse(TIMES.two);
  const planned = [1, 2].map((eventSequence) => ({
    destination: 'hooks',
    destinationKind: 'webhook' as const,
    kind: 'event' as const,
    eventSequence,
    runId: null,
  }));
  inTransaction(store, () => enqueueDeliveries(store, planned, atMs));
  const [delivered, doomed] = claimDueDeliveries(store, {
    destination: 'hooks',
    nowMs: atMs,
    limit: 2,
    leaseMs: 1,
  });
  const attempt = { attemptedAtMs: atMs, latencyMs: 5, nextAttemptAtMs: atMs };
  recordAttempt(store, {
    ...attempt,
    deliveryId: delivered!.id,
    statusCode: 200,
    outcome: 'delivered',
    error: null,
  });
  const refusal = `receiver said ${HOSTILE.script}`;
  recordAttempt(store, {
    ...attempt,
    deliveryId: doomed!.id,
    statusCode: 500,
    outcome: 'failed',
    error: refusal,
  });
  recordAttempt(store, {
    ...attempt,
    deliveryId: doomed!.id,
    statusCode: 500,
    outcome: 'dead',
    error: refusal,
  });
}

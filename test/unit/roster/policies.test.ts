import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  describeSteps,
  diffPolicies,
  indexPolicyReferences,
  mergeFailedPolicies,
  normalisePolicies,
  policiesReferencing,
  policyDiffToEvents,
} from '../../../src/roster/policies.js';
import { decidePolicyPoll } from '../../../src/roster/policy-decision.js';
import { normaliseEntry, type PolicyEntry } from '../../../src/roster/policy-entries.js';
import type { Policy, PolicyFailedScope } from '../../../src/roster/policy-types.js';

const policy = (slug: string, users: string[][], name = slug, teamSlug = 'team-a'): Policy => ({
  slug,
  name,
  teamSlug,
  steps: users.map((u, i) => ({
    index: i + 1,
    timeout: 5,
    entries: u.map((username) => ({ kind: 'user' as const, username })),
  })),
});

const HEALTH = {
  consecutiveFailures: 0,
  failingSince: null,
  pollFailingAfter: 3,
  now: '2026-01-01T00:00:00.000Z',
};

/** A successful policy fetch of these policies with these failed scopes. */
const fetchedOutcome = (policies: Policy[], failedScopes: PolicyFailedScope[]) => ({
  ok: true as const,
  fetched: {
    policies,
    schedules: [],
    failedScopes,
    stats: { requests: 3, retries: 0, rateLimited: 0 },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
  },
});

const arbitraryPolicies = fc
  .uniqueArray(
    fc.record({
      slug: fc.constantFrom('p1', 'p2', 'p3', 'p4'),
      name: fc.constantFrom('A', 'B'),
      steps: fc.array(fc.array(fc.constantFrom('u1', 'u2', 'U1', 'u3'), { maxLength: 3 }), { maxLength: 3 }),
    }),
    { selector: (p) => p.slug },
  )
  .map((specs) => normalisePolicies(specs.map((s) => policy(s.slug, s.steps, s.name))));

describe('policies', () => {
  it('normalises: trims, renumbers steps from 1, sorts entries, drops duplicate entries and policies', () => {
    const raw: Policy = {
      slug: ' pol-b ',
      name: ' DB Primary ',
      teamSlug: 'team-a',
      steps: [
        {
          index: 7,
          timeout: 5,
          entries: [
            { kind: 'user', username: 'zed' },
            { kind: 'rotation', executionType: 'rotation_group', rotationSlug: 'rot', rotationLabel: 'Rota' },
            { kind: 'user', username: 'Zed' },
          ],
        },
      ],
    };
    expect(normalisePolicies([raw, { ...raw, name: 'dup' }, policy('pol-a', [])])).toEqual([
      policy('pol-a', []),
      {
        slug: 'pol-b',
        name: 'DB Primary',
        teamSlug: 'team-a',
        steps: [
          {
            index: 1,
            timeout: 5,
            entries: [
              {
                kind: 'rotation',
                executionType: 'rotation_group',
                rotationSlug: 'rot',
                rotationLabel: 'Rota',
              },
              { kind: 'user', username: 'zed' },
            ],
          },
        ],
      },
    ]);
  });

  it('diff(a, a) is empty and diff is order-independent (property)', () => {
    fc.assert(
      fc.property(arbitraryPolicies, arbitraryPolicies, (a, b) => {
        expect(diffPolicies(a, a)).toEqual({ added: [], removed: [], changed: [] });
        expect(diffPolicies(a, normalisePolicies([...b].reverse()))).toEqual(diffPolicies(a, b));
      }),
    );
  });

  it('reports added, changed (with before, after and field changes) and removed policies', () => {
    const before = [policy('p1', [['u1']]), policy('p2', [['u1']])];
    const after = [policy('p1', [['u2']], 'Renamed'), policy('p3', [])];
    const events = policyDiffToEvents(diffPolicies(before, after));
    expect(events.map((e) => e.type)).toEqual([
      'victorops.policy.added',
      'victorops.policy.changed',
      'victorops.policy.removed',
    ]);
    expect(events[1]?.data).toMatchObject({
      slug: 'p1',
      changes: [
        { field: 'name', before: 'p1', after: 'Renamed' },
        { field: 'steps', before: '1: u1 (5m)', after: '1: u2 (5m)' },
      ],
    });
  });

  it('a policy whose detail could not be read keeps its previous version: no false removal', () => {
    const previous = [policy('p1', [['u1']]), policy('p2', [['u2']])];
    const merged = mergeFailedPolicies(
      previous,
      [policy('p1', [['u1']])],
      [{ kind: 'policy', slug: 'p2', reason: '500' }],
    );
    expect(merged).toEqual(previous);
    const decision = decidePolicyPoll({
      previous,
      previousSchedules: [],
      health: HEALTH,
      outcome: fetchedOutcome([policy('p1', [['u1']])], [{ kind: 'policy', slug: 'p2', reason: '500' }]),
    });
    expect(decision.status).toBe('partial');
    expect(decision.events).toEqual([]);
  });

  it('a listed policy never read is unknown, not gone: the first poll records the rest; once read it is recorded without policy.added', () => {
    const health = HEALTH;
    const fetched = fetchedOutcome;
    const first = decidePolicyPoll({
      previous: null,
      previousSchedules: [],
      health,
      outcome: fetched(
        [policy('p1', [['u1']])],
        [{ kind: 'policy', slug: 'p2', reason: 'shape', name: 'Two', teamSlug: 'team-b' }],
      ),
    });
    expect(first.status).toBe('baseline');
    expect(first.apply?.policies.map((p) => p.slug)).toEqual(['p1']);
    expect(first.apply?.unreadPolicies).toEqual([
      { slug: 'p2', name: 'Two', teamSlug: 'team-b', reason: 'shape' },
    ]);

    const read = decidePolicyPoll({
      previous: [policy('p1', [['u1']])],
      previousSchedules: [],
      health,
      previousUnread: new Set(['p2']),
      outcome: fetched([policy('p1', [['u1']]), policy('p2', [['u2']])], []),
    });
    expect(read.apply?.diff.added.map((p) => p.slug)).toEqual(['p2']);
    expect(read.events).toEqual([]);
    expect(read.changes).toBe(0);
    expect(read.apply?.unreadPolicies).toEqual([]);
  });

  it('a first poll without a team schedule still fails: it needs every schedule', () => {
    const decision = decidePolicyPoll({
      previous: null,
      previousSchedules: [],
      health: HEALTH,
      outcome: fetchedOutcome([], [{ kind: 'team-schedule', teamSlug: 'team-a', reason: '500' }]),
    });
    expect(decision.status).toBe('failed');
    expect(decision.error).toMatch(/needs every team schedule/);
  });

  it('lists the policies and steps that page a user, case-insensitively', () => {
    const refs = policiesReferencing([policy('p1', [['JDoe'], ['x'], ['jdoe', 'y']], 'DB')], 'jdoe');
    expect(refs).toEqual([{ slug: 'p1', name: 'DB', teamSlug: 'team-a', steps: [1, 3] }]);
  });
});

describe('policy entries of every type', () => {
  it('upgrades entries recorded by older versions, so a stored policy equals the same one read now', () => {
    const stored = [
      { kind: 'rotation', rotationSlug: 'rtg-1', rotationLabel: 'Primary' },
      { kind: 'other', executionType: 'webhook' },
    ] as unknown as PolicyEntry[];
    expect(stored.map(normaliseEntry)).toEqual([
      { kind: 'rotation', executionType: 'rotation_group', rotationSlug: 'rtg-1', rotationLabel: 'Primary' },
      { kind: 'other', executionType: 'webhook', target: '' },
    ]);
  });

  it('describes each entry by its type and target in policy.changed text', () => {
    const [policy] = normalisePolicies([
      {
        slug: 'pol-1',
        name: 'P',
        teamSlug: 't',
        steps: [
          {
            index: 1,
            timeout: 5,
            entries: [
              { kind: 'user', username: 'ann' },
              { kind: 'user', username: 'bob' },
              {
                kind: 'rotation',
                executionType: 'rotation_group_next',
                rotationSlug: 'rtg-1',
                rotationLabel: 'R',
              },
              { kind: 'email', address: 'ops@example.com' },
              { kind: 'webhook', webhookSlug: 'wh-1' },
              { kind: 'policy', policySlug: 'pol-2' },
            ],
          },
        ],
      },
    ]);
    expect(describeSteps(policy!.steps)).toBe(
      '1: email:ops@example.com, policy:pol-2, @rtg-1 (next), ann, bob, webhook:wh-1 (5m)',
    );
  });

  it('indexPolicyReferences answers exactly what policiesReferencing answers, for any user', () => {
    fc.assert(
      fc.property(
        arbitraryPolicies,
        fc.array(
          fc.array(fc.array(fc.constantFrom('u1', 'u2', 'U1', 'u3'), { maxLength: 3 }), { maxLength: 3 }),
        ),
        (normalised, raw) => {
          // Also policies as read before normalising: repeated entries, steps naming nobody.
          const policies = [...normalised, ...raw.map((steps, i) => policy(`raw-${i}`, steps))];
          const referencing = indexPolicyReferences(policies);
          for (const username of ['u1', 'U1', 'u2', 'u3', 'nobody']) {
            expect(referencing(username)).toEqual(policiesReferencing(policies, username));
          }
        },
      ),
    );
  });
});

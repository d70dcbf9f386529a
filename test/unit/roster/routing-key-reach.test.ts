/**
 * Key-level reachability: `routing_key_unrouted` and `routing_key_unstaffed`, and the routing-key
 * history decision (a failed read never removes a key; the first read is quiet).
 */
import { describe, expect, it } from 'vitest';
import { parseReachExempt } from '../../../src/config/reach.js';
import { describeFinding } from '../../../src/roster/coverage-events.js';
import { findExemption } from '../../../src/roster/identity-match.js';
import { decidePolicyPoll } from '../../../src/roster/policy-decision.js';
import type { Policy, TeamSchedule } from '../../../src/roster/policy-types.js';
import {
  findRoutingKeyFindings,
  type KeyReachInput,
  keysLosingLastPerson,
} from '../../../src/roster/routing-key-reach.js';
import type { RoutingKey } from '../../../src/roster/routing-keys.js';

const NOW = '2026-12-04T09:00:00.000Z'; // a Friday
const team = { slug: 'team-db', name: 'DB' };
const rotationStep = {
  index: 1,
  timeout: 5,
  entries: [
    {
      kind: 'rotation' as const,
      executionType: 'rotation_group' as const,
      rotationSlug: 'rtg-db',
      rotationLabel: 'DB',
    },
  ],
};
const policy = (slug: string, name: string, steps: Policy['steps']): Policy => ({
  slug,
  name,
  teamSlug: team.slug,
  steps,
});
const key = (routingKey: string, ...slugs: string[]): RoutingKey => ({
  routingKey,
  isDefault: false,
  targets: slugs.map((s) => ({ policySlug: s, policyName: s })),
});
/** ana on call in DB primary from now until Friday 18:00, nobody until Monday 09:00, bo until the 10th, then nobody. */
const schedule: TeamSchedule = {
  team,
  fetchedAt: NOW,
  rotations: [{ policySlug: 'pol-primary', policyName: 'DB primary', rotationName: 'DB', shiftName: 'Day' }],
  shifts: [
    {
      policySlug: 'pol-primary',
      policyName: 'DB primary',
      rotationName: 'DB',
      shiftName: 'Day',
      username: 'ana',
      start: NOW,
      end: '2026-12-04T18:00:00.000Z',
    },
    {
      policySlug: 'pol-primary',
      policyName: 'DB primary',
      rotationName: 'DB',
      shiftName: 'Day',
      username: 'bo',
      start: '2026-12-07T09:00:00.000Z',
      end: '2026-12-10T00:00:00.000Z',
    },
  ],
};
const primary = policy('pol-primary', 'DB primary', [rotationStep]);

function input(over: Partial<KeyReachInput>): KeyReachInput {
  return {
    routingKeys: [],
    policies: [primary],
    unreadPolicies: new Set(),
    schedules: [schedule],
    users: new Set(['ana', 'bo', 'cy']),
    now: NOW,
    daysForward: 14,
    ...over,
  };
}

describe('routing_key_unrouted', () => {
  it('a key with no targets, and a key whose every target is gone, route nowhere; a routed key does not', () => {
    const found = findRoutingKeyFindings(
      input({
        routingKeys: [key('empty'), key('gone', 'pol-deleted'), key('db', 'pol-primary', 'pol-deleted')],
      }),
    );
    expect(found.filter((f) => f.kind === 'routing_key_unrouted').map((f) => f.key)).toEqual([
      'routing_key_unrouted:empty',
      'routing_key_unrouted:gone',
    ]);
  });

  it('a target that is listed but unreadable still exists', () => {
    expect(
      findRoutingKeyFindings(
        input({ routingKeys: [key('k', 'pol-unread')], unreadPolicies: new Set(['pol-unread']) }),
      ),
    ).toEqual([]);
  });
});

describe('routing_key_unstaffed', () => {
  it('names the first gap, counts the gaps and says why the policy is empty', () => {
    const [f] = findRoutingKeyFindings(input({ routingKeys: [key('db-critical', 'pol-primary')] }));
    expect(f).toMatchObject({
      kind: 'routing_key_unstaffed',
      routingKey: 'db-critical',
      from: '2026-12-04T18:00:00.000Z',
      until: '2026-12-07T09:00:00.000Z',
      windows: 2,
      policies: [{ slug: 'pol-primary', name: 'DB primary', why: ['rotation DB has no one on call'] }],
    });
    expect(f && describeFinding(f)).toMatch(
      /^Alerts to routing key db-critical reach nobody from Fri 2026-12-04 18:00 UTC to Mon 2026-12-07 09:00 UTC \(and 1 later gap\) \(DB primary: rotation DB has no one on call\)/,
    );
  });

  it('a second target policy with a direct user staffs the key', () => {
    const direct = policy('pol-direct', 'DB direct', [
      { index: 1, timeout: 0, entries: [{ kind: 'user', username: 'cy' }] },
    ]);
    expect(
      findRoutingKeyFindings(
        input({ policies: [primary, direct], routingKeys: [key('db', 'pol-primary', 'pol-direct')] }),
      ),
    ).toEqual([]);
  });

  it('a direct user entry for a deleted user does not count, and email/webhook entries are listed, not counted', () => {
    const ghost = policy('pol-ghost', 'Ghost', [
      {
        index: 1,
        timeout: 0,
        entries: [
          { kind: 'user', username: 'gone.user' },
          { kind: 'webhook', webhookSlug: 'wh-1' },
          { kind: 'email', address: 'db@example.com' },
        ],
      },
    ]);
    const [f] = findRoutingKeyFindings(input({ policies: [ghost], routingKeys: [key('k', 'pol-ghost')] }));
    expect(f).toMatchObject({
      kind: 'routing_key_unstaffed',
      from: NOW,
      windows: 1,
      policies: [{ why: ['user gone.user is not in the org'] }],
      notPeople: ['Ghost: email:db@example.com', 'Ghost: webhook:wh-1'],
    });
  });

  it('follows policy_routing, also through a cycle, without looping', () => {
    const a = policy('pol-a', 'A', [
      { index: 1, timeout: 0, entries: [{ kind: 'policy', policySlug: 'pol-b' }] },
    ]);
    const b = policy('pol-b', 'B', [
      { index: 1, timeout: 0, entries: [{ kind: 'policy', policySlug: 'pol-a' }] },
    ]);
    const c = policy('pol-c', 'C', [
      { index: 1, timeout: 0, entries: [{ kind: 'policy', policySlug: 'pol-primary' }] },
    ]);
    const found = findRoutingKeyFindings(
      input({ policies: [primary, a, b, c], routingKeys: [key('loop', 'pol-a'), key('via', 'pol-c')] }),
    );
    expect(found.map((f) => [f.key, f.kind === 'routing_key_unstaffed' ? f.from : null])).toEqual([
      ['routing_key_unstaffed:loop', NOW],
      ['routing_key_unstaffed:via', '2026-12-04T18:00:00.000Z'],
    ]);
  });

  it('a shift held by a user no longer in the org does not staff the key', () => {
    const found = findRoutingKeyFindings(
      input({ users: new Set(['bo']), routingKeys: [key('db', 'pol-primary')] }),
    );
    expect(found[0]).toMatchObject({ from: NOW, until: '2026-12-07T09:00:00.000Z' });
  });

  it('an exempt key gets no finding', () => {
    const exemptions = parseReachExempt('db-*=webhook only on purpose', []);
    const found = findRoutingKeyFindings(
      input({
        routingKeys: [key('db-critical', 'pol-primary'), key('empty')],
        isExempt: (k) => findExemption(exemptions, k) !== undefined,
      }),
    );
    expect(found.map((f) => f.key)).toEqual(['routing_key_unrouted:empty']);
  });
});

describe('REACH_EXEMPT', () => {
  it('reads pairs separated by commas or newlines and names a malformed one', () => {
    const problems: string[] = [];
    expect(parseReachExempt('legacy-*=webhook only,\n svc-bot = a bot \nbroken', problems)).toEqual([
      { pattern: 'legacy-*', reason: 'webhook only' },
      { pattern: 'svc-bot', reason: 'a bot' },
    ]);
    expect(problems).toEqual([expect.stringContaining('got "broken"')]);
  });
});

describe('routing keys in the policy decision', () => {
  const health = { consecutiveFailures: 0, failingSince: null, pollFailingAfter: 3, now: NOW };
  const fetched = (routingKeys: RoutingKey[] | null) => ({
    ok: true as const,
    fetched: {
      policies: [primary],
      schedules: [],
      routingKeys,
      failedScopes: routingKeys === null ? [{ kind: 'routing-keys' as const, reason: 'HTTP 500' }] : [],
      stats: { requests: 1, retries: 0, rateLimited: 0 },
      startedAt: NOW,
      finishedAt: NOW,
    },
  });
  const decide = (previousRoutingKeys: RoutingKey[] | null, read: RoutingKey[] | null) =>
    decidePolicyPoll({
      previous: [primary],
      previousSchedules: [],
      outcome: fetched(read),
      previousRoutingKeys,
      health,
    });

  it('a failed read keeps the recorded keys: nothing removed, nothing written', () => {
    const d = decide([key('db', 'pol-primary')], null);
    expect(d.status).toBe('partial');
    expect(d.apply?.routingKeys).toEqual([key('db', 'pol-primary')]);
    expect(d.apply?.routingKeyDiff).toBeNull();
    expect(d.events.filter((e) => e.type.startsWith('victorops.routing_key.'))).toEqual([]);
  });

  it('the first read records the keys quietly', () => {
    const d = decide(null, [key('db', 'pol-primary')]);
    expect(d.apply?.routingKeyDiff?.added).toHaveLength(1);
    expect(d.events).toEqual([]);
  });

  it('added, changed (targets, default flag) and removed keys are events', () => {
    const d = decide(
      [key('db', 'pol-primary'), key('old')],
      [{ ...key('db'), isDefault: true }, key('new', 'pol-primary')],
    );
    expect(d.events.map((e) => [e.type, e.subject])).toEqual([
      ['victorops.routing_key.added', 'new'],
      ['victorops.routing_key.changed', 'db'],
      ['victorops.routing_key.removed', 'old'],
    ]);
    expect(d.events[1]?.data).toMatchObject({
      changes: [
        { field: 'targets', before: 'pol-primary (pol-primary)', after: '(no targets)' },
        { field: 'isDefault', before: false, after: true },
      ],
    });
    expect(d.changes).toBe(3);
  });
});

describe('keys losing their last person (offboard-check)', () => {
  it('names a key whose only on-call person is leaving, with the gap it would have; not a key someone else staffs', () => {
    const backup = policy('pol-backup', 'Backup', [
      { index: 1, timeout: 0, entries: [{ kind: 'user', username: 'cy' }] },
    ]);
    const base = input({ policies: [primary, backup] });
    const losing = keysLosingLastPerson(
      { ...base, routingKeys: [key('db', 'pol-primary'), key('covered', 'pol-primary', 'pol-backup')] },
      'ANA',
    );
    // Her shift and the gap after it become one gap: nobody from now until bo on Monday.
    expect(losing).toEqual([{ routingKey: 'db', from: NOW, until: '2026-12-07T09:00:00.000Z', windows: 1 }]);
  });
});

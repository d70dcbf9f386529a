import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeIdentityFinding, identityFindingEvents } from '../../../src/roster/identity-events.js';
import {
  computeIdentityFindings,
  decideSource,
  diffIdentityFindings,
  initialSourceState,
  planIdentityFindings,
} from '../../../src/roster/identity-findings.js';
import type { Identity, IdentityFinding } from '../../../src/roster/identity-types.js';
import type { Policy, TeamSchedule } from '../../../src/roster/policy-types.js';
import { aRoster, aTeam, aUser } from '../../helpers/builders.js';
import { matchSettings } from '../../helpers/identity-unit.js';

const NOW = '2026-03-04T10:00:00.000Z'; // a Wednesday

function anIdentity(email: string, overrides: Partial<Identity> = {}): Identity {
  return {
    source: 'okta',
    id: `id-${email}`,
    emails: [email],
    displayName: null,
    active: true,
    status: 'ACTIVE',
    statusChangedAt: null,
    ...overrides,
  };
}

const settings = matchSettings;

const payments = aTeam('team-pay', 'Payments');
const policy: Policy = {
  slug: 'pol-pay',
  name: 'Payments primary',
  teamSlug: 'team-pay',
  steps: [{ index: 1, timeout: 5, entries: [{ kind: 'user', username: 'jdoe' }] }],
};
const schedule: TeamSchedule = {
  team: payments,
  shifts: [
    {
      policySlug: 'pol-pay',
      policyName: 'Payments primary',
      rotationName: 'Weekly',
      shiftName: 'Day',
      username: 'JDoe',
      start: '2026-03-06T09:00:00.000Z',
      end: '2026-03-07T09:00:00.000Z',
    },
    {
      policySlug: 'pol-pay',
      policyName: 'Payments primary',
      rotationName: 'Weekly',
      shiftName: 'Day',
      username: 'jdoe',
      start: '2026-03-01T09:00:00.000Z',
      end: '2026-03-02T09:00:00.000Z',
    },
  ],
};

function compute(
  users: ReturnType<typeof aUser>[],
  identities: Identity[],
  s = settings(),
): IdentityFinding[] {
  return computeIdentityFindings({
    roster: aRoster({ users, teams: [payments], memberships: users.map((u) => [u.username, 'team-pay']) }),
    policies: [policy],
    schedules: [schedule],
    now: NOW,
    identities,
    settings: s,
    sources: ['okta'],
  });
}

describe('matching VictorOps users to identities', () => {
  it('matches email case-insensitively against every address of an identity', () => {
    const findings = compute(
      [aUser('jdoe', { email: 'John.Doe@Example.com' })],
      [anIdentity('jd@corp.example', { emails: ['jd@corp.example', 'john.doe@example.COM'] })],
    );
    expect(findings).toEqual([]);
  });

  it('uses the local-part rule only when enabled and unambiguous, then the explicit mapping', () => {
    const user = aUser('jdoe', { email: null });
    const identity = anIdentity('jdoe@corp.example');
    expect(compute([user], [identity]).map((f) => f.kind)).toEqual(['identity.unmatched']);
    const byRule = compute([user], [identity], settings({ rule: 'local-part' }));
    expect(byRule.map((f) => [f.kind, 'matchedBy' in f ? f.matchedBy : null])).toEqual([
      ['identity.mismatch', 'rule'],
    ]);
    // Two different people with the same local part: the rule refuses to guess.
    const twins = [identity, anIdentity('jdoe@other.example')];
    expect(compute([user], twins, settings({ rule: 'local-part' })).map((f) => f.kind)).toEqual([
      'identity.unmatched',
    ]);
    const mapped = compute(
      [user],
      twins,
      settings({ rule: 'local-part', explicit: new Map([['jdoe', 'JDOE@other.example']]) }),
    );
    expect(mapped).toMatchObject([
      { kind: 'identity.mismatch', matchedBy: 'mapping', identity: { email: 'jdoe@other.example' } },
    ]);
  });

  it('exempts by name or pattern, case-insensitively', () => {
    const s = settings({
      exemptions: [
        { pattern: 'svc-*', reason: 'service account' },
        { pattern: 'BreakGlass', reason: 'break-glass' },
      ],
    });
    expect(
      compute([aUser('SVC-deploy'), aUser('breakglass'), aUser('x')], [], s).map((f) => f.username),
    ).toEqual(['x']);
  });

  it('reports a leaver with the inactive identities and their exposure', () => {
    const [finding] = compute(
      [aUser('jdoe')],
      [
        anIdentity('jdoe@example.com', {
          active: false,
          status: 'DEPROVISIONED',
          statusChangedAt: '2026-03-01T08:00:00.000Z',
        }),
      ],
    );
    expect(finding).toMatchObject({
      kind: 'identity.inactive',
      username: 'jdoe',
      identities: [{ source: 'okta', status: 'DEPROVISIONED' }],
      exposure: {
        teams: [payments],
        policies: [{ slug: 'pol-pay', steps: [1], viaRotation: false }],
        shifts: [{ start: '2026-03-06T09:00:00.000Z', rotation: 'Weekly' }],
        shiftCount: 1,
      },
    });
    expect(describeIdentityFinding(finding!, NOW)).toBe(
      'jdoe left (Okta: DEPROVISIONED 3 days ago) but is still paged by Payments primary and on call Friday: run `roster-watch offboard-check jdoe`, then delete the VictorOps user.',
    );
  });

  it('a status it does not know is neither active nor a leaver', () => {
    expect(
      compute([aUser('jdoe')], [anIdentity('jdoe@example.com', { active: null, status: 'STAGED' })]),
    ).toEqual([]);
  });

  it('reports name differences, ignoring word order and case', () => {
    const user = aUser('jdoe', { firstName: 'John', lastName: 'Doe' });
    expect(compute([user], [anIdentity('jdoe@example.com', { displayName: 'Doe, JOHN' })])).toEqual([]);
    expect(compute([user], [anIdentity('jdoe@example.com', { displayName: 'Jane Doe' })])).toMatchObject([
      {
        kind: 'identity.mismatch',
        differences: [{ field: 'name', victorops: 'John Doe', identity: 'Jane Doe' }],
      },
    ]);
  });

  it('input order changes nothing', () => {
    const users = ['a', 'b', 'c', 'd'].map((u) => aUser(u));
    const identities = [
      anIdentity('a@example.com', { active: false, status: 'SUSPENDED' }),
      anIdentity('b@example.com'),
      anIdentity('c@example.com', { displayName: 'Someone Else' }),
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(identities, { minLength: 3, maxLength: 3 }), (shuffled) => {
        expect(compute(users, shuffled)).toEqual(compute(users, identities));
      }),
    );
  });
});

describe('trusting a source read', () => {
  const guard = { maxFraction: 0.2, min: 5, confirmations: 2 };

  it('a failed read starts a failing streak and keeps the last accepted count', () => {
    const ok = decideSource(
      'okta',
      undefined,
      { ok: true, identities: Array(100).fill(anIdentity('a@x')) },
      guard,
      NOW,
    );
    expect(ok).toMatchObject({ verdict: 'ok', next: { lastCount: 100, failingSince: null } });
    const failed = decideSource(
      'okta',
      ok.next,
      { ok: false, error: 'HTTP 500' },
      guard,
      '2026-03-04T11:00:00.000Z',
    );
    expect(failed).toMatchObject({
      verdict: 'failed',
      next: { lastCount: 100, failingSince: '2026-03-04T11:00:00.000Z' },
    });
  });

  it('an empty read is an outage, even the first one', () => {
    const empty = decideSource('ldap', undefined, { ok: true, identities: [] }, guard, NOW);
    expect(empty).toMatchObject({ verdict: 'failed', next: { lastCount: null, failingSince: NOW } });
    expect(empty.next.lastError).toMatch(/^read 0 identities: an empty source is treated as an outage/);
  });

  it('holds a read that shrank past the guard until the confirmations agree', () => {
    const prev = { ...initialSourceState('f'), lastCount: 100, lastSuccessAt: NOW };
    const small = { ok: true as const, identities: Array(70).fill(anIdentity('a@x')) };
    const held = decideSource('f', prev, small, guard, NOW);
    expect(held.verdict).toBe('held');
    expect(held.next.lastError).toMatch(/read 70 identities, 30 fewer than the 100/);
    expect(decideSource('f', held.next, small, guard, NOW)).toMatchObject({
      verdict: 'ok',
      next: { lastCount: 70, heldReads: 0 },
    });
    // A small drop is normal churn, and a drop under REMOVAL_GUARD_MIN is never held.
    expect(
      decideSource('f', prev, { ok: true, identities: Array(85).fill(anIdentity('a@x')) }, guard, NOW)
        .verdict,
    ).toBe('ok');
    const tiny = { ...prev, lastCount: 6 };
    expect(
      decideSource('f', tiny, { ok: true, identities: Array(2).fill(anIdentity('a@x')) }, guard, NOW).verdict,
    ).toBe('ok');
  });

  it('while a source cannot be trusted, user findings neither open nor resolve', () => {
    const leaver = compute(
      [aUser('jdoe')],
      [anIdentity('jdoe@example.com', { active: false, status: 'SUSPENDED' })],
    );
    const open = leaver.map((finding) => ({ finding, firstSeen: NOW }));
    const failed = decideSource('okta', undefined, { ok: false, error: 'timeout' }, guard, NOW);
    const plan = planIdentityFindings({ decisions: [failed], open, computeUsers: () => [] });
    expect(plan.usersFrozen).toBe(true);
    const diff = diffIdentityFindings(open, plan.computed);
    expect(diff.resolved).toEqual([]);
    expect(diff.appeared.map((f) => f.kind)).toEqual(['identity.source_failing']);
  });
});

describe('identity events', () => {
  it('carry state and username; resolutions come first', () => {
    const [a] = compute([aUser('jdoe')], []);
    const events = identityFindingEvents(
      { appeared: [a!], resolved: [{ finding: a!, firstSeen: '2026-03-01T00:00:00.000Z' }], still: [] },
      NOW,
    );
    expect(events.map((e) => [e.type, e.subject, (e.data as { state: string }).state])).toEqual([
      ['rosterwatch.identity.unmatched', 'jdoe', 'resolved'],
      ['rosterwatch.identity.unmatched', 'jdoe', 'open'],
    ]);
    expect(events[1]!.data).toMatchObject({ username: 'jdoe', firstSeen: NOW, resolvedAt: null });
  });
});

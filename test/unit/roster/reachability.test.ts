/**
 * Person-level reachability (pure): which rules reach a person, the unreachable_on_call and
 * email_only_paging findings with their sentences, who is read each contacts poll, and the
 * contact-change events (hints only).
 */
import { describe, expect, it } from 'vitest';
import type { ContactMethod, PersonContacts } from '../../../src/roster/contact-types.js';
import { diffPersonContacts } from '../../../src/roster/contacts-diff.js';
import { planContactReads } from '../../../src/roster/contacts-plan.js';
import { describeFinding } from '../../../src/roster/coverage-events.js';
import type { Policy, TeamSchedule } from '../../../src/roster/policy-types.js';
import { computeReachFindings, judgeRule } from '../../../src/roster/reachability.js';

const NOW = '2026-03-02T12:00:00.000Z';
const phone = (verified: boolean): ContactMethod => ({ id: 1, kind: 'phone', verified, hint: '…42' });
const email = (verified: boolean): ContactMethod => ({
  id: 2,
  kind: 'email',
  verified,
  hint: '@example.com',
});
const device: ContactMethod = { id: 3, kind: 'device', verified: null, hint: 'iOS' };
const person = (
  username: string,
  methods: ContactMethod[],
  rules: [string, number | null][][],
): PersonContacts => ({
  username,
  methods,
  pagingPolicy: rules.map((step, i) => ({
    index: i + 1,
    timeout: 5,
    rules: step.map(([type, contactId]) => ({ type, contactId })),
  })),
});
const team = { slug: 'team-pay', name: 'Payments' };
const policies: Policy[] = [
  {
    slug: 'pol-pay',
    name: 'Payments primary',
    teamSlug: 'team-pay',
    steps: [{ index: 1, timeout: 5, entries: [] }],
  },
  {
    slug: 'pol-db',
    name: 'DB',
    teamSlug: 'team-pay',
    steps: [{ index: 1, timeout: 5, entries: [{ kind: 'user', username: 'dora' }] }],
  },
];
const schedules: TeamSchedule[] = [
  {
    team,
    fetchedAt: NOW,
    shifts: ['alice', 'bob', 'erin'].map((username) => ({
      policySlug: 'pol-pay',
      policyName: 'Payments primary',
      rotationName: 'Weekly',
      shiftName: 'Day',
      username,
      start: '2026-03-02T09:00:00.000Z',
      end: '2026-03-09T09:00:00.000Z',
    })),
  },
];
const find = (people: PersonContacts[], exempt: string[] = []) =>
  computeReachFindings({
    policies,
    schedules,
    now: NOW,
    contacts: new Map(people.map((p) => [p.username.toLowerCase(), p])),
    isExempt: (u) => exempt.includes(u),
    teamOf: () => team,
  });

describe('judgeRule', () => {
  it.each([
    ['sms', 1, [phone(true)], true, 'texts phone …42'],
    ['phone', 1, [phone(false)], false, 'calls phone …42, which is unverified'],
    ['sms', 9, [phone(true)], false, 'texts a phone that no longer exists'],
    ['email', 2, [email(false)], false, 'emails email @example.com, which is unverified'],
    ['email', 2, [email(true)], true, 'emails email @example.com'],
    ['push', null, [], false, 'pushes to the app, but no device has the app installed'],
    ['push', null, [device], true, 'pushes to iOS device'],
    ['carrier_pigeon', null, [], true, 'uses a rule of type carrier_pigeon'],
  ] as const)('%s → contact %s', (type, contactId, methods, reaches, reason) => {
    expect(judgeRule({ type, contactId }, person('x', [...methods], []))).toEqual({ reaches, reason });
  });
});

describe('computeReachFindings', () => {
  it('sms then push with an unverified phone and no device is unreachable_on_call, with the sentence', () => {
    const [f, ...rest] = find([
      person(
        'alice',
        [phone(false)],
        [
          [
            ['sms', 1],
            ['push', null],
          ],
        ],
      ),
    ]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      kind: 'unreachable_on_call',
      key: 'unreachable_on_call:alice',
      username: 'alice',
      shifts: 1,
      policies: [{ slug: 'pol-pay', name: 'Payments primary' }],
    });
    expect(describeFinding(f!)).toBe(
      "alice is on call for team Payments (rotation 'Weekly', policy 'Payments primary') from 2026-03-02 09:00 UTC to 2026-03-09 09:00 UTC but cannot be reached: their paging policy texts phone …42, which is unverified, and pushes to the app, but no device has the app installed. Have alice verify phone …42 or install the VictorOps app, or reassign.",
    );
  });

  it('a verified phone and a device is no finding; an email-only policy is a warning', () => {
    const findings = find([
      person(
        'bob',
        [phone(true), device],
        [
          [
            ['push', null],
            ['sms', 1],
          ],
        ],
      ),
      person('erin', [email(true)], [[['email', 2]]]),
    ]);
    expect(findings.map((f) => f.key)).toEqual(['email_only_paging:erin']);
    expect(findings[0]).toMatchObject({ emails: ['@example.com'] });
  });

  it('someone paged directly is judged too; an exempt person and someone never read are not', () => {
    const unreachable = person('dora', [], [[['push', null]]]);
    expect(find([unreachable]).map((f) => f.key)).toEqual(['unreachable_on_call:dora']);
    expect(find([unreachable])[0]).toMatchObject({ shift: null, pagedBy: [{ slug: 'pol-db', steps: [1] }] });
    expect(find([unreachable], ['dora'])).toEqual([]);
    expect(find([])).toEqual([]);
  });
});

describe('planContactReads', () => {
  const base = {
    usernames: ['alice', 'bob', 'cy', 'dan', 'eve'],
    paged: new Set(['alice']),
    nowMs: 100 * 3_600_000,
    verifyIntervalMs: 24 * 3_600_000,
  };
  it('reads everyone on the first poll', () => {
    const plan = planContactReads({ ...base, readAtMs: new Map(), lastPollMs: null });
    expect(plan).toEqual({ usernames: ['alice', 'bob', 'cy', 'dan', 'eve'], paged: 1, slice: 4 });
  });
  it('then the paged people every poll and the oldest-read share of the rest, overdue ones always', () => {
    const hour = 3_600_000;
    const readAtMs = new Map([
      ['alice', base.nowMs - hour],
      ['bob', base.nowMs - 2 * hour],
      ['cy', base.nowMs - 3 * hour],
      ['dan', base.nowMs - 25 * hour],
      ['eve', base.nowMs - 5 * hour],
    ]);
    const plan = planContactReads({ ...base, readAtMs, lastPollMs: base.nowMs - hour });
    // 1 h of 24 h: a share of ceil(4/24) = 1 person, and dan is overdue anyway.
    expect(plan.usernames).toEqual(['alice', 'dan']);
  });
});

describe('diffPersonContacts', () => {
  it('a first read is a baseline; a verified phone and a new device are one event with hints only', () => {
    const before = person(
      'alice',
      [phone(false)],
      [
        [
          ['sms', 1],
          ['push', null],
        ],
      ],
    );
    expect(diffPersonContacts(null, before)).toEqual([]);
    const after = person(
      'alice',
      [phone(true), device],
      [
        [
          ['push', null],
          ['sms', 1],
        ],
      ],
    );
    const events = diffPersonContacts(before, after);
    expect(events.map((e) => e.type)).toEqual([
      'victorops.user.contact_methods_changed',
      'victorops.user.paging_policy_changed',
    ]);
    expect(events[0]!.data).toMatchObject({
      added: [device],
      removed: [],
      message: 'alice: added iOS device, phone …42 is now verified',
    });
  });
});

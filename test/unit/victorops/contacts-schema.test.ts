/**
 * The contact-method and personal paging-policy schemas against the real-shape fixtures, and the
 * reduction to hints: what the adapter hands on holds no full phone number or address.
 */
import { describe, expect, it } from 'vitest';
import { emailHint, phoneHint } from '../../../src/roster/contact-types.js';
import { contactMethodsSchema, pagingPolicySchema } from '../../../src/victorops/contact-schemas.js';
import { reduceContactMethods, reducePagingPolicy } from '../../../src/victorops/fetch-contacts.js';
import { readFixture } from '../../helpers/victorops-fixtures.js';

describe('contact methods (v1-user-contact-methods.json)', () => {
  const parsed = contactMethodsSchema.parse(readFixture('v1-user-contact-methods.json'));

  it('reads the three wrapped lists, verified as a string', () => {
    expect(parsed.phones.map((p) => [p.id, p.verified])).toEqual([[250169, 'unverified']]);
    expect(parsed.emails.map((e) => [e.id, e.verified])).toEqual([
      [122482, 'verified'],
      [122496, 'unverified'],
    ]);
    expect(parsed.devices.map((d) => [d.id, d.deviceType])).toEqual([[122485, 'Android']]);
  });

  it('reduces each method to id, kind, verified and a hint, with no full value left', () => {
    const reduced = reduceContactMethods(parsed);
    expect(reduced).toEqual([
      { id: 122485, kind: 'device', verified: null, hint: 'Android' },
      { id: 122482, kind: 'email', verified: true, hint: '@example.com' },
      { id: 122496, kind: 'email', verified: false, hint: '@example.org' },
      { id: 250169, kind: 'phone', verified: false, hint: '…10' },
    ]);
    const text = JSON.stringify(reduced);
    for (const full of ['555-555-0110', '5555550110', 'jane.doe@example.com', 'jane@example.org', 'Pixel'])
      expect(text).not.toContain(full);
  });

  it('accepts a bare array for a group and a missing group, and refuses a boolean-less id', () => {
    expect(contactMethodsSchema.parse({ devices: [{ id: 1, deviceType: 'iOS' }] })).toEqual({
      emails: [],
      phones: [],
      devices: [{ id: 1, deviceType: 'iOS' }],
    });
    expect(contactMethodsSchema.safeParse({ phones: { contactMethods: [{ value: '+1' }] } }).success).toBe(
      false,
    );
  });
});

describe('personal paging policy (v1-profile-paging-policy.json)', () => {
  it('reads steps and rules with 1-based steps, push without a contact', () => {
    const steps = reducePagingPolicy(pagingPolicySchema.parse(readFixture('v1-profile-paging-policy.json')));
    expect(steps).toEqual([
      {
        index: 1,
        timeout: 5,
        rules: [
          { type: 'push', contactId: null },
          { type: 'sms', contactId: 250169 },
        ],
      },
      {
        index: 2,
        timeout: 10,
        rules: [
          { type: 'phone', contactId: 250169 },
          { type: 'email', contactId: 122482 },
        ],
      },
    ]);
  });

  it('refuses a rule without a type, naming it', () => {
    const result = pagingPolicySchema.safeParse({ steps: [{ index: 0, timeout: 5, rules: [{ index: 0 }] }] });
    expect(result.success).toBe(false);
  });
});

describe('hints', () => {
  it.each([
    ['+1 555-555-0110', '…10'],
    ['(0)20 7946 0958', '…58'],
    ['12', '…'],
    ['', '…'],
  ])('phone %s → %s', (value, hint) => expect(phoneHint(value)).toBe(hint));

  it.each([
    ['Jane.Doe@Example.COM', '@example.com'],
    ['not-an-address', '@…'],
    ['trailing@', '@…'],
  ])('email %s → %s', (value, hint) => expect(emailHint(value)).toBe(hint));
});

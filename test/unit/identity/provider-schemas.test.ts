/** The Okta and Graph schemas against the real response shapes kept in test/fixtures. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  graphErrorSchema,
  graphUserPageSchema,
  smtpAddresses,
  tokenErrorSchema,
  tokenResponseSchema,
} from '../../../src/identity/graph-schemas.js';
import { graphUserToIdentity } from '../../../src/identity/graph-source.js';
import { oktaErrorSchema, oktaUserListSchema, parseNextLink } from '../../../src/identity/okta-schemas.js';
import { oktaUserToIdentity } from '../../../src/identity/okta-source.js';

interface Fixture {
  status?: number;
  headers?: Record<string, string>;
  body: unknown;
}
const fixture = (system: string, name: string): Fixture =>
  JSON.parse(readFileSync(resolve(import.meta.dirname, '../../fixtures', system, name), 'utf8')) as Fixture;

describe('Okta Users API shapes', () => {
  it.each([
    'list-users-page-1.json',
    'list-users-page-2.json',
    'list-users-filter-suspended.json',
    'list-users-example.json',
  ])('%s parses and becomes identities', (name) => {
    const users = oktaUserListSchema.parse(fixture('okta', name).body);
    expect(users.length).toBeGreaterThan(0);
    for (const u of users) {
      const identity = oktaUserToIdentity(u);
      expect(identity.emails[0]).toBe(u.profile.email);
      expect(identity.status).toBe(u.status);
    }
  });

  it('maps the recorded statuses: SUSPENDED is a leaver, STAGED and ACTIVE are people', () => {
    const [suspended] = oktaUserListSchema.parse(fixture('okta', 'list-users-filter-suspended.json').body);
    expect(oktaUserToIdentity(suspended!)).toMatchObject({ active: false, status: 'SUSPENDED' });
    expect(suspended!.statusChanged).toBe('2020-08-27T18:19:30.000Z');
    const [staged] = oktaUserListSchema.parse(fixture('okta', 'list-users-page-1.json').body);
    expect(oktaUserToIdentity(staged!).active).toBe(true);
    // A status Okta might add later is unknown, even one spelled like an Object method.
    for (const status of ['toString', 'constructor', 'SOMETHING_NEW'])
      expect(oktaUserToIdentity({ ...staged!, status }).active).toBeNull();
  });

  it('finds the next page in the recorded Link header, and none without one', () => {
    expect(parseNextLink(fixture('okta', 'list-users-page-1.json').headers?.link)).toBe(
      'https://test.okta.com/api/v1/users?after=000usfdsyqnIjEmHNm4x6&limit=1',
    );
    expect(
      parseNextLink([
        '<https://x.okta.com/api/v1/users?limit=2>; rel="self"',
        '<https://x.okta.com/n>; rel="next"',
      ]),
    ).toBe('https://x.okta.com/n');
    expect(parseNextLink(undefined)).toBeNull();
  });

  it('reads the error bodies of a rate limit and a bad token', () => {
    const limited = fixture('okta', 'rate-limited-429.json');
    expect(oktaErrorSchema.parse(limited.body).errorCode).toBe('E0000047');
    expect(limited.headers?.['x-rate-limit-remaining']).toBe('0');
    expect(oktaErrorSchema.parse(fixture('okta', 'invalid-token-401.json').body).errorCode).toBe('E0000011');
  });
});

describe('Microsoft Graph shapes', () => {
  it('a documented user page becomes identities with every SMTP address', () => {
    const page = graphUserPageSchema.parse(fixture('graph', 'list-users-example-1.json').body);
    const identity = graphUserToIdentity(page.value[0]!);
    // The documented `mail` carries a stray quote; it is kept as given, and the clean addresses follow.
    expect(identity.emails).toEqual([
      "'contoso1@gmail.com",
      'contoso1@gmail.com',
      'contoso1_gmail.com#EXT#@microsoft.onmicrosoft.com',
    ]);
    expect(identity.active).toBeNull();
    expect(
      graphUserPageSchema.parse(fixture('graph', 'list-users-select-signin.json').body).value,
    ).toHaveLength(2);
  });

  it('reads @odata.nextLink, tokens and errors', () => {
    const next = graphUserPageSchema.parse({
      value: [],
      ...(fixture('graph', 'next-link.json').body as object),
    });
    expect(next['@odata.nextLink']).toMatch(
      /^https:\/\/graph\.microsoft\.com\/v1\.0\/users\?\$top=5&\$skiptoken=/,
    );
    expect(tokenResponseSchema.parse(fixture('graph', 'token-response.json').body).expires_in).toBe(3599);
    const tokenError = tokenErrorSchema.parse(fixture('graph', 'token-error.json').body);
    expect([tokenError.error, tokenError.error_codes]).toEqual(['invalid_scope', [70011]]);
    expect(graphErrorSchema.parse(fixture('graph', 'error-response.json').body).error.code).toBe(
      'invalidRange',
    );
  });

  it('accountEnabled decides active; proxyAddresses keep SMTP addresses only, primary first', () => {
    expect(
      smtpAddresses(['smtp:alias@x.com', 'X500:/o=ExchangeLabs', 'SMTP:main@x.com', 'SIP:main@x.com']),
    ).toEqual(['main@x.com', 'alias@x.com']);
    expect(graphUserToIdentity({ id: 'a', accountEnabled: false, mail: 'a@x.com' })).toMatchObject({
      active: false,
      status: 'disabled',
    });
  });
});

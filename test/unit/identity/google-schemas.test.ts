/** The Google Workspace schemas and mapping against Google's shapes kept in test/fixtures/google. */
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  googleErrorSchema,
  googleTokenErrorSchema,
  googleTokenSchema,
  googleUserPageSchema,
  googleUserSchema,
} from '../../../src/identity/google-schemas.js';
import { googleUserToIdentity, signAssertion, usersListUrl } from '../../../src/identity/google-source.js';
import { googleKey, googleSettings } from '../../helpers/google-key.js';

const fixture = (name: string) =>
  (
    JSON.parse(readFileSync(resolve(import.meta.dirname, '../../fixtures/google', name), 'utf8')) as {
      body: unknown;
    }
  ).body;

const config = googleSettings();

describe('Admin SDK Directory shapes', () => {
  it('the generated users.list example parses and its user becomes an active identity', () => {
    const page = googleUserPageSchema.parse(fixture('list-users.json'));
    expect(page.nextPageToken).toBe('my_nextPageToken');
    expect(page.users).toHaveLength(1);
    expect(googleUserToIdentity(page.users![0]!)).toEqual({
      source: 'google',
      id: 'my_id',
      emails: [],
      displayName: null,
      active: true,
      status: 'active',
      statusChangedAt: null,
    });
  });

  it('reads name.fullName, aliases and the status flags', () => {
    const name = googleUserSchema.shape.name.parse(fixture('user-name.json'));
    expect(name?.fullName).toBe('my_fullName');
    const user = (changes: object) =>
      googleUserToIdentity(
        googleUserSchema.parse({
          id: '1',
          primaryEmail: 'ann@example.com',
          aliases: ['a@example.com', 'ANN@example.com'],
          nonEditableAliases: ['ann@example.com.test-google-a.com'],
          name: fixture('user-name.json'),
          ...changes,
        }),
      );
    expect(user({ suspended: false })).toMatchObject({
      emails: ['ann@example.com', 'a@example.com', 'ann@example.com.test-google-a.com'],
      displayName: 'my_fullName',
      active: true,
    });
    expect(user({ suspended: true, suspensionReason: 'ADMIN' })).toMatchObject({
      active: false,
      status: 'suspended',
    });
    expect(user({ suspended: false, archived: true })).toMatchObject({ active: false, status: 'archived' });
    // Neither flag given: not a status we know, so never a leaver nor a proof of presence.
    expect(user({})).toMatchObject({ active: null, status: 'unknown' });
  });

  it('a page without users is an empty page; the last page has no token', () => {
    expect(googleUserPageSchema.parse({ kind: 'admin#directory#users', etag: '"x"' })).toMatchObject({});
    expect(googleUserPageSchema.safeParse('<html>').success).toBe(false);
  });

  it('reads the token response, the token error and the API error', () => {
    expect(googleTokenSchema.parse(fixture('token-response.json'))).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
    });
    expect(googleTokenErrorSchema.parse(fixture('token-error.json')).error).toBe('error_name');
    expect(googleErrorSchema.parse(fixture('api-error.json')).error).toMatchObject({
      code: 400,
      status: 'INVALID_ARGUMENT',
    });
  });
});

describe('the service account JWT', () => {
  it('is RS256 over the claims gtoken sends, signed by the key file, valid for one hour', () => {
    const nowMs = Date.UTC(2026, 0, 2, 3, 4, 5);
    const [head, body, signature] = signAssertion(config, nowMs).split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(head, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(body, 'base64url').toString())).toEqual({
      iss: 'fake@example.com',
      sub: 'admin@example.com',
      scope: 'https://www.googleapis.com/auth/admin.directory.user.readonly',
      aud: 'https://oauth2.googleapis.com/token',
      iat: nowMs / 1000,
      exp: nowMs / 1000 + 3600,
    });
    const key = createPublicKey(googleKey().private_key);
    expect(
      verify('RSA-SHA256', Buffer.from(`${head}.${body}`), key, Buffer.from(signature, 'base64url')),
    ).toBe(true);
  });

  it('users.list asks for the customer or the domain, the page size, the query and the next page', () => {
    expect(usersListUrl(config, null)).toBe(
      'https://admin.googleapis.com/admin/directory/v1/users?customer=my_customer&maxResults=500&projection=basic',
    );
    const url = new URL(
      usersListUrl({ ...config, customer: null, domain: 'example.com', query: 'isSuspended=false' }, 'tok/1'),
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      domain: 'example.com',
      maxResults: '500',
      projection: 'basic',
      query: 'isSuspended=false',
      pageToken: 'tok/1',
    });
  });
});

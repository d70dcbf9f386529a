import { describe, expect, it } from 'vitest';
import { sameOriginOrFail } from '../../../src/identity/http.js';

describe('following a next-page link', () => {
  it('stays on the configured origin, relative links included', () => {
    expect(
      sameOriginOrFail(
        'Okta',
        'https://acme.okta.com/api/v1/users?after=x',
        'https://acme.okta.com/api/v1/users',
      ),
    ).toBe('https://acme.okta.com/api/v1/users?after=x');
    expect(sameOriginOrFail('Okta', '/api/v1/users?after=y', 'https://acme.okta.com/api/v1/users')).toBe(
      'https://acme.okta.com/api/v1/users?after=y',
    );
  });

  it('refuses another host, so the token is never sent there', () => {
    expect(() =>
      sameOriginOrFail('Okta', 'https://evil.example/steal', 'https://acme.okta.com/api/v1/users'),
    ).toThrow(
      'Okta: the next page points to another host (https://evil.example); refusing to send the credentials there',
    );
    expect(() =>
      sameOriginOrFail(
        'Graph',
        'http://graph.microsoft.com/v1.0/users',
        'https://graph.microsoft.com/v1.0/users',
      ),
    ).toThrow(/another host/);
  });
});

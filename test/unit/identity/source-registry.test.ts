import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.js';
import { IDENTITY_SOURCE_READERS } from '../../../src/config/identity.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createIdentitySources, IDENTITY_SOURCE_PLUGINS } from '../../../src/identity/sources-from-config.js';
import { writeGoogleKey } from '../../helpers/google-key.js';

const base = { VO_API_ID: 'id-1', VO_API_KEY: 'very-secret-key' };
const every = {
  IDENTITY_FILE: '/nonexistent/people.csv',
  LDAP_URL: 'ldap://ldap.example.com',
  LDAP_BASE_DN: 'dc=example,dc=com',
  OKTA_ORG_URL: 'https://example.okta.com',
  OKTA_API_TOKEN: 'okta-token-value',
  ENTRA_TENANT_ID: 'tenant',
  ENTRA_CLIENT_ID: 'client',
  ENTRA_CLIENT_SECRET: 'entra-secret-value',
  GOOGLE_WORKSPACE_CREDENTIALS_FILE: writeGoogleKey(),
  GOOGLE_WORKSPACE_ADMIN: 'admin@example.com',
};

const built = (env: Record<string, string>) =>
  createIdentitySources(loadConfig({ ...base, ...env }, { requireVictorOps: true }).identity, {
    clock: systemClock,
  });

describe('identity source registry', () => {
  it('has one plugin per kind the configuration reads, under its own kind', async () => {
    expect(Object.keys(IDENTITY_SOURCE_PLUGINS)).toEqual(Object.keys(IDENTITY_SOURCE_READERS));
    for (const [kind, load] of Object.entries(IDENTITY_SOURCE_PLUGINS))
      expect((await load()).kind).toBe(kind);
  });

  it('builds the configured sources only, in the registered order', async () => {
    const all = await built(every);
    expect(all.map((s) => s.kind)).toEqual(['file', 'ldap', 'okta', 'entra', 'google']);
    const some = await built({ OKTA_ORG_URL: every.OKTA_ORG_URL, OKTA_API_TOKEN: every.OKTA_API_TOKEN });
    expect(some.map((s) => s.kind)).toEqual(['okta']);
    expect(await built({})).toEqual([]);
    await Promise.all([...all, ...some].map((s) => s.close()));
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { configProblems } from '../helpers/config-problems.js';
import { scratchDir } from '../helpers/scratch-dir.js';

const base = { VO_API_ID: 'id-1', VO_API_KEY: 'very-secret-key' };
const problemsOf = (env: Record<string, string>) => configProblems({ ...base, ...env });
const dir = scratchDir('rw-config-identity-');

describe('identity configuration', () => {
  it('is off without a source: no schedule, no sources', () => {
    const c = loadConfig(base, { requireVictorOps: true }).identity;
    expect(c).toMatchObject({
      schedule: null,
      file: null,
      ldap: null,
      okta: null,
      entra: null,
      matchRule: 'none',
    });
  });

  it('switches each source on with its variable; secrets come from *_FILE too', () => {
    const secret = join(dir, 'okta-token');
    writeFileSync(secret, 'okta-secret-value\n');
    const c = loadConfig(
      {
        ...base,
        IDENTITY_FILE: '/srv/people.jsonl',
        OKTA_ORG_URL: 'https://acme.okta.com/',
        OKTA_API_TOKEN_FILE: secret,
        ENTRA_TENANT_ID: 'tenant',
        ENTRA_CLIENT_ID: 'app',
        ENTRA_CLIENT_SECRET: 's',
        LDAP_URL: 'ldaps://dc1.corp.example:636',
        LDAP_BASE_DN: 'dc=corp,dc=example',
        LDAP_DISABLED_BY: 'userAccountControl',
        IDENTITY_EXEMPT: 'svc-*=service accounts;breakglass=break-glass admin',
      },
      { requireVictorOps: true },
    ).identity;
    expect(c.schedule?.expression).toBe('*/30 * * * *');
    expect(c.file).toMatchObject({ path: '/srv/people.jsonl', format: 'jsonl' });
    expect(c.okta).toEqual({
      orgUrl: 'https://acme.okta.com',
      apiToken: 'okta-secret-value',
      pageLimit: 200,
    });
    expect(c.entra).toMatchObject({
      authorityUrl: 'https://login.microsoftonline.com',
      graphUrl: 'https://graph.microsoft.com',
    });
    expect(c.ldap).toMatchObject({
      url: 'ldaps://dc1.corp.example:636',
      disabledBy: 'userAccountControl',
      pageSize: 500,
    });
    expect(c.exemptions).toEqual([
      { pattern: 'svc-*', reason: 'service accounts' },
      { pattern: 'breakglass', reason: 'break-glass admin' },
    ]);
  });

  it('reads the mapping file: explicit mappings and exemptions with reasons', () => {
    const path = join(dir, 'mapping.json');
    writeFileSync(
      path,
      JSON.stringify({
        map: { JDoe: 'john.doe@corp.example' },
        exempt: [{ pattern: 'ops-*', reason: 'shared on-call account' }],
      }),
    );
    const c = loadConfig({ ...base, IDENTITY_MAPPING_FILE: path }, { requireVictorOps: true }).identity;
    expect(c.explicit).toEqual({ jdoe: 'john.doe@corp.example' });
    expect(c.exemptions).toEqual([{ pattern: 'ops-*', reason: 'shared on-call account' }]);
  });

  it('reports every problem at once, naming the variable, never a secret', () => {
    const mapping = join(dir, 'bad-mapping.json');
    writeFileSync(mapping, JSON.stringify({ exempt: [{ pattern: 'x' }] }));
    const problems = problemsOf({
      IDENTITY_SCHEDULE: 'sometimes',
      IDENTITY_MAPPING_FILE: mapping,
      IDENTITY_FILE: 'people.csv',
      IDENTITY_FILE_COLUMNS: 'mail=Mail',
      LDAP_URL: 'http://dc1',
      OKTA_ORG_URL: 'https://acme.okta.com',
      ENTRA_TENANT_ID: 't',
      ENTRA_CLIENT_SECRET: 'super-secret-entra',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^IDENTITY_SCHEDULE /),
        expect.stringMatching(
          /^IDENTITY_MAPPING_FILE .*exempt\[0\] needs a non-empty "pattern" and "reason"/,
        ),
        expect.stringMatching(/^IDENTITY_FILE_COLUMNS: unknown field "mail"/),
        'LDAP_URL must be an ldap:// or ldaps:// URL, got "http://dc1"',
        'LDAP_BASE_DN is required when LDAP_URL is set (e.g. dc=example,dc=com)',
        'OKTA_API_TOKEN is required (or OKTA_API_TOKEN_FILE, a file holding it)',
        'ENTRA_CLIENT_ID is required when ENTRA_TENANT_ID is set (the app registration id)',
      ]),
    );
    expect(problems.join('\n')).not.toContain('super-secret-entra');
  });

  it('refuses a plain http:// Okta or Entra URL to another machine, naming the variable and the host only', () => {
    const problems = problemsOf({
      OKTA_ORG_URL: 'http://acme.okta.com',
      OKTA_API_TOKEN: 'okta-secret-value',
      ENTRA_TENANT_ID: 't',
      ENTRA_CLIENT_ID: 'app',
      ENTRA_CLIENT_SECRET: 'super-secret-entra',
      ENTRA_AUTHORITY_URL: 'http://login.example.net:8080/',
      ENTRA_GRAPH_URL: 'http://graph.example.net',
    });
    const only = ' would cross the network unencrypted to ';
    const here = ' (plain http:// is accepted only for this machine: localhost, 127.0.0.1, ::1)';
    expect(problems).toEqual([
      `OKTA_ORG_URL must be an https:// URL: the API token${only}acme.okta.com${here}`,
      `ENTRA_AUTHORITY_URL must be an https:// URL: the client secret${only}login.example.net:8080${here}`,
      `ENTRA_GRAPH_URL must be an https:// URL: the access token${only}graph.example.net${here}`,
    ]);
    expect(problems.join('\n')).not.toMatch(/okta-secret-value|super-secret-entra/);
  });

  it('refuses a bind password over plain ldap:// to another machine unless StartTLS upgrades it', () => {
    const ldap = { LDAP_BASE_DN: 'dc=corp,dc=example', LDAP_BIND_DN: 'cn=reader' };
    const problems = problemsOf({
      ...ldap,
      LDAP_URL: 'ldap://dc1.corp.example:389',
      LDAP_BIND_PASSWORD: 'ldap-secret-value',
    });
    expect(problems).toEqual([
      'LDAP_URL is plain ldap:// to dc1.corp.example:389 without LDAP_STARTTLS: the bind password would cross the network unencrypted; use ldaps:// or set LDAP_STARTTLS=true (plain ldap:// with a password is accepted only for this machine: localhost, 127.0.0.1, ::1)',
    ]);
    expect(problems.join('\n')).not.toContain('ldap-secret-value');
    // a name that only looks local is not this machine
    const lookalike = problemsOf({
      ...ldap,
      LDAP_URL: 'ldap://127.0.0.1.evil.example',
      LDAP_BIND_PASSWORD: 'ldap-secret-value',
    });
    expect(lookalike).toHaveLength(1);
    expect(lookalike[0]).toMatch(/^LDAP_URL is plain ldap:\/\/ to 127\.0\.0\.1\.evil\.example without/);
    // nor is user info echoed when the URL is refused as malformed
    const mistyped = (url: string) => problemsOf({ ...ldap, LDAP_BIND_PASSWORD: 'p', LDAP_URL: url });
    expect(mistyped('LDAPS://reader:pw@dc1/x')).toEqual([
      'LDAP_URL must be an ldap:// or ldaps:// URL, got "LDAPS://…@dc1/x"',
    ]);
    // the shape passes, but the LDAP client cannot read it (its own error quoted the URL whole)
    expect(mistyped('ldap://reader:hunter2@dc1\\x')).toEqual([
      'LDAP_URL must be an ldap:// or ldaps:// URL, got "ldap://…@dc1\\x"',
    ]);
    for (const bad of ['ldap://dc1:99999', 'ldap://dc1 x', 'ldap://[::1', 'ldap://dc1?pw=secret-q'])
      expect(mistyped(bad).join('\n')).not.toContain('secret-q');
    expect(mistyped('ldap://dc1:99999')).toEqual([
      'LDAP_URL must be an ldap:// or ldaps:// URL, got "ldap://dc1:99999"',
    ]);
    // user info is refused even where it parses: the client never uses it, so it could only leak
    expect(mistyped('ldaps://reader:hunter2@dc1.corp.example')).toEqual([
      'LDAP_URL must not carry user info (user:password@), got "ldaps://dc1.corp.example": use LDAP_BIND_DN and LDAP_BIND_PASSWORD',
    ]);
    for (const accepted of [
      { LDAP_URL: 'ldap://dc1.corp.example', LDAP_STARTTLS: 'true' },
      { LDAP_URL: 'ldaps://dc1.corp.example' },
      { LDAP_URL: 'ldap://127.0.0.1:3389' },
      { LDAP_URL: 'ldap://[::1]:3389' },
      { LDAP_URL: 'ldap://localhost' },
    ])
      expect(problemsOf({ ...ldap, LDAP_BIND_PASSWORD: 'ldap-secret-value', ...accepted })).toEqual([]);
    // an anonymous bind carries no credential: accepted (and warned about at start-up)
    expect(problemsOf({ LDAP_BASE_DN: 'dc=corp,dc=example', LDAP_URL: 'ldap://dc1.corp.example' })).toEqual(
      [],
    );
  });

  // Names that merely look like this machine resolve wherever their owner points them.
  it.each([
    'http://127.0.0.1.evil.example',
    'http://127.attacker.example:8080/x',
    'http://127.0.0.1%2eevil.example/',
    'http://evil.localhost',
  ])('refuses plain http:// to %s, a name and not this machine', (url) => {
    const problems = problemsOf({ OKTA_ORG_URL: url, OKTA_API_TOKEN: 'okta-secret-value' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^OKTA_ORG_URL must be an https:\/\/ URL: the API token would cross the network unencrypted/,
    );
  });

  it('accepts plain http:// Okta and Entra URLs on this machine (the simulator, the tests)', () => {
    const c = loadConfig(
      {
        ...base,
        OKTA_ORG_URL: 'http://127.0.0.1:4010',
        OKTA_API_TOKEN: 'okta-secret-value',
        ENTRA_TENANT_ID: 't',
        ENTRA_CLIENT_ID: 'app',
        ENTRA_CLIENT_SECRET: 's',
        ENTRA_AUTHORITY_URL: 'http://localhost:4011/login',
        ENTRA_GRAPH_URL: 'http://[::1]:4011/graph',
      },
      { requireVictorOps: true },
    ).identity;
    expect(c.okta?.orgUrl).toBe('http://127.0.0.1:4010');
    expect(c.entra).toMatchObject({
      authorityUrl: 'http://localhost:4011/login',
      graphUrl: 'http://[::1]:4011/graph',
    });
  });
});

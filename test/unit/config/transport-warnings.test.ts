import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { findPlainHttpWarnings } from '../../../src/config/transport-warnings.js';

const secret = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
const warningsFor = (env: Record<string, string>) =>
  findPlainHttpWarnings(
    loadConfig(
      { VO_API_ID: 'id', VO_API_KEY: 'key', WEBHOOK_SECRET: secret, ...env },
      { requireVictorOps: true },
    ),
  );

describe('plain-http warnings', () => {
  it('names each non-loopback http:// URL by variable and host, never by path', () => {
    const found = warningsFor({
      VO_BASE_URL: 'http://vo-proxy.internal/api-public',
      WEBHOOK_URLS: 'http://192.0.2.10/hook/p4th-tok3n',
      SLACK_WEBHOOK_URL: 'http://slack-relay.internal/services/T1/B1/tok3n',
    });
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(
      /^VO_BASE_URL uses plain http:\/\/ to http:\/\/vo-proxy\.internal\/…, not this machine/,
    );
    expect(found[1]).toMatch(
      /^webhook "webhook-1-192\.0\.2\.10" uses plain http:\/\/ to http:\/\/192\.0\.2\.10\/…/,
    );
    expect(found[2]).toMatch(/^SLACK_WEBHOOK_URL uses plain http:\/\/ to http:\/\/slack-relay\.internal\/…/);
    expect(found.join('\n')).not.toMatch(/tok3n/);
  });

  it('stays quiet for https:// and for loopback hosts', () => {
    expect(
      warningsFor({
        VO_BASE_URL: 'http://127.0.0.1:8081/api-public',
        WEBHOOK_URLS: 'http://localhost:9000/hook,http://[::1]:9000/hook,https://siem.example/hook',
        SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T1/B1/x',
      }),
    ).toEqual([]);
  });

  it('warns about an anonymous read over plain ldap:// to another machine, not over TLS or locally', () => {
    const dn = { LDAP_BASE_DN: 'dc=corp,dc=example' };
    expect(warningsFor({ ...dn, LDAP_URL: 'ldap://dc1.corp.example' })).toEqual([
      "LDAP_URL uses plain ldap:// to dc1.corp.example without LDAP_STARTTLS: the directory's names and addresses travel unencrypted; use ldaps:// or set LDAP_STARTTLS=true",
    ]);
    for (const quiet of [
      { LDAP_URL: 'ldap://dc1.corp.example', LDAP_STARTTLS: 'true' },
      { LDAP_URL: 'ldaps://dc1.corp.example' },
      { LDAP_URL: 'ldap://127.0.0.1:3389' },
    ])
      expect(warningsFor({ ...dn, ...quiet })).toEqual([]);
  });
});

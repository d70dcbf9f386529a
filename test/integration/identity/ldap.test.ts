/**
 * The LDAP adapter against a real, throwaway OpenLDAP (Debian's slapd, started here; see
 * test/helpers/slapd.ts): paged search past the server's size limit, AD's userAccountControl bit,
 * a status attribute, proxyAddresses/otherMailbox, StartTLS and LDAPS with a CA file, bad
 * credentials and a missing base DN.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LdapSourceConfig } from '../../../src/config/identity-ldap.js';
import { IdentitySourceError } from '../../../src/errors.js';
import { createLdapSource } from '../../../src/identity/ldap-source.js';
import { summariseRead } from '../../../src/roster/identity-findings.js';
import { wantedKeys } from '../../../src/roster/identity-match.js';
import { aUser } from '../../helpers/builders.js';
import { matchSettings } from '../../helpers/identity-unit.js';
import {
  LDAP_BASE_DN,
  LDAP_READER_DN,
  LDAP_READER_PASSWORD,
  type LdapPerson,
  personDn,
  type Slapd,
  seedLdif,
  skipLdapSuites,
  startSlapd,
} from '../../helpers/slapd.js';

const people: LdapPerson[] = Array.from({ length: 12 }, (_, i) => ({
  uid: `person${i}`,
  cn: `Person Number${i}`,
  mail: `person${i}@example.com`,
  ...(i === 1
    ? { proxyAddresses: ['SMTP:p1.primary@example.com', 'smtp:p1.alias@example.com', 'X500:/o=Ex/cn=p1'] }
    : {}),
  ...(i === 2 ? { otherMailbox: 'p2@elsewhere.example' } : {}),
  userAccountControl: i === 3 ? 514 : 512,
  ...(i === 4 ? { employeeType: 'Terminated' } : {}),
}));

const config = (overrides: Partial<LdapSourceConfig> = {}): LdapSourceConfig => ({
  url: slapd.url,
  bindDn: LDAP_READER_DN,
  bindPassword: LDAP_READER_PASSWORD,
  baseDn: `ou=people,${LDAP_BASE_DN}`,
  filter: '(&(objectClass=inetOrgPerson)(mail=*))',
  startTls: false,
  caFile: null,
  pageSize: 4,
  attributes: { mail: 'mail', otherMails: ['proxyAddresses', 'otherMailbox'], name: 'displayName', id: 'dn' },
  disabledBy: 'userAccountControl',
  statusAttribute: 'employeeType',
  inactiveValues: ['terminated'],
  ...overrides,
});
const read = (c: LdapSourceConfig) =>
  createLdapSource(c, { timeoutMs: 5_000 }).read(new AbortController().signal);

let slapd: Slapd;

describe.skipIf(skipLdapSuites('LDAP adapter suite'))('the LDAP adapter against a real slapd', () => {
  beforeAll(async () => {
    slapd = await startSlapd(seedLdif(people), { sizeLimit: 5 });
  }, 30_000);
  afterAll(async () => {
    await slapd?.stop();
  });

  it('reads every entry through paging although the server returns at most 5 at a time', async () => {
    const identities = await read(config());
    expect(identities).toHaveLength(12);
    expect(identities.find((i) => i.id === personDn('person0'))).toMatchObject({
      source: 'ldap',
      emails: ['person0@example.com'],
      displayName: 'Person Number0',
      active: true,
      status: 'enabled',
    });
    // The server refuses pages larger than its limit of 5, so 12 entries took several pages.
    await expect(read(config({ pageSize: 50 }))).rejects.toThrow(/LDAP: illegal pagedResults page size/);
  });

  it('keeps only the entries a recorded user can match, page by page, and summarises every entry (issue 21)', async () => {
    const signal = new AbortController().signal;
    const wanted = wantedKeys(
      [
        aUser('a', { email: 'p1.alias@example.com' }),
        aUser('b', { email: 'person3@example.com' }),
        aUser('c', { email: 'person11@example.com' }),
      ],
      matchSettings(),
    );
    const kept = await createLdapSource(config(), { timeoutMs: 5_000 }).readKept?.(signal, wanted);
    const whole = await read(config());
    const dns = [personDn('person1'), personDn('person3'), personDn('person11')];
    expect(kept?.identities).toEqual(whole.filter((i) => dns.includes(i.id)));
    expect(kept?.identities).toHaveLength(3);
    expect(kept?.summary).toEqual(summariseRead(whole));
  });

  it('maps AD attributes: userAccountControl 0x2, proxyAddresses (SMTP only, primary first), otherMailbox', async () => {
    const identities = await read(config());
    const byUid = (uid: string) => identities.find((i) => i.id === personDn(uid))!;
    expect(byUid('person3')).toMatchObject({ active: false, status: 'disabled (userAccountControl)' });
    expect(byUid('person1').emails).toEqual([
      'person1@example.com',
      'p1.primary@example.com',
      'p1.alias@example.com',
    ]);
    expect(byUid('person2').emails).toEqual(['person2@example.com', 'p2@elsewhere.example']);
  });

  it('or a status attribute: listed values are inactive, an absent attribute is an active account', async () => {
    const identities = await read(config({ disabledBy: 'attribute' }));
    expect(identities.filter((i) => i.active === false).map((i) => [i.id, i.status])).toEqual([
      [personDn('person4'), 'Terminated'],
    ]);
    expect(identities.find((i) => i.id === personDn('person3'))?.active).toBe(true);
  });

  it('StartTLS and LDAPS with the server certificate as LDAP_CA_FILE; an unknown CA is refused', async () => {
    expect(await read(config({ startTls: true, caFile: slapd.caFile }))).toHaveLength(12);
    expect(await read(config({ url: slapd.ldapsUrl, caFile: slapd.caFile }))).toHaveLength(12);
    await expect(read(config({ url: slapd.ldapsUrl }))).rejects.toThrow(/LDAP: .*(self.signed|certificate)/i);
  });

  it('bad credentials and a missing base DN are errors that name the variable', async () => {
    const auth = (await read(config({ bindPassword: 'wrong' })).catch(
      (e: unknown) => e,
    )) as IdentitySourceError;
    expect(auth).toBeInstanceOf(IdentitySourceError);
    expect(auth.message).toBe('LDAP: invalid credentials: check LDAP_BIND_DN and LDAP_BIND_PASSWORD');
    await expect(read(config({ baseDn: `ou=nobody,${LDAP_BASE_DN}` }))).rejects.toThrow(
      /does not exist \(LDAP_BASE_DN\)/,
    );
  });
});

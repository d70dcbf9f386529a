/**
 * Identity reconciliation through the built CLI against each identity provider: the Okta, Entra
 * ID (Microsoft Graph) and Google Workspace fakes, and a real throwaway slapd for LDAP, configured exactly as a user
 * configures them: a leaver is reported once
 * with exposure and resolved when deleted, an unmatched account is reported, an exempted one is
 * not, and an outage produces source_failing and no other finding.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGoogleFake } from '../../src/simulator/identity/google-fake.js';
import { startGraphFake } from '../../src/simulator/identity/graph-fake.js';
import { startOktaFake } from '../../src/simulator/identity/okta-fake.js';
import type { SimUser } from '../../src/simulator/org.js';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { simulatorCliEnv } from '../helpers/cli.js';
import { googleKey, googleSettings, writeGoogleKey } from '../helpers/google-key.js';
import { giveEveryoneAnEmail, identityCli, pagedUser, stateOf, usernameOf } from '../helpers/identity-e2e.js';
import {
  LDAP_BASE_DN,
  LDAP_READER_DN,
  LDAP_READER_PASSWORD,
  personDn,
  seedLdif,
  skipLdapSuites,
  startSlapd,
} from '../helpers/slapd.js';

interface Provider {
  env: Record<string, string>;
  /** Makes the person behind this VictorOps user a leaver in the provider. */
  deactivate(user: SimUser): void;
  /** The text the leaver's sentence quotes, e.g. "Okta: DEPROVISIONED 3 days ago". */
  leaverStatus: string;
  outage(): Promise<void>;
  close(): Promise<void>;
}

const THREE_DAYS_AGO = () => new Date(Date.now() - 3 * 86_400_000 - 3_600_000).toISOString();

const providers: Record<string, (people: SimUser[]) => Promise<Provider>> = {
  okta: async (people) => {
    const fake = await startOktaFake({
      token: 'okta-e2e-token',
      people: people.map((u, i) => ({
        id: `00u${String(i).padStart(4, '0')}e2e`,
        status: 'ACTIVE',
        email: u.email ?? '',
        firstName: u.firstName,
        lastName: u.lastName,
      })),
    });
    let closed = false;
    return {
      env: { OKTA_ORG_URL: fake.url, OKTA_API_TOKEN: 'okta-e2e-token', OKTA_PAGE_LIMIT: '7' },
      deactivate: (user) =>
        fake.setStatus(
          `00u${String(people.indexOf(user)).padStart(4, '0')}e2e`,
          'DEPROVISIONED',
          THREE_DAYS_AGO(),
        ),
      leaverStatus: 'Okta: DEPROVISIONED 3 days ago',
      outage: async () => {
        closed = true;
        await fake.close();
      },
      close: async () => {
        if (!closed) await fake.close();
      },
    };
  },
  entra: async (people) => {
    const creds = { tenantId: 'e2e-tenant', clientId: 'e2e-app', clientSecret: 'e2e-secret' };
    const fake = await startGraphFake({
      ...creds,
      defaultPageSize: 7,
      users: people.map((u, i) => ({
        id: `${String(i).padStart(8, '0')}-0000-0000-0000-000000000000`,
        displayName: `${u.firstName} ${u.lastName}`,
        mail: u.email,
        proxyAddresses: [`SMTP:${u.email}`],
        userPrincipalName: `${u.username.toLowerCase()}@contoso.onmicrosoft.com`,
        accountEnabled: true,
      })),
    });
    let closed = false;
    return {
      env: {
        ENTRA_TENANT_ID: creds.tenantId,
        ENTRA_CLIENT_ID: creds.clientId,
        ENTRA_CLIENT_SECRET: creds.clientSecret,
        ENTRA_AUTHORITY_URL: fake.authorityUrl,
        ENTRA_GRAPH_URL: fake.graphUrl,
      },
      deactivate: (user) =>
        fake.setEnabled(
          `${String(people.indexOf(user)).padStart(8, '0')}-0000-0000-0000-000000000000`,
          false,
        ),
      leaverStatus: 'Entra ID: disabled',
      outage: async () => {
        closed = true;
        await fake.close();
      },
      close: async () => {
        if (!closed) await fake.close();
      },
    };
  },
  google: async (people) => {
    const id = (i: number) => `1${String(i).padStart(20, '0')}`;
    const key = googleKey();
    const admin = googleSettings().admin;
    const fake = await startGoogleFake({
      clientEmail: key.client_email,
      privateKey: key.private_key,
      admin,
      domain: 'example.com',
      users: people.map((u, i) => ({
        id: id(i),
        primaryEmail: u.email ?? '',
        givenName: u.firstName,
        familyName: u.lastName,
        suspended: false,
      })),
    });
    let closed = false;
    return {
      env: {
        GOOGLE_WORKSPACE_CREDENTIALS_FILE: writeGoogleKey({ token_uri: fake.tokenUri }),
        GOOGLE_WORKSPACE_ADMIN: admin,
        GOOGLE_WORKSPACE_DIRECTORY_URL: fake.directoryUrl,
        GOOGLE_WORKSPACE_PAGE_SIZE: '7',
      },
      deactivate: (user) => fake.setSuspended(id(people.indexOf(user)), true),
      leaverStatus: 'Google Workspace: suspended',
      outage: async () => {
        closed = true;
        await fake.close();
      },
      close: async () => {
        if (!closed) await fake.close();
      },
    };
  },
  ldap: async (people) => {
    const uid = (user: SimUser) => `u${people.indexOf(user)}`;
    const slapd = await startSlapd(
      seedLdif(
        people.map((u) => ({
          uid: uid(u),
          cn: `${u.firstName} ${u.lastName}`,
          mail: u.email ?? '',
          proxyAddresses: [`SMTP:${u.email}`],
          userAccountControl: 512,
        })),
      ),
    );
    return {
      env: {
        LDAP_URL: slapd.url,
        LDAP_STARTTLS: 'true',
        LDAP_CA_FILE: slapd.caFile,
        LDAP_BIND_DN: LDAP_READER_DN,
        LDAP_BIND_PASSWORD: LDAP_READER_PASSWORD,
        LDAP_BASE_DN: `ou=people,${LDAP_BASE_DN}`,
        LDAP_PAGE_SIZE: '5',
        LDAP_DISABLED_BY: 'userAccountControl',
      },
      deactivate: (user) =>
        slapd.modify(
          `dn: ${personDn(uid(user))}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n`,
        ),
      leaverStatus: 'LDAP: disabled (userAccountControl)',
      outage: () => slapd.halt(),
      close: () => slapd.stop(),
    };
  },
};

// LDAP needs slapd: without it (and without REQUIRE_LDAP_TESTS) its cases are skipped loudly.
const available = Object.keys(providers).filter((p) => p !== 'ldap' || !skipLdapSuites('LDAP e2e suite'));

describe.each(available)('identity reconciliation with %s', (name) => {
  let sim: Simulator;
  let provider: Provider | undefined;
  let env: Record<string, string>;
  const { cli, events, open } = identityCli(() => ({ ...env, ...(provider?.env ?? {}) }));

  beforeEach(async () => {
    sim = await startSimulator({ users: 30, teams: 6, seed: 21, policyListPerMinute: 0 });
    giveEveryoneAnEmail(sim);
    env = simulatorCliEnv(sim, {
      POLICY_LIST_MIN_INTERVAL_MS: '50',
      LOG_LEVEL: 'warn',
    });
  });
  afterEach(async () => {
    await provider?.close();
    provider = undefined;
    await sim.close();
  });

  it('reports a leaver once with exposure, an unmatched account and not an exempted one; resolves the leaver when deleted', async () => {
    await cli(['poll']);
    await cli(['policy-poll']);
    const leaver = pagedUser(sim);
    const everyone = sim.org.listUsers();
    const others = everyone.filter((u) => u.username !== leaver.username);
    const [unmatched, exempt] = [others[0]!, others[1]!];
    provider = await providers[name]!(everyone.filter((u) => u !== unmatched && u !== exempt));
    provider.deactivate(sim.org.getUser(leaver.username)!);
    const extra = { IDENTITY_EXEMPT: `${exempt.username}=break-glass admin account` };

    await cli(['identity-sync'], extra);
    const found = await open();
    expect(found.map((f) => [f.kind, f.username]).sort()).toEqual(
      [
        ['identity.inactive', leaver.username],
        ['identity.unmatched', unmatched.username],
      ].sort(),
    );
    const inactive = found.find((f) => f.kind === 'identity.inactive')!;
    expect(inactive.message).toContain(
      `${leaver.username} left (${provider.leaverStatus}) but is still paged by`,
    );
    expect(inactive.finding.exposure?.policies.map((p) => p.slug)).toContain(leaver.policySlug);

    await cli(['identity-sync'], extra);
    const opened = await events();
    expect(opened.map((e) => [e.type, stateOf(e), usernameOf(e)]).sort()).toEqual(
      [
        ['rosterwatch.identity.inactive', 'open', leaver.username],
        ['rosterwatch.identity.unmatched', 'open', unmatched.username],
      ].sort(),
    );

    sim.org.removeUser(leaver.username);
    await cli(['poll']);
    await cli(['identity-sync'], extra);
    const later = (await events()).slice(opened.length);
    expect(later.map((e) => [e.type, stateOf(e), usernameOf(e)])).toEqual([
      ['rosterwatch.identity.inactive', 'resolved', leaver.username],
    ]);
  });

  it('an outage produces source_failing and no other finding', async () => {
    await cli(['poll']);
    provider = await providers[name]!(sim.org.listUsers().slice(0, 3));
    await provider.outage();
    const failed = await cli(['identity-sync'], {}, 1);
    expect(failed.stdout).toMatch(
      new RegExp(`${name}: failed, 0 identities \\(.*cannot connect \\(ECONNREFUSED\\)`),
    );
    expect((await open()).map((f) => [f.kind, f.username])).toEqual([['identity.source_failing', null]]);
    expect((await events()).map((e) => [e.type, stateOf(e)])).toEqual([
      ['rosterwatch.identity.source_failing', 'open'],
    ]);
  });
});

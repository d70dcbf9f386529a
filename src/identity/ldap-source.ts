/**
 * The LDAP / Active Directory adapter, through ldapts: bind (optionally after StartTLS, or over
 * ldaps://), one paged subtree search with the configured filter, and each entry mapped by the
 * configured attributes. A disabled account is AD's userAccountControl bit 0x2 (ACCOUNTDISABLE) or
 * a status attribute's value; an entry without that attribute is an ordinary, active account.
 */

import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Client, type Entry, InvalidCredentialsError, NoSuchObjectError } from 'ldapts';
import type { LdapSourceConfig } from '../config/identity-ldap.js';
import { IdentitySourceError } from '../errors.js';
import { registerSecrets } from '../redact.js';
import type { IndexWanted } from '../roster/identity-match.js';
import type { Identity } from '../roster/identity-types.js';
import { smtpAddresses } from './graph-schemas.js';
import { KeptCollector } from './kept.js';
import {
  type IdentitySource,
  type IdentitySourcePlugin,
  type KeptRead,
  readWholeOrKept,
  uniqueEmails,
} from './source.js';

/** ACCOUNTDISABLE in userAccountControl (Microsoft's documented flag values). */
const UAC_ACCOUNTDISABLE = 0x2;

function values(entry: Entry, attribute: string): string[] {
  if (attribute.toLowerCase() === 'dn') return [entry.dn];
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  const raw = key === undefined ? undefined : entry[key];
  if (raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}

/**
 * Typed addresses (proxyAddresses: `SMTP:` primary, `smtp:` aliases, `X500:`, `SIP:` …) keep only
 * the SMTP ones, primary first; bare values (otherMailbox) are kept as they are.
 */
function mailAddresses(vs: readonly string[]): string[] {
  const typed = (v: string) => /^[A-Za-z0-9-]+:/.test(v);
  return [...smtpAddresses(vs.filter(typed)), ...vs.filter((v) => !typed(v))];
}

export function ldapEntryToIdentity(entry: Entry, config: LdapSourceConfig): Identity {
  const a = config.attributes;
  const others = a.otherMails.flatMap((attr) => mailAddresses(values(entry, attr)));
  let active: boolean | null = true;
  let status = 'active';
  if (config.disabledBy === 'userAccountControl') {
    const uac = Number(values(entry, 'userAccountControl')[0]);
    if (Number.isInteger(uac)) {
      active = (uac & UAC_ACCOUNTDISABLE) === 0;
      status = active ? 'enabled' : 'disabled (userAccountControl)';
    } else {
      active = null;
      status = 'unknown (no userAccountControl)';
    }
  } else if (config.disabledBy === 'attribute') {
    const value = values(entry, config.statusAttribute)[0];
    if (value !== undefined) {
      active = !config.inactiveValues.includes(value.toLowerCase());
      status = value;
    }
  }
  return {
    source: 'ldap',
    id: values(entry, a.id)[0] ?? entry.dn,
    emails: uniqueEmails([...values(entry, a.mail), ...others]),
    displayName: values(entry, a.name)[0] ?? values(entry, 'cn')[0] ?? null,
    active,
    status,
    statusChangedAt: null,
  };
}

/** The server's host as the LDAP client reads LDAP_URL (`new URL`, as ldapts does), with its port. */
function serverOf(config: LdapSourceConfig): { hostname: string; host: string } {
  const { hostname, host } = new URL(config.url);
  return { hostname: hostname.replace(/^\[|\]$/g, ''), host };
}

function tlsOptions(config: LdapSourceConfig): ConnectionOptions {
  const host = serverOf(config).hostname;
  let ca: Buffer | undefined;
  if (config.caFile) {
    try {
      ca = readFileSync(config.caFile);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new IdentitySourceError(
        'unreadable',
        `LDAP: cannot read LDAP_CA_FILE ${config.caFile} (${code})`,
        false,
        { cause: error },
      );
    }
  }
  return { ...(ca ? { ca: [ca] } : {}), servername: host };
}

function explain(error: unknown, config: LdapSourceConfig): IdentitySourceError {
  if (error instanceof IdentitySourceError) return error;
  if (error instanceof InvalidCredentialsError)
    return new IdentitySourceError(
      'auth',
      'LDAP: invalid credentials: check LDAP_BIND_DN and LDAP_BIND_PASSWORD',
      false,
      { cause: error },
    );
  if (error instanceof NoSuchObjectError)
    return new IdentitySourceError(
      'bad-response',
      `LDAP: the base DN "${config.baseDn}" does not exist (LDAP_BASE_DN)`,
      false,
      { cause: error },
    );
  const code = (error as { code?: string | number }).code;
  const { host } = serverOf(config);
  // Socket errors (ECONNREFUSED, ETIMEDOUT …) read like the HTTP sources' "cannot connect".
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code))
    return new IdentitySourceError('unreachable', `LDAP: cannot connect (${code}) at ${host}`, true, {
      cause: error,
    });
  const message = error instanceof Error ? error.message : String(error);
  return new IdentitySourceError('bad-response', `LDAP: ${message} at ${host}`, false, { cause: error });
}

export const ldapSource: IdentitySourcePlugin<'ldap'> = {
  kind: 'ldap',
  create: (config, deps) => createLdapSource(config, deps),
};

export function createLdapSource(config: LdapSourceConfig, deps: { timeoutMs: number }): IdentitySource {
  registerSecrets([config.bindPassword]);
  let requests = 0;
  const attributes = [
    ...new Set(
      [
        config.attributes.mail,
        ...config.attributes.otherMails,
        config.attributes.name,
        config.attributes.id,
        'cn',
        ...(config.disabledBy === 'userAccountControl' ? ['userAccountControl'] : []),
        ...(config.disabledBy === 'attribute' ? [config.statusAttribute] : []),
      ].filter((a) => a.toLowerCase() !== 'dn'),
    ),
  ];
  return {
    name: 'ldap',
    kind: 'ldap',
    ...readWholeOrKept(readAll),
    stats: () => ({ requests, retries: 0, rateLimited: 0 }),
    async close() {},
  };

  /** The paged search, each page's entries tallied and held only if a recorded user can match them. */
  async function readAll(signal: AbortSignal, wanted: IndexWanted | null): Promise<KeptRead> {
    // Read at every sync, so a renewed CA file is picked up without a restart.
    const tls = tlsOptions(config);
    let client: Client;
    try {
      client = new Client({
        url: config.url,
        timeout: deps.timeoutMs,
        connectTimeout: deps.timeoutMs,
        ...(config.url.startsWith('ldaps:') ? { tlsOptions: tls } : {}),
      });
    } catch {
      // Its message (and so a cause) quotes the URL whole: "… is an invalid LDAP URL".
      throw new IdentitySourceError(
        'bad-response',
        'LDAP: LDAP_URL is not a URL the LDAP client reads',
        false,
      );
    }
    const abort = () => void client.unbind().catch(() => undefined);
    signal.addEventListener('abort', abort, { once: true });
    try {
      if (config.startTls) {
        requests += 1;
        await client.startTLS(tls);
      }
      if (config.bindDn !== null) {
        requests += 1;
        await client.bind(config.bindDn, config.bindPassword ?? '');
      }
      requests += 1;
      const out = new KeptCollector(wanted);
      // The same paged search as client.search, handed over a page at a time.
      for await (const page of client.searchPaginated(config.baseDn, {
        scope: 'sub',
        filter: config.filter,
        attributes,
        paged: { pageSize: config.pageSize },
      }))
        for (const e of page.searchEntries) out.add(ldapEntryToIdentity(e, config));
      return out.result();
    } catch (error) {
      throw explain(error, config);
    } finally {
      signal.removeEventListener('abort', abort);
      await client.unbind().catch(() => undefined);
    }
  }
}

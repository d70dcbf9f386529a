/** The LDAP identity source's configuration (LDAP_URL and its LDAP_* settings). */
import { redactUrl } from '../redact.js';
import { type ConfigReader, plainRemoteHost } from './reader.js';

export interface LdapSourceConfig {
  url: string;
  bindDn: string | null;
  bindPassword: string | null;
  baseDn: string;
  filter: string;
  startTls: boolean;
  caFile: string | null;
  pageSize: number;
  attributes: { mail: string; otherMails: string[]; name: string; id: string };
  /** How a disabled account shows: AD's userAccountControl bit 0x2, an attribute's value, or not at all. */
  disabledBy: 'userAccountControl' | 'attribute' | 'none';
  statusAttribute: string;
  /** Lower-cased values of statusAttribute that mean the account is inactive. */
  inactiveValues: string[];
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function readLdapSource(r: ConfigReader): LdapSourceConfig | null {
  const url = r.raw('LDAP_URL');
  if (url === undefined) return null;
  checkLdapUrl(r, url);
  const baseDn = r.raw('LDAP_BASE_DN');
  if (baseDn === undefined)
    r.problems.push('LDAP_BASE_DN is required when LDAP_URL is set (e.g. dc=example,dc=com)');
  const bindDn = r.raw('LDAP_BIND_DN') ?? null;
  const bindPassword = r.secret('LDAP_BIND_PASSWORD', bindDn !== null) ?? null;
  const startTls = r.boolean('LDAP_STARTTLS', false);
  if (startTls && url.startsWith('ldaps:'))
    r.problems.push('LDAP_STARTTLS applies to ldap:// URLs; ldaps:// is already TLS');
  const plainHost = plainRemoteLdapHost(url, startTls);
  if (plainHost !== null && bindPassword !== null)
    r.problems.push(
      `LDAP_URL is plain ldap:// to ${plainHost} without LDAP_STARTTLS: the bind password would cross the network unencrypted; use ldaps:// or set LDAP_STARTTLS=true (plain ldap:// with a password is accepted only for this machine: localhost, 127.0.0.1, ::1)`,
    );
  return {
    url,
    bindDn,
    bindPassword,
    baseDn: baseDn ?? '',
    filter: r.string('LDAP_FILTER', '(&(objectClass=person)(mail=*))'),
    startTls,
    caFile: r.raw('LDAP_CA_FILE') ?? null,
    pageSize: r.number('LDAP_PAGE_SIZE', 500, { min: 1, max: 10_000, integer: true }),
    attributes: {
      mail: r.string('LDAP_ATTR_MAIL', 'mail'),
      otherMails: list(r.string('LDAP_ATTR_OTHER_MAILS', 'proxyAddresses,otherMailbox')),
      name: r.string('LDAP_ATTR_NAME', 'displayName'),
      id: r.string('LDAP_ATTR_ID', 'dn'),
    },
    disabledBy: r.oneOf('LDAP_DISABLED_BY', ['userAccountControl', 'attribute', 'none'] as const, 'none'),
    statusAttribute: r.string('LDAP_STATUS_ATTR', 'employeeStatus'),
    inactiveValues: list(r.string('LDAP_INACTIVE_VALUES', 'inactive,disabled,terminated,suspended')).map(
      (v) => v.toLowerCase(),
    ),
  };
}

/**
 * The host (and port) of an `ldap://` URL to anything but this machine that is not upgraded with
 * StartTLS: what it reads, and any bind password, travel unencrypted. Null for ldaps://, StartTLS,
 * this machine, or a URL that does not parse (reported elsewhere).
 */
export function plainRemoteLdapHost(url: string, startTls: boolean): string | null {
  return startTls ? null : plainRemoteHost(url, 'ldap:');
}

/**
 * LDAP_URL as the LDAP client reads it (`new URL`, as ldapts does): ldap:// or ldaps://, a host,
 * and no user info (the client never uses it, so a password there would only end up in messages;
 * LDAP_BIND_PASSWORD is the place). Problems never echo user info or a query.
 */
function checkLdapUrl(r: ConfigReader, url: string): void {
  // Everything up to the last @ may be user info, and a query may carry a secret: neither shown.
  const at = url.lastIndexOf('@');
  const scheme = /^[a-z]+:\/\//i.exec(url)?.[0] ?? '';
  const shown = (at < 0 ? url : `${scheme}…@${url.slice(at + 1)}`).replace(/[?#].*$/s, '?…').slice(0, 100);
  let parsed: URL | null = null;
  try {
    parsed = /^ldaps?:\/\/[^/]+/.test(url) ? new URL(url) : null;
  } catch {
    parsed = null;
  }
  if (parsed === null || parsed.hostname === '') {
    r.problems.push(`LDAP_URL must be an ldap:// or ldaps:// URL, got "${shown}"`);
    return;
  }
  if (parsed.username !== '' || parsed.password !== '')
    r.problems.push(
      `LDAP_URL must not carry user info (user:password@), got "${redactUrl(url)}": use LDAP_BIND_DN and LDAP_BIND_PASSWORD`,
    );
}

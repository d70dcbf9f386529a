/**
 * Plain http:// to anything but this machine sends the VictorOps key, signed events or a Slack
 * token readable to every hop in between. Allowed (a TLS-terminating sidecar, a lab), but said
 * loudly at start-up, naming the variable and the host only (never a path: it may hold a token).
 */

import { redactUrl } from '../redact.js';
import { plainRemoteLdapHost } from './identity-ldap.js';
import type { Config } from './load-config.js';
import { plainRemoteHost } from './reader.js';

const isPlainRemote = (url: string) => plainRemoteHost(url, 'http:') !== null;

/** One warning per configured URL that uses http:// to a host other than this machine. */
export function findPlainHttpWarnings(config: Config): string[] {
  const found: { label: string; url: string; carries: string }[] = [];
  if (config.victorOps.apiId !== '' && isPlainRemote(config.victorOps.baseUrl)) {
    found.push({ label: 'VO_BASE_URL', url: config.victorOps.baseUrl, carries: 'the VictorOps API key' });
  }
  for (const hook of config.delivery.webhooks) {
    if (isPlainRemote(hook.url)) {
      found.push({ label: `webhook "${hook.name}"`, url: hook.url, carries: 'signed events' });
    }
  }
  const slack = config.delivery.slack;
  if (slack !== null && isPlainRemote(slack.url)) {
    found.push({ label: 'SLACK_WEBHOOK_URL', url: slack.url, carries: "the Slack webhook's token" });
  }
  const warnings = found.map(
    (f) =>
      `${f.label} uses plain http:// to ${redactUrl(f.url)}, not this machine: ${f.carries} and every event travel unencrypted; use https://`,
  );
  // With a bind password this is a configuration error (identity-ldap.ts); an anonymous read is
  // allowed, but the directory's names and addresses still cross the network in clear.
  const ldap = config.identity.ldap;
  const ldapHost = ldap === null ? null : plainRemoteLdapHost(ldap.url, ldap.startTls);
  if (ldapHost !== null)
    warnings.push(
      `LDAP_URL uses plain ldap:// to ${ldapHost} without LDAP_STARTTLS: the directory's names and addresses travel unencrypted; use ldaps:// or set LDAP_STARTTLS=true`,
    );
  return warnings;
}

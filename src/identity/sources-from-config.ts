/**
 * The identity source registry: one plugin per kind, each in its adapter's module. A kind that
 * config/identity.ts reads settings for and that has no plugin here fails the typecheck.
 *
 * Each plugin is imported only when its kind is configured (issue 21): the adapters bring zod
 * schemas, undici's index (Okta, Entra, Google), ldapts, chardet and iconv-lite, ~8 MB of RSS
 * together, and a sync of a file alone needs none but the file's.
 */
import type { Clock } from '../clock.js';
import type { IdentityConfig, IdentitySourceConfigs, IdentitySourceKind } from '../config/identity.js';
import type { IdentitySource, IdentitySourceDeps, IdentitySourcePlugin } from './source.js';

export const IDENTITY_SOURCE_PLUGINS: {
  readonly [K in IdentitySourceKind]: () => Promise<IdentitySourcePlugin<K>>;
} = {
  file: async () => (await import('./file-source.js')).fileSource,
  ldap: async () => (await import('./ldap-source.js')).ldapSource,
  okta: async () => (await import('./okta-source.js')).oktaSource,
  entra: async () => (await import('./graph-source.js')).entraSource,
  google: async () => (await import('./google-source.js')).googleSource,
};

async function createConfigured<K extends IdentitySourceKind>(
  kind: K,
  config: IdentityConfig,
  deps: IdentitySourceDeps,
): Promise<IdentitySource | null> {
  // IdentityConfig[K] is IdentitySourceConfigs[K] | null; TypeScript does not follow the mapped type here.
  const settings = config[kind] as IdentitySourceConfigs[K] | null;
  if (settings === null) return null;
  const plugin: IdentitySourcePlugin<K> = await IDENTITY_SOURCE_PLUGINS[kind]();
  return plugin.create(settings, deps);
}

/** The configured sources, in the order config/identity.ts registers their kinds. */
export async function createIdentitySources(
  config: IdentityConfig,
  deps: { clock: Clock },
): Promise<IdentitySource[]> {
  const sourceDeps = { clock: deps.clock, timeoutMs: config.timeoutMs };
  const kinds = Object.keys(IDENTITY_SOURCE_PLUGINS) as IdentitySourceKind[];
  const built = await Promise.all(kinds.map((kind) => createConfigured(kind, config, sourceDeps)));
  return built.filter((source): source is IdentitySource => source !== null);
}

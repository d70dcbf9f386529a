/** The Entra ID (Microsoft Graph) identity source's configuration (ENTRA_*). */
import type { ConfigReader } from './reader.js';

export interface EntraSourceConfig {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityUrl: string;
  graphUrl: string;
}

export function readEntraSource(r: ConfigReader): EntraSourceConfig | null {
  const tenantId = r.raw('ENTRA_TENANT_ID');
  if (tenantId === undefined) return null;
  const clientId = r.raw('ENTRA_CLIENT_ID');
  if (clientId === undefined)
    r.problems.push('ENTRA_CLIENT_ID is required when ENTRA_TENANT_ID is set (the app registration id)');
  const clientSecret = r.secret('ENTRA_CLIENT_SECRET', true) ?? '';
  const authority = r.string('ENTRA_AUTHORITY_URL', 'https://login.microsoftonline.com').replace(/\/+$/, '');
  const graph = r.string('ENTRA_GRAPH_URL', 'https://graph.microsoft.com').replace(/\/+$/, '');
  return {
    tenantId,
    clientId: clientId ?? '',
    clientSecret,
    authorityUrl: r.credentialUrl('ENTRA_AUTHORITY_URL', authority, 'the client secret') ?? authority,
    graphUrl: r.credentialUrl('ENTRA_GRAPH_URL', graph, 'the access token') ?? graph,
  };
}

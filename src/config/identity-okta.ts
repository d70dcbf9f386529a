/** The Okta identity source's configuration (OKTA_ORG_URL, OKTA_API_TOKEN, OKTA_PAGE_LIMIT). */
import type { ConfigReader } from './reader.js';

export interface OktaSourceConfig {
  orgUrl: string;
  apiToken: string;
  pageLimit: number;
}

export function readOktaSource(r: ConfigReader): OktaSourceConfig | null {
  const raw = r.raw('OKTA_ORG_URL');
  if (raw === undefined) return null;
  const orgUrl = r.credentialUrl('OKTA_ORG_URL', raw.replace(/\/+$/, ''), 'the API token') ?? raw;
  const apiToken = r.secret('OKTA_API_TOKEN', true) ?? '';
  return {
    orgUrl,
    apiToken,
    pageLimit: r.number('OKTA_PAGE_LIMIT', 200, { min: 1, max: 200, integer: true }),
  };
}

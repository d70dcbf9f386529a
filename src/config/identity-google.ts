/**
 * The Google Workspace identity source's configuration (GOOGLE_WORKSPACE_*): a service account key
 * file with domain-wide delegation, the admin it acts as, and which users to list. The key file is
 * read here so every problem with it is reported with the others at start-up; its `private_key` is
 * a secret and never appears in a problem (test/fixtures/google/README.md for the file's fields).
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type ConfigReader, unreadablePath } from './reader.js';

export interface GoogleSourceConfig {
  credentialsFile: string;
  /** The key's `client_email`: the JWT's issuer. */
  clientEmail: string;
  /** The key's `private_key` (PEM), which signs the JWT. A secret. */
  privateKey: string;
  /** The key's `token_uri`, Google's token endpoint unless the file names another. */
  tokenUri: string;
  /** The Workspace user the service account acts as (the JWT's `sub`). */
  admin: string;
  /** `customer=` of users.list (`my_customer` by default), or null when `domain` is set. */
  customer: string | null;
  domain: string | null;
  /** users.list `query` (e.g. `orgUnitPath='/Engineering'`), or null for everyone. */
  query: string | null;
  pageSize: number;
  directoryUrl: string;
}

/** gtoken's GOOGLE_TOKEN_URL: what a key file without `token_uri` means. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const FILE = 'GOOGLE_WORKSPACE_CREDENTIALS_FILE';

interface ServiceAccountKey {
  clientEmail: string;
  privateKey: string;
  tokenUri: string;
}

/** The key file's fields, or one problem naming what is wrong with it (never its contents). */
function readKeyFile(path: string): ServiceAccountKey | string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return `cannot read ${unreadablePath(path)} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return `${path} is not valid JSON; expected the service account key file downloaded from the Google Cloud console`;
  }
  const key = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (key.type !== 'service_account')
    return `${path} is not a service account key ("type" must be "service_account")`;
  const { client_email: clientEmail, private_key: privateKey, token_uri: tokenUri } = key;
  if (typeof clientEmail !== 'string' || !clientEmail.includes('@')) return `${path} has no "client_email"`;
  if (typeof privateKey !== 'string' || privateKey.trim() === '') return `${path} has no "private_key"`;
  try {
    createPrivateKey(privateKey);
  } catch {
    return `${path}: "private_key" is not a PEM private key`;
  }
  if (tokenUri !== undefined && typeof tokenUri !== 'string') return `${path}: "token_uri" is not a URL`;
  return { clientEmail, privateKey, tokenUri: tokenUri ?? GOOGLE_TOKEN_URL };
}

export function readGoogleSource(r: ConfigReader): GoogleSourceConfig | null {
  const credentialsFile = r.raw(FILE);
  if (credentialsFile === undefined) return null;
  const key = readKeyFile(credentialsFile);
  if (typeof key === 'string') r.problems.push(`${FILE}: ${key}`);
  const tokenUri =
    typeof key === 'string'
      ? GOOGLE_TOKEN_URL
      : (r.credentialUrl(
          `${FILE} (${credentialsFile}: token_uri)`,
          key.tokenUri,
          'the signed assertion that obtains an access token',
        ) ?? '');
  const admin = r.raw('GOOGLE_WORKSPACE_ADMIN');
  if (admin === undefined || !admin.includes('@'))
    r.problems.push(
      `GOOGLE_WORKSPACE_ADMIN is required when ${FILE} is set: the email of a Workspace admin the service account acts as (domain-wide delegation)`,
    );
  const domain = r.raw('GOOGLE_WORKSPACE_DOMAIN') ?? null;
  const customer = r.raw('GOOGLE_WORKSPACE_CUSTOMER') ?? null;
  if (domain !== null && customer !== null)
    r.problems.push('GOOGLE_WORKSPACE_CUSTOMER and GOOGLE_WORKSPACE_DOMAIN are both set: set only one');
  const directory = r
    .string('GOOGLE_WORKSPACE_DIRECTORY_URL', 'https://admin.googleapis.com')
    .replace(/\/+$/, '');
  return {
    credentialsFile,
    clientEmail: typeof key === 'string' ? '' : key.clientEmail,
    privateKey: typeof key === 'string' ? '' : key.privateKey,
    tokenUri,
    admin: admin ?? '',
    customer: domain === null ? (customer ?? 'my_customer') : null,
    domain,
    query: r.raw('GOOGLE_WORKSPACE_QUERY') ?? null,
    pageSize: r.number('GOOGLE_WORKSPACE_PAGE_SIZE', 500, { min: 1, max: 500, integer: true }),
    directoryUrl:
      r.credentialUrl('GOOGLE_WORKSPACE_DIRECTORY_URL', directory, 'the access token') ?? directory,
  };
}

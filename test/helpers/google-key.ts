/**
 * The service account key file of test/fixtures/google (Google's own test key), written to a
 * temporary folder with its `token_uri` pointed at a fake, as a user would configure it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { GoogleSourceConfig } from '../../src/config/identity-google.js';
import { scratchDir } from './scratch-dir.js';

export const GOOGLE_KEY_FIXTURE = resolve(import.meta.dirname, '../fixtures/google/service-account-key.json');

export interface GoogleKey {
  type: string;
  client_email: string;
  private_key: string;
  token_uri: string;
  [field: string]: unknown;
}

export const googleKey = (): GoogleKey => JSON.parse(readFileSync(GOOGLE_KEY_FIXTURE, 'utf8')) as GoogleKey;

/** A copy of the fixture key with these fields changed; returns its path. */
export function writeGoogleKey(changes: Partial<Record<keyof GoogleKey, unknown>> = {}): string {
  const path = join(scratchDir('rw-google-key-'), 'key.json');
  writeFileSync(path, JSON.stringify({ ...googleKey(), ...changes }));
  return path;
}

/** The settings GOOGLE_WORKSPACE_CREDENTIALS_FILE (the fixture key) and _ADMIN alone give, with changes. */
export function googleSettings(changes: Partial<GoogleSourceConfig> = {}): GoogleSourceConfig {
  const key = googleKey();
  return {
    credentialsFile: '/run/secrets/google.json',
    clientEmail: key.client_email,
    privateKey: key.private_key,
    tokenUri: key.token_uri,
    admin: 'admin@example.com',
    customer: 'my_customer',
    domain: null,
    query: null,
    pageSize: 500,
    directoryUrl: 'https://admin.googleapis.com',
    ...changes,
  };
}

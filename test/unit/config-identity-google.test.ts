/** GOOGLE_WORKSPACE_*: the key file read at start-up, every problem named, the private key never. */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { configProblems } from '../helpers/config-problems.js';
import { googleKey, googleSettings, writeGoogleKey } from '../helpers/google-key.js';

const base = { VO_API_ID: 'id-1', VO_API_KEY: 'very-secret-key' };
const google = (env: Record<string, string>) =>
  loadConfig({ ...base, ...env }, { requireVictorOps: true }).identity.google;

describe('Google Workspace configuration', () => {
  it('is off without GOOGLE_WORKSPACE_CREDENTIALS_FILE', () => {
    expect(google({})).toBeNull();
  });

  it('reads the key file and defaults to the whole account, 500 users a page', () => {
    const path = writeGoogleKey();
    const c = google({
      GOOGLE_WORKSPACE_CREDENTIALS_FILE: path,
      GOOGLE_WORKSPACE_ADMIN: 'admin@example.com',
    });
    expect(c).toEqual(googleSettings({ credentialsFile: path }));
    expect(c).toMatchObject({ clientEmail: 'fake@example.com', customer: 'my_customer', pageSize: 500 });
    const schedule = loadConfig(
      { ...base, GOOGLE_WORKSPACE_CREDENTIALS_FILE: path, GOOGLE_WORKSPACE_ADMIN: 'admin@example.com' },
      { requireVictorOps: true },
    ).identity.schedule;
    expect(schedule?.expression).toBe('*/30 * * * *');
  });

  it('takes a domain, a query, a page size and a directory URL; a key without token_uri means Google', () => {
    const c = google({
      GOOGLE_WORKSPACE_CREDENTIALS_FILE: writeGoogleKey({ token_uri: undefined }),
      GOOGLE_WORKSPACE_ADMIN: 'admin@example.com',
      GOOGLE_WORKSPACE_DOMAIN: 'example.com',
      GOOGLE_WORKSPACE_QUERY: "orgUnitPath='/Engineering'",
      GOOGLE_WORKSPACE_PAGE_SIZE: '200',
      GOOGLE_WORKSPACE_DIRECTORY_URL: 'http://127.0.0.1:9/',
    });
    expect(c).toMatchObject({
      customer: null,
      domain: 'example.com',
      query: "orgUnitPath='/Engineering'",
      pageSize: 200,
      directoryUrl: 'http://127.0.0.1:9',
      tokenUri: 'https://oauth2.googleapis.com/token',
    });
  });

  it('reports every problem at once and never quotes the private key', () => {
    const problems = configProblems({
      ...base,
      GOOGLE_WORKSPACE_CREDENTIALS_FILE: writeGoogleKey({ private_key: 'not a key but secret-ish-text' }),
      GOOGLE_WORKSPACE_CUSTOMER: 'C01',
      GOOGLE_WORKSPACE_DOMAIN: 'example.com',
      GOOGLE_WORKSPACE_PAGE_SIZE: '1000',
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^GOOGLE_WORKSPACE_CREDENTIALS_FILE: .*key\.json: "private_key" is not a PEM private key$/,
      ),
      expect.stringMatching(
        /^GOOGLE_WORKSPACE_ADMIN is required when GOOGLE_WORKSPACE_CREDENTIALS_FILE is set/,
      ),
      'GOOGLE_WORKSPACE_CUSTOMER and GOOGLE_WORKSPACE_DOMAIN are both set: set only one',
      'GOOGLE_WORKSPACE_PAGE_SIZE must be a whole number from 1 to 500, got "1000"',
    ]);
    expect(problems.join('\n')).not.toContain('secret-ish-text');
  });

  it('never quotes the key when the variable holds the key file’s contents instead of its path', () => {
    const key = googleKey();
    for (const value of [JSON.stringify(key, null, 1), key.private_key]) {
      const problems = configProblems({
        ...base,
        GOOGLE_WORKSPACE_CREDENTIALS_FILE: value,
        GOOGLE_WORKSPACE_ADMIN: 'admin@example.com',
      });
      expect(problems).toEqual([
        expect.stringMatching(
          /^GOOGLE_WORKSPACE_CREDENTIALS_FILE: cannot read the file it names \(the value, \d+ characters, is not shown: .*is it the secret itself\?\) \(E\w+\)$/,
        ),
      ]);
      expect(problems.join('\n')).not.toContain('PRIVATE KEY');
      expect(problems.join('\n')).not.toContain(key.private_key.split('\n')[1]!.slice(0, 20));
    }
  });

  it.each([
    ['a missing file', () => '/nonexistent/key.json', /cannot read \/nonexistent\/key\.json \(ENOENT\)$/],
    [
      'a file that is not JSON',
      () => {
        const path = writeGoogleKey();
        writeFileSync(path, `{"private_key": "${googleKey().private_key.slice(0, 40)}`);
        return path;
      },
      /is not valid JSON; expected the service account key file/,
    ],
    [
      'another kind of key',
      () => writeGoogleKey({ type: 'authorized_user' }),
      /is not a service account key/,
    ],
    ['no client_email', () => writeGoogleKey({ client_email: undefined }), /has no "client_email"$/],
    ['no private_key', () => writeGoogleKey({ private_key: '' }), /has no "private_key"$/],
    [
      'a token_uri that is not a URL',
      () => writeGoogleKey({ token_uri: 'oauth2' }),
      /token_uri\) must be an http/,
    ],
    [
      'a plain http:// token_uri to another machine',
      () => writeGoogleKey({ token_uri: 'http://oauth2.googleapis.com/token' }),
      /^GOOGLE_WORKSPACE_CREDENTIALS_FILE \(\/.+\/key\.json: token_uri\) must be an https:\/\/ URL: the signed assertion that obtains an access token would cross the network unencrypted to oauth2\.googleapis\.com \(plain http:\/\/ is accepted only for this machine: localhost, 127\.0\.0\.1, ::1\)$/,
    ],
  ])('names %s', (_what, file, expected) => {
    const problems = configProblems({
      ...base,
      GOOGLE_WORKSPACE_CREDENTIALS_FILE: file(),
      GOOGLE_WORKSPACE_ADMIN: 'admin@example.com',
    });
    expect(problems).toEqual([expect.stringMatching(expected)]);
    expect(problems.join('\n')).not.toContain('BEGIN RSA');
  });

  it.each(['http://127.0.0.1:8080/token', 'http://localhost:8080/token', 'http://[::1]:8080/token'])(
    'accepts a plain http:// token_uri on this machine (%s), as the simulator and the tests use',
    (tokenUri) => {
      const c = google({
        GOOGLE_WORKSPACE_CREDENTIALS_FILE: writeGoogleKey({ token_uri: tokenUri }),
        GOOGLE_WORKSPACE_ADMIN: 'admin@example.com',
      });
      expect(c?.tokenUri).toBe(tokenUri);
    },
  );

  it('refuses a plain http:// directory URL to another machine: the access token travels there', () => {
    const problems = configProblems({
      ...base,
      GOOGLE_WORKSPACE_CREDENTIALS_FILE: writeGoogleKey(),
      GOOGLE_WORKSPACE_ADMIN: 'admin@example.com',
      GOOGLE_WORKSPACE_DIRECTORY_URL: 'http://admin.googleapis.com',
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^GOOGLE_WORKSPACE_DIRECTORY_URL must be an https:\/\/ URL: the access token would cross the network unencrypted to admin\.googleapis\.com /,
      ),
    ]);
  });
});

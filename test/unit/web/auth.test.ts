import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { isLoopbackHost, parseBasicAuthFile, refuseExposure } from '../../../src/config/ui.js';
import { ConfigError } from '../../../src/errors.js';
import { createAuthorizer } from '../../../src/web/auth.js';

const HASH = bcrypt.hashSync('correct horse', 4);

function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env, { requireVictorOps: false });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

function authFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'rw-auth-')), 'users');
  writeFileSync(path, content);
  return path;
}

const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

describe('web view authentication', () => {
  it('parses htpasswd-style bcrypt lines and names bad lines without echoing them', () => {
    const parsed = parseBasicAuthFile(`# auditors\naudit:${HASH}\n\nbroken-line\nmd5:$apr1$abc$def\n`);
    expect(parsed.entries).toEqual([{ user: 'audit', hash: HASH }]);
    expect(parsed.problems).toHaveLength(2);
    expect(parsed.problems[0]).toMatch(/^line 4 must be "user:<bcrypt hash>"/);
    expect(parsed.problems.join(' ')).not.toContain('$apr1$');
    expect(parseBasicAuthFile('# nobody\n').problems).toEqual(['the file names no user']);
  });

  it('tells loopback addresses from the others', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost'])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'example.com']) expect(isLoopbackHost(host)).toBe(false);
  });

  it('refuses a non-loopback address without authentication, and allows it with', () => {
    expect(refuseExposure('0.0.0.0', { kind: 'none' })).toMatch(
      /not a loopback address, without authentication/,
    );
    expect(refuseExposure('127.0.0.1', { kind: 'none' })).toBeNull();
    expect(refuseExposure('0.0.0.0', { kind: 'header', header: 'X-Forwarded-User' })).toBeNull();
  });

  it('config: UI_ENABLED on 0.0.0.0 without authentication is a configuration error; with a hash file it is not', () => {
    const refused = configProblems({ UI_ENABLED: 'true', HTTP_HOST: '0.0.0.0' });
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/^UI_ENABLED=true with HTTP_HOST=0\.0\.0\.0: .*UI_BASIC_AUTH_FILE/);
    expect(
      configProblems({
        UI_ENABLED: 'true',
        HTTP_HOST: '0.0.0.0',
        UI_BASIC_AUTH_FILE: authFile(`audit:${HASH}\n`),
      }),
    ).toEqual([]);
    expect(configProblems({ UI_ENABLED: 'false', HTTP_HOST: '0.0.0.0' })).toEqual([]);
    const config = loadConfig({}, { requireVictorOps: false });
    expect(config.ui).toEqual({ enabled: false, auth: { kind: 'none' }, timeZone: expect.any(String) });
  });

  it('config: reports a bad hash file, a bad header name and both at once', () => {
    expect(configProblems({ UI_BASIC_AUTH_FILE: authFile('audit:plaintext\n') })[0]).toMatch(
      /^UI_BASIC_AUTH_FILE \(.*\): line 1 must be/,
    );
    expect(configProblems({ UI_BASIC_AUTH_FILE: '/nonexistent/users' })[0]).toMatch(
      /cannot read .* \(ENOENT\)/,
    );
    expect(configProblems({ UI_TRUST_HEADER: 'X Forwarded User' })[0]).toMatch(
      /^UI_TRUST_HEADER must be an HTTP header name/,
    );
    expect(
      configProblems({ UI_TRUST_HEADER: 'X-User', UI_BASIC_AUTH_FILE: authFile(`a:${HASH}\n`) }),
    ).toEqual(['UI_BASIC_AUTH_FILE and UI_TRUST_HEADER are both set: set only one']);
  });

  it('basic auth accepts the right password only, and asks for credentials otherwise', async () => {
    const authorize = createAuthorizer({ kind: 'basic', entries: [{ user: 'audit', hash: HASH }] });
    expect(await authorize({})).toEqual({ ok: false, challenge: true });
    expect(await authorize(basic('audit', 'wrong'))).toEqual({ ok: false, challenge: true });
    expect(await authorize(basic('someone', 'correct horse'))).toEqual({ ok: false, challenge: true });
    expect(await authorize(basic('audit', 'correct horse'))).toEqual({ ok: true, user: 'audit' });
    // Remembered: the second check does not run bcrypt again, and still says who it is.
    expect(await authorize(basic('audit', 'correct horse'))).toEqual({ ok: true, user: 'audit' });
  });

  it('a $2y$ hash (htpasswd -B) verifies like $2b$', async () => {
    const authorize = createAuthorizer({
      kind: 'basic',
      entries: [{ user: 'a', hash: HASH.replace(/^\$2b\$/, '$2y$') }],
    });
    expect(await authorize(basic('a', 'correct horse'))).toEqual({ ok: true, user: 'a' });
  });

  it('a trusted proxy header must be present and non-empty', async () => {
    const authorize = createAuthorizer({ kind: 'header', header: 'X-Forwarded-User' });
    expect(await authorize({})).toEqual({ ok: false, challenge: false });
    expect(await authorize({ 'x-forwarded-user': '  ' })).toEqual({ ok: false, challenge: false });
    expect(await authorize({ 'x-forwarded-user': 'jdoe' })).toEqual({ ok: true, user: 'jdoe' });
  });
});

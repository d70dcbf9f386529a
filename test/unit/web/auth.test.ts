import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { isLoopback } from '../../../src/config/reader.js';
import { parseBasicAuthFile, refuseExposure } from '../../../src/config/ui.js';
import {
  createAuthorizer,
  dummyHashCost,
  FAILURE_WINDOW_MS,
  MAX_FAILURES_PER_WINDOW,
} from '../../../src/web/auth.js';
import { configProblems } from '../../helpers/config-problems.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

// Cost 4 keeps the authorizer tests fast; files must hold cost 10 or more (FILE_HASH).
const HASH = bcrypt.hashSync('correct horse', 4);
const FILE_HASH = bcrypt.hashSync('correct horse', 10);

const uiProblems = (env: Record<string, string>) => configProblems(env, false);

function authFile(content: string): string {
  const path = join(scratchDir('rw-auth-'), 'users');
  writeFileSync(path, content);
  return path;
}

const basic = (user: string, password: string, remoteAddress = '10.0.0.9') => ({
  headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
  remoteAddress,
});
const fromProxy = (headers: Record<string, string>, remoteAddress = '127.0.0.1') => ({
  headers,
  remoteAddress,
});

describe('web view authentication', () => {
  it('parses htpasswd-style bcrypt lines and names bad lines without echoing them', () => {
    const parsed = parseBasicAuthFile(`# auditors\naudit:${FILE_HASH}\n\nbroken-line\nmd5:$apr1$abc$def\n`);
    expect(parsed.entries).toEqual([{ user: 'audit', hash: FILE_HASH }]);
    expect(parsed.problems).toHaveLength(2);
    expect(parsed.problems[0]).toMatch(/^line 4 must be "user:<bcrypt hash>"/);
    expect(parsed.problems.join(' ')).not.toContain('$apr1$');
    expect(parseBasicAuthFile('# nobody\n').problems).toEqual(['the file names no user']);
  });

  it('tells loopback addresses from the others', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST'])
      expect(isLoopback(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'example.com', '127.0.0.1.example.com', 'a.localhost'])
      expect(isLoopback(host)).toBe(false);
  });

  it('refuses a non-loopback address without authentication, and allows it with', () => {
    expect(refuseExposure('0.0.0.0', { kind: 'none' })).toMatch(
      /not a loopback address, without authentication/,
    );
    expect(refuseExposure('127.0.0.1', { kind: 'none' })).toBeNull();
    expect(
      refuseExposure('0.0.0.0', { kind: 'header', header: 'X-Forwarded-User', trustedProxies: ['10.0.0.2'] }),
    ).toBeNull();
  });

  it('config: UI_ENABLED on 0.0.0.0 without authentication is a configuration error; with a hash file it is not', () => {
    const refused = uiProblems({ UI_ENABLED: 'true', HTTP_HOST: '0.0.0.0' });
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/^UI_ENABLED=true with HTTP_HOST=0\.0\.0\.0: .*UI_BASIC_AUTH_FILE/);
    expect(
      uiProblems({
        UI_ENABLED: 'true',
        HTTP_HOST: '0.0.0.0',
        UI_BASIC_AUTH_FILE: authFile(`audit:${FILE_HASH}\n`),
      }),
    ).toEqual([]);
    expect(uiProblems({ UI_ENABLED: 'false', HTTP_HOST: '0.0.0.0' })).toEqual([]);
    const config = loadConfig({}, { requireVictorOps: false });
    expect(config.ui).toEqual({ enabled: false, auth: { kind: 'none' }, timeZone: expect.any(String) });
  });

  it('config: reports a bad hash file, a bad header name and both at once', () => {
    expect(uiProblems({ UI_BASIC_AUTH_FILE: authFile('audit:plaintext\n') })[0]).toMatch(
      /^UI_BASIC_AUTH_FILE \(.*\): line 1 must be/,
    );
    expect(uiProblems({ UI_BASIC_AUTH_FILE: '/nonexistent/users' })[0]).toMatch(/cannot read .* \(ENOENT\)/);
    expect(uiProblems({ UI_TRUST_HEADER: 'X Forwarded User' })[0]).toMatch(
      /^UI_TRUST_HEADER must be an HTTP header name/,
    );
    expect(
      uiProblems({ UI_TRUST_HEADER: 'X-User', UI_BASIC_AUTH_FILE: authFile(`a:${FILE_HASH}\n`) }),
    ).toEqual(['UI_BASIC_AUTH_FILE and UI_TRUST_HEADER are both set: set only one']);
  });

  it('basic auth accepts the right password only, and asks for credentials otherwise', async () => {
    const authorize = createAuthorizer({ kind: 'basic', entries: [{ user: 'audit', hash: HASH }] });
    expect(await authorize({ headers: {}, remoteAddress: '10.0.0.9' })).toEqual({
      ok: false,
      challenge: true,
    });
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
    const authorize = createAuthorizer({ kind: 'header', header: 'X-Forwarded-User', trustedProxies: [] });
    expect(await authorize(fromProxy({}))).toEqual({ ok: false, challenge: false });
    expect(await authorize(fromProxy({ 'x-forwarded-user': '  ' }))).toEqual({ ok: false, challenge: false });
    expect(await authorize(fromProxy({ 'x-forwarded-user': 'jdoe' }))).toEqual({ ok: true, user: 'jdoe' });
  });

  it('refuses bcrypt hashes below cost 10 at start-up, showing htpasswd -C 12 (issue 20)', () => {
    const weak = bcrypt.hashSync('pw', 5);
    const parsed = parseBasicAuthFile(`audit:${weak}\n`);
    expect(parsed.entries).toEqual([]);
    expect(parsed.problems).toEqual([
      'line 1: user "audit" has a bcrypt hash of cost 5; use cost 10 or more (`htpasswd -nbB -C 12 user password`)',
    ]);
    expect(uiProblems({ UI_BASIC_AUTH_FILE: authFile(`audit:${weak}\n`) })[0]).toMatch(/cost 5; use cost 10/);
  });

  it('an unknown user is compared against a dummy hash of the configured cost, not a cheaper one (issue 20)', async () => {
    const strong = bcrypt.hashSync('correct horse', 11);
    expect(dummyHashCost([{ user: 'audit', hash: strong }])).toBe(11);
    expect(dummyHashCost([{ user: 'a', hash: HASH }])).toBe(10);
    const authorize = createAuthorizer({ kind: 'basic', entries: [{ user: 'audit', hash: strong }] });
    expect(await authorize(basic('nobody', 'correct horse'))).toEqual({ ok: false, challenge: true });
    expect(await authorize(basic('audit', 'correct horse'))).toEqual({ ok: true, user: 'audit' });
  });

  it('a client address that keeps failing gets 429 with Retry-After, without bcrypt; others still sign in (issue 20)', async () => {
    let now = 1_000_000;
    const authorize = createAuthorizer(
      { kind: 'basic', entries: [{ user: 'audit', hash: HASH }] },
      () => now,
    );
    for (let i = 0; i < MAX_FAILURES_PER_WINDOW; i++)
      expect(await authorize(basic('audit', `wrong ${i}`, '10.0.0.66'))).toEqual({
        ok: false,
        challenge: true,
      });
    expect(await authorize(basic('audit', 'correct horse', '10.0.0.66'))).toEqual({
      ok: false,
      challenge: false,
      retryAfterSeconds: FAILURE_WINDOW_MS / 1000,
    });
    expect(await authorize(basic('audit', 'correct horse', '10.0.0.67'))).toEqual({
      ok: true,
      user: 'audit',
    });
    now += FAILURE_WINDOW_MS;
    expect(await authorize(basic('audit', 'correct horse', '10.0.0.66'))).toEqual({
      ok: true,
      user: 'audit',
    });
  });

  it('the identity header counts only from UI_TRUSTED_PROXIES, and is refused without them off loopback (issue 20)', async () => {
    const authorize = createAuthorizer({
      kind: 'header',
      header: 'X-Forwarded-User',
      trustedProxies: ['10.1.0.0/16', 'fd00::5'],
    });
    const header = { 'x-forwarded-user': 'jdoe' };
    expect(await authorize(fromProxy(header, '10.1.2.3'))).toEqual({ ok: true, user: 'jdoe' });
    expect(await authorize(fromProxy(header, '::ffff:10.1.2.3'))).toEqual({ ok: true, user: 'jdoe' });
    expect(await authorize(fromProxy(header, 'fd00::5'))).toEqual({ ok: true, user: 'jdoe' });
    expect(await authorize(fromProxy(header, '10.2.0.1'))).toEqual({ ok: false, challenge: false });
    expect(await authorize(fromProxy(header, '127.0.0.1'))).toEqual({ ok: false, challenge: false });
    expect(uiProblems({ UI_ENABLED: 'true', HTTP_HOST: '0.0.0.0', UI_TRUST_HEADER: 'X-User' })[0]).toMatch(
      /UI_TRUST_HEADER would let any client .* set UI_TRUSTED_PROXIES/,
    );
    expect(
      uiProblems({
        UI_ENABLED: 'true',
        HTTP_HOST: '0.0.0.0',
        UI_TRUST_HEADER: 'X-User',
        UI_TRUSTED_PROXIES: '10.0.0.2, 10.1.0.0/16',
      }),
    ).toEqual([]);
    expect(uiProblems({ UI_TRUST_HEADER: 'X-User', UI_TRUSTED_PROXIES: '10.0.0.0/33,proxy' })[0]).toBe(
      'UI_TRUSTED_PROXIES must be comma-separated IP addresses or CIDRs (such as 10.0.0.5,10.1.0.0/16), got "10.0.0.0/33, proxy"',
    );
    for (const name of ['Host', 'authorization', 'X-Forwarded-For', 'User-Agent', 'Cookie'])
      expect(uiProblems({ UI_TRUST_HEADER: name })[0]).toMatch(
        /^UI_TRUST_HEADER must be a header only your reverse proxy sets/,
      );
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/logger.js';
import { openStore } from '../../../src/store/db.js';
import { startUiServer } from '../../../src/web/serve.js';
import { recordUiHistory } from '../../helpers/ui-history.js';
import { type DaemonFixture, startDaemonFixture } from '../service/daemon-fixture.js';

let fx: DaemonFixture | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
  for (const c of cleanups.splice(0)) await c();
});

describe('serving the web view', () => {
  it('`run` with UI_ENABLED=true serves /ui beside the probes, from a read-only connection', async () => {
    fx = await startDaemonFixture({ env: { UI_ENABLED: 'true' } });
    const f = fx;
    await f.daemon.startupPolls;
    expect(f.runs().map((r) => r.status)).toContain('baseline');
    const overview = await f.get('/ui');
    expect(overview.status).toBe(200);
    expect(overview.contentType).toContain('text/html');
    expect(overview.text).toContain('Last run of each kind');
    expect((await f.get('/ui/runs')).text).toContain('baseline');
    expect((await f.get('/healthz')).status).toBe(200);
    const res = await fetch(`http://127.0.0.1:${f.daemon.port}/ui/runs`, { method: 'DELETE' });
    expect(res.status).toBe(405);
  });

  it('`run` without UI_ENABLED serves no /ui', async () => {
    fx = await startDaemonFixture();
    expect((await fx.get('/ui')).status).toBe(404);
  });

  it('the view cannot write: its connection is read-only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-ro-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    recordUiHistory(join(dir, 'h.db')).close();
    const store = openStore(join(dir, 'h.db'), { readonly: true });
    cleanups.push(() => store.close());
    expect(() => store.sqlite.prepare('DELETE FROM events').run()).toThrow(/readonly/);
  });

  it('`ui`: the / redirect and the 404 carry the security headers, and / answers only GET and HEAD (issue 20)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-hdr-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    recordUiHistory(join(dir, 'h.db')).close();
    const store = openStore(join(dir, 'h.db'), { readonly: true });
    const server = await startUiServer({
      store,
      auth: { kind: 'none' },
      host: '127.0.0.1',
      port: 0,
      logger: createSilentLogger(),
    });
    cleanups.push(async () => {
      await server.close();
      store.close();
    });
    const origin = server.url.replace(/\/ui$/, '');
    const root = await fetch(`${origin}/`, { redirect: 'manual' });
    const missing = await fetch(`${origin}/elsewhere`);
    expect([root.status, missing.status]).toEqual([302, 404]);
    for (const res of [root, missing]) {
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
    for (const method of ['POST', 'DELETE']) {
      const res = await fetch(`${origin}/`, { method, redirect: 'manual' });
      expect([res.status, res.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    }
  });

  it('with basic auth: 401 and a challenge without credentials, the page with them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-auth-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    recordUiHistory(join(dir, 'h.db')).close();
    const store = openStore(join(dir, 'h.db'), { readonly: true });
    const server = await startUiServer({
      store,
      auth: { kind: 'basic', entries: [{ user: 'audit', hash: bcrypt.hashSync('s3cret', 4) }] },
      host: '127.0.0.1',
      port: 0,
      logger: createSilentLogger(),
    });
    cleanups.push(async () => {
      await server.close();
      store.close();
    });
    const anonymous = await fetch(server.url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm="roster-watch"/);
    expect(anonymous.headers.get('content-security-policy')).toContain("default-src 'none'");
    const authorization = `Basic ${Buffer.from('audit:s3cret').toString('base64')}`;
    const page = await fetch(`${server.url}/runs`, { headers: { authorization } });
    expect(page.status).toBe(200);
    const csv = await fetch(`${server.url}/runs.csv`, { headers: { authorization } });
    expect(csv.status).toBe(200);
    // Issue 20: a client that keeps guessing is answered 429 with Retry-After until its window
    // passes, without running bcrypt; a sign-in it already made keeps working.
    const wrong = `Basic ${Buffer.from('audit:guess').toString('base64')}`;
    for (let i = 0; i < 10; i++)
      expect((await fetch(`${server.url}/runs`, { headers: { authorization: wrong } })).status).toBe(401);
    const limited = await fetch(`${server.url}/runs`, { headers: { authorization: wrong } });
    expect(limited.status).toBe(429);
    expect((await fetch(`${server.url}/runs`, { headers: { authorization } })).status).toBe(200);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});

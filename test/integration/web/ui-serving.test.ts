import { mkdtempSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { UiAuth } from '../../../src/config/ui.js';
import { openStore } from '../../../src/store/db.js';
import type { UiServer } from '../../../src/web/serve.js';
import { aRoster, aTeam, aUser } from '../../helpers/builders.js';
import { recordRosterRun, recordUiHistory } from '../../helpers/ui-history.js';
import { startTestUi } from '../../helpers/ui-server.js';
import { type DaemonFixture, startDaemonFixture } from '../service/daemon-fixture.js';

let fx: DaemonFixture | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
  for (const c of cleanups.splice(0)) await c();
});

/** `ui`'s server over a read-only history, closed after the test. */
async function serveHistory(path: string, auth: UiAuth): Promise<UiServer> {
  const store = openStore(path, { readonly: true });
  const server = await startTestUi(store, {
    auth,
  });
  cleanups.push(async () => {
    await server.close();
    store.close();
  });
  return server;
}

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
    const server = await serveHistory(join(dir, 'h.db'), { kind: 'none' });
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

  it('the page of a user or team named `..` is reachable, by its link and by %2E%2E (issue 20)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-dots-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const writer = openStore(join(dir, 'h.db'));
    recordRosterRun(
      writer,
      aRoster(),
      aRoster({
        users: [aUser('..', { firstName: 'Dot', lastName: 'Dot' }), aUser('alice')],
        teams: [aTeam('..', 'Dots')],
        memberships: [['..', '..']],
      }),
      '2026-03-01T10:00:00.000Z',
      'baseline',
    );
    writer.close();
    const server = await serveHistory(join(dir, 'h.db'), { kind: 'none' });
    const origin = server.url.replace(/\/ui$/, '');
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        // node:http sends the path as given; fetch would fold %2E%2E into the parent first.
        httpGet({ host: '127.0.0.1', port: server.port, path }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => {
            body += d.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        }).on('error', reject);
      });
    const overview = await get('/ui/users/%2E%2E');
    expect(overview.status).toBe(200);
    expect(overview.body).toContain('Dot Dot');
    const team = await get('/ui/teams/%2E%2E');
    expect([team.status, team.body.includes('Dots')]).toEqual([200, true]);
    // The links the pages print survive a browser's URL folding.
    const teamPage = await get('/ui/teams?name=..');
    expect(teamPage.status).toBe(200);
    expect(teamPage.body).toContain('href="/ui/users?name=..');
    expect(new URL('/ui/users?name=..', origin).pathname).toBe('/ui/users');
    expect((await get('/ui/users?name=..')).body).toContain('Dot Dot');
  });

  it('with basic auth: 401 and a challenge without credentials, the page with them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-auth-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    recordUiHistory(join(dir, 'h.db')).close();
    const server = await serveHistory(join(dir, 'h.db'), {
      kind: 'basic',
      entries: [{ user: 'audit', hash: bcrypt.hashSync('s3cret', 4) }],
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

/**
 * The VictorOps client's pool is loaded from two of undici's own files instead of its index
 * (src/victorops/undici-pool.ts, issue 21). These tests fail if an undici release moves or changes
 * either file: the request must still reach a server and read its answer, and the files must still
 * be the very objects undici's index exports as Pool and Dispatcher.prototype.request.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import requestThrough from 'undici/lib/api/api-request.js';
import Pool from 'undici/lib/dispatcher/pool.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestPool } from '../../../src/victorops/undici-pool.js';

let server: Server;
let origin: string;
const seen: { method: string | undefined; url: string | undefined; key: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    seen.push({ method: req.method, url: req.url, key: req.headers['x-vo-api-key'] as string | undefined });
    if (req.url === '/slow') return; // never answers: for the abort test
    res.writeHead(req.url === '/missing' ? 404 : 200, {
      'content-type': 'application/json',
      'x-answer': 'yes',
    });
    res.end(JSON.stringify({ path: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('the pool loaded without undici’s index', () => {
  it('sends a GET with its headers and reads the status, headers and body of the answer', async () => {
    const pool = createRequestPool(origin, { connections: 2, keepAliveTimeout: 1_000 });
    try {
      const ok = await pool.request({
        method: 'GET',
        path: '/api-public/v1/user?x=1',
        headers: { 'X-VO-Api-Key': 'k' },
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['x-answer']).toBe('yes');
      expect(JSON.parse(await ok.body.text())).toEqual({ path: '/api-public/v1/user?x=1' });
      const missing = await pool.request({ method: 'GET', path: '/missing' });
      expect(missing.statusCode).toBe(404);
      await missing.body.dump();
      expect(seen.slice(-2)).toEqual([
        { method: 'GET', url: '/api-public/v1/user?x=1', key: 'k' },
        { method: 'GET', url: '/missing', key: undefined },
      ]);
    } finally {
      await pool.close();
    }
  });

  it('rejects when its signal aborts', async () => {
    const pool = createRequestPool(origin, { connections: 1 });
    try {
      const controller = new AbortController();
      const pending = pool.request({ method: 'GET', path: '/slow', signal: controller.signal });
      setTimeout(() => controller.abort(new Error('stopped here')), 20);
      await expect(pending).rejects.toThrow('stopped here');
    } finally {
      await pool.close();
    }
  });

  it('the two files are what undici’s index exports as Pool and as Dispatcher.prototype.request', async () => {
    const undici = await import('undici');
    expect(Pool).toBe(undici.Pool);
    expect(requestThrough).toBe(undici.Dispatcher.prototype.request);
  });
});

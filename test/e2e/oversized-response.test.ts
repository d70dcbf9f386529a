/**
 * One huge VictorOps answer must not kill the process. The built CLI runs `poll` under a 256 MB
 * heap cap (--max-old-space-size=256, the Docker image's setting until issue 21) against a local
 * server whose `/v1/user` streams far more than any real org. Needs `npm run build`.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { cliEnv, runCli, tempDatabase } from '../helpers/cli.js';

const MiB = 1024 * 1024;
let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
  server = undefined;
});

/** A user in the shape of the reference fixture v1-user.json (every field it has), about 330 bytes. */
function userJson(i: number): string {
  return JSON.stringify({
    firstName: `First${i}`,
    lastName: `Last${i}`,
    displayName: `First${i} Last${i}`,
    username: `user${i}`,
    email: `user${i}@example.com`,
    createdAt: '2019-04-02T17:31:43Z',
    passwordLastUpdated: '2021-08-11T09:02:11Z',
    verified: true,
    _selfUrl: `/api-public/v1/user/user${i}`,
  });
}

/**
 * Streams a valid `/v1/user` body of `totalBytes`, honouring backpressure, and stops when the
 * client goes away. Resolves with the bytes the server managed to write.
 */
function streamUsers(res: ServerResponse, totalBytes: number): Promise<number> {
  const chunk = Buffer.from(`${Array.from({ length: 3000 }, (_, i) => userJson(i)).join(',')},`);
  const head = '{"_selfUrl":"/api-public/v1/user","users":[[';
  const tail = `${userJson(-1)}]]}`;
  return new Promise((resolve) => {
    let written = 0;
    let closed = false;
    res.on('close', () => {
      closed = true;
      resolve(written);
    });
    res.write(head);
    written += head.length;
    const pump = () => {
      while (!closed && written + chunk.length + tail.length < totalBytes) {
        written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!closed) res.end(tail);
    };
    pump();
  });
}

async function startUpstream(opts: { declareLength: boolean; totalBytes: number }) {
  let written: Promise<number> = Promise.resolve(0);
  server = createServer((req, res) => {
    if (req.url?.endsWith('/v1/team')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('[]');
    }
    if (req.url?.endsWith('/v1/user')) {
      res.writeHead(200, {
        'content-type': 'application/json',
        ...(opts.declareLength ? { 'content-length': String(opts.totalBytes) } : {}),
      });
      written = streamUsers(res, opts.totalBytes);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api-public`;
  return { url, written: () => written };
}

async function pollUnderImageHeap(url: string) {
  const database = tempDatabase();
  const result = await runCli(
    ['poll', '--no-deliver'],
    cliEnv({
      NODE_OPTIONS: '--max-old-space-size=256',
      VO_API_ID: 'id',
      VO_API_KEY: 'key',
      VO_BASE_URL: url,
      VO_MAX_RPS: '100',
      DATABASE_PATH: database,
    }),
    { timeoutMs: 120_000 },
  );
  const conn = new Database(database, { readonly: true });
  const runs = conn.prepare('SELECT status, error FROM runs').all() as { status: string; error: string }[];
  conn.close();
  return { result, runs };
}

describe('an oversized VictorOps response', () => {
  it('streamed without content-length (250 MB, under the old 256 MiB cap): counted, cut off, a failed run; the process lives', async () => {
    const upstream = await startUpstream({ declareLength: false, totalBytes: 250 * 1_000_000 });
    const { result, runs } = await pollUnderImageHeap(upstream.url);
    // Exit 1 with a sentence, not a V8 out-of-memory abort (SIGABRT / 134).
    expect(result.signal, result.stderr.slice(-2000)).toBeNull();
    expect(result.code, result.stderr.slice(-2000)).toBe(1);
    expect(result.stderr).not.toMatch(/heap out of memory/i);
    expect(runs).toHaveLength(1);
    expect(runs[0]?.status).toBe('failed');
    expect(runs[0]?.error).toMatch(/^GET \/v1\/user: response refused, more than 33554432 bytes/);
    expect(runs[0]?.error).toMatch(/the next poll asks again/);
    expect(await upstream.written()).toBeLessThan(250 * 1_000_000);
  }, 150_000);

  it('declared by content-length (300 MB): refused before the body is read', async () => {
    const upstream = await startUpstream({ declareLength: true, totalBytes: 300 * 1_000_000 });
    const { result, runs } = await pollUnderImageHeap(upstream.url);
    expect(result.signal, result.stderr.slice(-2000)).toBeNull();
    expect(result.code, result.stderr.slice(-2000)).toBe(1);
    expect(runs[0]?.error).toMatch(/^GET \/v1\/user: response refused, 300000000 bytes \(declared\)/);
    // Dropped at the headers: far less than the cap was ever sent (only what socket buffers took).
    expect(await upstream.written()).toBeLessThan(32 * MiB);
  }, 150_000);
});

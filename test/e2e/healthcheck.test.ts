/**
 * The image's HEALTHCHECK runs `node dist/service/healthcheck.js` with the container's
 * environment: it must probe the address the service was told to bind (HTTP_HOST), not always
 * 127.0.0.1. 127.0.0.2 is a loopback address on Linux that 127.0.0.1 does not answer for, so a
 * probe of the wrong address fails. Needs `npm run build`.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const PROBE = resolve('dist/service/healthcheck.js');
let server: Server | undefined;
afterEach(async () => {
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
  server = undefined;
});

async function serveHealth(host: string): Promise<number> {
  server = createServer((req, res) => {
    res.writeHead(req.url === '/healthz' ? 200 : 404).end();
  });
  await new Promise<void>((done) => server!.listen(0, host, done));
  return (server.address() as AddressInfo).port;
}

function probe(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [PROBE], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => done({ code, stderr }));
  });
}

describe('the container health probe', () => {
  it('probes HTTP_HOST:HTTP_PORT when the service binds one address', async () => {
    const port = await serveHealth('127.0.0.2');
    const ok = await probe({ HTTP_HOST: '127.0.0.2', HTTP_PORT: String(port) });
    expect(ok, ok.stderr).toMatchObject({ code: 0 });
  });

  it('probes loopback when the service binds the wildcard address, and fails when nothing answers', async () => {
    const port = await serveHealth('0.0.0.0');
    expect(await probe({ HTTP_HOST: '0.0.0.0', HTTP_PORT: String(port) })).toMatchObject({ code: 0 });
    server?.close();
    const failed = await probe({ HTTP_HOST: '0.0.0.0', HTTP_PORT: String(port) });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^healthcheck: http:\/\/127\.0\.0\.1:\d+\/healthz: /);
  });
});

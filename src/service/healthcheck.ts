/**
 * Container health probe: `node dist/service/healthcheck.js [url]`.
 * GETs http://${HTTP_HOST}:${HTTP_PORT}/healthz (or the URL given as the first argument) with a 3 s
 * timeout and exits 0 on HTTP 200, 1 otherwise. It reads the same HTTP_HOST and HTTP_PORT as the
 * service (defaults 127.0.0.1 and 8080, as in config/service.ts), so a service bound to one address is
 * probed there; a wildcard bind (0.0.0.0, ::) is probed on loopback, where it also listens.
 * Uses node:http only, so the image needs no curl or shell, and imports nothing else from the app
 * but the process-env reader (no runtime imports), so it starts fast and cannot fail on configuration.
 */
import { request } from 'node:http';
import { readProcessEnv } from '../config/process-env.js';

const TIMEOUT_MS = 3_000;

/** The address to probe for a bind address: wildcards mean "every interface", loopback included. */
function probeHost(bindHost: string | undefined): string {
  const host = bindHost?.trim() || '127.0.0.1';
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  // An IPv6 literal needs brackets in a URL.
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function targetUrl(): URL {
  const arg = process.argv[2];
  if (arg !== undefined && arg !== '') return new URL(arg);
  const env = readProcessEnv();
  const port = env.HTTP_PORT?.trim() || '8080';
  return new URL(`http://${probeHost(env.HTTP_HOST)}:${port}/healthz`);
}

function done(code: 0 | 1, reason?: string): never {
  if (reason !== undefined) process.stderr.write(`healthcheck: ${reason}\n`);
  process.exit(code);
}

let url: URL;
try {
  url = targetUrl();
} catch (error) {
  done(1, `bad URL: ${(error as Error).message}`);
}

// A hard deadline as well as the socket timeout, so a slow response body cannot hold the probe open.
setTimeout(() => done(1, `no answer from ${url.href} within ${TIMEOUT_MS} ms`), TIMEOUT_MS).unref();

const req = request(url, { method: 'GET', timeout: TIMEOUT_MS, headers: { connection: 'close' } }, (res) => {
  res.resume();
  if (res.statusCode === 200) done(0);
  done(1, `${url.href} answered ${res.statusCode}`);
});
req.on('timeout', () => req.destroy(new Error(`timed out after ${TIMEOUT_MS} ms`)));
req.on('error', (error) => done(1, `${url.href}: ${error.message}`));
req.end();

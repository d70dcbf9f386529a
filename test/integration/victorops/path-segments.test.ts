/**
 * A username of `.` or `..` must reach VictorOps as a name, not as a dot segment that a
 * normalising proxy resolves to another endpoint. Checked at a real HTTP server: the path it
 * receives is the path any proxy in between would see.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.js';
import { createVictorOpsClient } from '../../../src/victorops/client.js';
import { fetchUserTeams } from '../../../src/victorops/fetch-user-teams.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
  server = undefined;
});

describe('dot-segment usernames', () => {
  it('sends `.` and `..` percent-encoded, so no proxy can turn them into another endpoint', async () => {
    const seen: string[] = [];
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ teams: [] }));
    });
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
    const client = createVictorOpsClient({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api-public`,
      apiId: 'id',
      apiKey: 'key',
      maxRps: 100,
      concurrency: 1,
      timeoutMs: 5_000,
      maxRetries: 0,
      clock: systemClock,
    });
    try {
      await fetchUserTeams(client, '..', new AbortController().signal);
      await fetchUserTeams(client, '.', new AbortController().signal);
    } finally {
      await client.close();
    }
    expect(seen).toEqual(['/api-public/v1/user/%2E%2E/teams', '/api-public/v1/user/%2E/teams']);
  });
});

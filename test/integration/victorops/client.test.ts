import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.js';
import { VictorOpsError } from '../../../src/errors.js';
import { normaliseUsers } from '../../../src/roster/normalise.js';
import { createListBodies } from '../../../src/simulator/api-responses.js';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';
import { createVictorOpsClient, type VictorOpsClient } from '../../../src/victorops/client.js';
import { fetchRoster } from '../../../src/victorops/fetch-roster.js';
import { createLocalSlots, createRateBudget } from '../../../src/victorops/rate-budget.js';
import { describeSchemaIssue, teamListSchema, userListSchema } from '../../../src/victorops/schemas.js';
import { teamMembersReader } from '../../../src/victorops/team-members-reader.js';
import { readUserListFast, streamUserList, userListReader } from '../../../src/victorops/user-list-reader.js';
import { clientFor, fetchFrom, SIM_KEY, withServedClient } from '../../helpers/client.js';
import { createFakeClock, type FakeClock } from '../../helpers/fake-clock.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function caught(promise: Promise<unknown>): Promise<VictorOpsError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof VictorOpsError) return error;
    throw error;
  }
  throw new Error('expected a VictorOpsError');
}

/** A by-team fetch on a fake clock the simulator shares, moved on only while no request is on its way. */
function fetchOnClock(server: Simulator, client: VictorOpsClient, clock: FakeClock) {
  const fetch = fetchRoster({ client, clock, source: 'team', concurrency: 4, deadlineMs: 30_000 });
  return clock.runUntilSettled(fetch, () => server.stats.entries().length === client.stats().requests);
}

describe('fetchRoster against the simulator', () => {
  it('gives identical rosters by user and by team for a 500-user org', async () => {
    sim = await startSimulator({ users: 500, teams: 40, seed: 3 });
    const client = clientFor(sim, { maxRps: 1000, concurrency: 8 });
    const byUser = await fetchFrom(client, 'user');
    const byTeam = await fetchFrom(client, 'team');
    await client.close();
    expect(byUser.roster.users).toHaveLength(500);
    expect(byUser.roster.teams).toHaveLength(40);
    expect(byUser.roster).toEqual(byTeam.roster);
    expect(byUser.stats.requests).toBe(2 + 500);
    expect(byTeam.stats.requests).toBe(2 + 40);
    // users in no team and teams with no members survive both strategies
    const inTeam = new Set(byTeam.roster.memberships.map((m) => m.username));
    expect(byTeam.roster.users.some((u) => !inTeam.has(u.username))).toBe(true);
    const staffed = new Set(byTeam.roster.memberships.map((m) => m.teamSlug));
    expect(byTeam.roster.teams.some((t) => !staffed.has(t.slug))).toBe(true);
    // names with non-ASCII letters and usernames with . + @ made the round trip
    expect(byTeam.roster.users.some((u) => /[^ -~]/.test(`${u.firstName}${u.lastName}`))).toBe(true);
    expect(byTeam.roster.users.some((u) => /[.+@]/.test(u.username))).toBe(true);
    // auto picks the cheaper strategy
    const auto = await fetchFrom(clientFor(sim, { maxRps: 1000 }), 'auto');
    expect(auto.strategy).toBe('team');
    expect(auto.roster).toEqual(byTeam.roster);
  });

  it('only ever sends GET requests', async () => {
    sim = await startSimulator({ users: 30, teams: 5 });
    await fetchFrom(clientFor(sim), 'user');
    await fetchFrom(clientFor(sim), 'team');
    expect(Object.keys(sim.stats.byMethod())).toEqual(['GET']);
  });

  // Counted on one fake clock shared by client and server: in real time, a loaded machine
  // bunches requests on their way to the server and the count measured the machine, not the client.
  it('never exceeds VO_MAX_RPS in any one-second window, counted at the server', async () => {
    const clock = createFakeClock();
    sim = await startSimulator({ users: 40, teams: 12, monotonicMs: () => clock.monotonicMs() });
    const client = clientFor(sim, { maxRps: 10, concurrency: 4, clock });
    const fetched = await fetchOnClock(sim, client, clock);
    expect(fetched.stats.requests).toBe(14);
    expect(sim.stats.maxInAnyWindow(1000)).toBe(10);
  });

  it.each([
    ['http500', '/v1/user'],
    ['http503', '/v1/team'],
    ['malformed', '/v1/user'],
    ['html502', '/v1/user'],
    ['empty200', '/v1/team'],
    ['http429', '/members'],
    ['http403', '/v1/user'],
  ] as const)('recovers from %s on %s with a correct roster', async (kind, match) => {
    sim = await startSimulator({ users: 30, teams: 5 });
    const expected = await fetchFrom(clientFor(sim), 'team');
    sim.faults.inject({ match, kind, times: 2 });
    const fetched = await fetchFrom(clientFor(sim), 'team');
    expect(fetched.roster).toEqual(expected.roster);
    expect(fetched.failedScopes).toEqual([]);
    expect(fetched.stats.retries).toBe(2);
  });

  it("the simulator's user list takes the fast path, with exactly what zod and the normaliser give", async () => {
    sim = await startSimulator({ users: 2000, teams: 20, seed: 11 });
    const body = JSON.parse(createListBodies(sim.org).usersV1()) as unknown;
    const fast = readUserListFast(body);
    expect(fast?.users).toHaveLength(2000);
    expect(fast).toStrictEqual(normaliseUsers(userListSchema.parse(body)));
  });

  /** GETs `/v1/user` from a server that answers 200 with `pieces` written one by one. */
  function getServed<T>(
    pieces: readonly Buffer[],
    schema: Parameters<VictorOpsClient['get']>[1],
    contentType = 'application/json',
  ): Promise<T> {
    return withServedClient(
      async (_req, res) => {
        res.writeHead(200, { 'content-type': contentType });
        for (const piece of pieces) await new Promise<void>((r) => res.write(piece, () => r()));
        res.end();
      },
      async (client) => (await client.get('/v1/user', schema)) as T,
    );
  }

  /** `bytes` cut every `size` bytes. */
  const piecesOf = (bytes: Buffer, size: number) =>
    Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) =>
      bytes.subarray(i * size, (i + 1) * size),
    );

  it('reads the user list as it arrives: the stream sees every byte and its result is what the client returns (issue 21)', async () => {
    sim = await startSimulator({ users: 300, teams: 5, seed: 5 });
    const bytes = Buffer.from(createListBodies(sim.org).usersV1(), 'utf8');
    // 7-byte pieces: the simulator's non-ASCII names have characters split between two pieces.
    const pieces = piecesOf(bytes, 7);
    const seen: Buffer[] = [];
    const result = { users: [], byKey: new Map(), otherSpellings: [] };
    const spy = {
      ...userListReader,
      stream: () => ({ push: (chunk: Buffer) => void seen.push(Buffer.from(chunk)), end: () => result }),
    };
    expect(await getServed(pieces, spy)).toBe(result);
    expect(Buffer.concat(seen).equals(bytes)).toBe(true);
    const streamed = await getServed(pieces, userListReader);
    expect(streamed).toStrictEqual(readUserListFast(JSON.parse(bytes.toString('utf8'))));
    expect((streamed as { users: unknown[] }).users).toHaveLength(300);
  });

  it('a user list the stream gives up on is parsed whole, with the errors it always had', async () => {
    const cut = Buffer.from('{"users":[[{"username":"jane.doe"},{"usern');
    const error = await caught(getServed(piecesOf(cut, 5), userListReader));
    expect(error.code).toBe('malformed');
    expect(error.message).toBe(`GET /v1/user: response is not valid JSON: "${cut.toString('utf8')}"`);
    const wrong = Buffer.from('{"users":[[{"username":"jane.doe"}],{"username":"kai","verified":"yes"}]}');
    const shape = await caught(getServed(piecesOf(wrong, 3), userListReader));
    expect(shape.code).toBe('shape');
    expect(shape.message).toMatch(/^v1\/user: users\[1\]/);
    const empty = await caught(getServed([], userListReader));
    expect(empty.message).toBe('GET /v1/user: response is not valid JSON: an empty body');
    // Served as HTML, even a valid list is refused as before; the stream is not even started.
    const valid = Buffer.from('{"users":[{"username":"jane.doe"}]}');
    let started = false;
    const spy = {
      ...userListReader,
      stream: () => {
        started = true;
        return streamUserList();
      },
    };
    const html = await caught(getServed([valid], spy, 'text/html'));
    expect(html.message).toMatch(/^GET \/v1\/user: expected JSON, got an HTML page/);
    expect(started).toBe(false);
  });

  /** What a GET of `path` ends in when the server sends `head`'s bytes, then drops the connection. */
  function cutOff(path: string, head: string, schema: Parameters<VictorOpsClient['get']>[1]) {
    return caught(
      withServedClient(
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(head, () => res.socket?.destroy());
        },
        (client) => client.get(path, schema),
      ),
    );
  }

  it('fails a list whose connection drops after some whole entries as a network error, never as a shorter list', async () => {
    const users = await cutOff(
      '/v1/user',
      '{"users":[[{"username":"jane.doe"},{"username":"kai"}],[{"username":"soren"}]',
      userListReader,
    );
    expect(users.code).toBe('network');
    expect(users.message).toMatch(/^GET \/v1\/user failed: /);
    const members = await cutOff(
      '/v1/team/team-a/members',
      '{"members":[{"username":"jane.doe"},{"username":"kai"}',
      teamMembersReader,
    );
    expect(members.code).toBe('network');
  });

  it('refuses a streamed user list that grows past VO_MAX_RESPONSE_BYTES without declaring its size', async () => {
    const users = Array.from({ length: 40 }, (_, i) => ({ username: `user.${i}` }));
    const bytes = Buffer.from(JSON.stringify({ users: [users] }), 'utf8');
    const maxBodyBytes = 256;
    expect(bytes.length).toBeGreaterThan(maxBodyBytes);
    const error = await caught(
      withServedClient(
        async (_req, res) => {
          // Written in pieces without a content-length: only counting the bytes read can stop it.
          res.writeHead(200, { 'content-type': 'application/json' });
          for (const piece of piecesOf(bytes, 64))
            await new Promise<void>((r) => res.write(piece, () => r()));
          res.end();
        },
        (client) => client.get('/v1/user', userListReader),
        { maxBodyBytes },
      ),
    );
    expect(error.code).toBe('too_large');
    expect(error.message).toMatch(/more than 256 bytes is over VO_MAX_RESPONSE_BYTES/);
  });

  it('a user list the fast path does not recognise is parsed by zod and reported by it, field named', async () => {
    sim = await startSimulator({ users: 10, teams: 3 });
    const body = { users: [[{ username: 'jane.doe' }], { username: 'kai', verified: 'yes' }] };
    const zod = userListSchema.safeParse(body);
    sim.faults.inject({ match: '/v1/user', kind: 'malformed', body: JSON.stringify(body), times: 100 });
    const error = await caught(fetchFrom(clientFor(sim, { maxRetries: 1 }), 'team'));
    expect(error.code).toBe('shape');
    expect(zod.success).toBe(false);
    if (!zod.success) expect(error.message).toBe(`v1/user: ${describeSchemaIssue(zod.error)}`);
    expect(error.message).toMatch(/^v1\/user: users\[1\]/);
  });

  // On the shared fake clock the server's five-a-second limit is certain to bite, however slow
  // the machine; in real time a loaded one could pace the client below it.
  it('survives a 429/403 storm with Retry-After and counts the rate-limited answers', async () => {
    const clock = createFakeClock();
    sim = await startSimulator({
      users: 30,
      teams: 8,
      rateLimit: { rps: 5, status: 403, retryAfter: true },
      monotonicMs: () => clock.monotonicMs(),
    });
    const client = clientFor(sim, { maxRps: 50, maxRetries: 8, clock });
    const fetched = await fetchOnClock(sim, client, clock);
    expect(fetched.roster.users).toHaveLength(30);
    expect(fetched.stats.rateLimited).toBeGreaterThan(0);
    expect(client.budget.effectiveRps()).toBeLessThan(50);
  });

  it('times out a hanging request and retries it', async () => {
    sim = await startSimulator({ users: 10, teams: 3 });
    sim.faults.inject({ match: '/v1/team', kind: 'hang', times: 1 });
    const fetched = await fetchFrom(clientFor(sim, { timeoutMs: 300 }), 'team');
    expect(fetched.roster.users).toHaveLength(10);
    // What the client did, not how long it took: the hung request was given up (the simulator
    // logs it unanswered) and sent once more.
    expect(fetched.stats.retries).toBe(1);
    expect(
      sim.stats
        .entries()
        .filter((e) => e.path.endsWith('/v1/team'))
        .map((e) => e.status),
    ).toEqual([0, 200]);
  });

  it('reports a scope that keeps failing as failed, not as empty', async () => {
    sim = await startSimulator({ users: 20, teams: 4 });
    const team = sim.org.snapshot().teams[0]!.slug;
    sim.faults.inject({ match: `/v1/team/${team}/members`, kind: 'http500', times: 100 });
    const fetched = await fetchFrom(clientFor(sim, { maxRetries: 2 }), 'team');
    expect(fetched.failedScopes).toEqual([
      { kind: 'team-members', teamSlug: team, reason: expect.stringContaining('HTTP 500') },
    ]);
  });

  it('fails the whole fetch with a typed error when the user list cannot be read', async () => {
    sim = await startSimulator({ users: 5, teams: 2 });
    sim.faults.inject({ match: '/v1/user', kind: 'html502', times: 100 });
    const error = await caught(fetchFrom(clientFor(sim, { maxRetries: 2 }), 'team'));
    expect(error.code).toBe('http');
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/GET \/v1\/user: HTTP 502: an HTML page: "/);
  });

  it('ends at the deadline with a typed error', async () => {
    sim = await startSimulator({ users: 5, teams: 2 });
    sim.faults.inject({ match: '/v1/user', kind: 'hang', times: 100 });
    const error = await caught(fetchFrom(clientFor(sim, { timeoutMs: 5_000 }), 'team', 500));
    // A request timeout (5 s) would end in 'timeout' after retries; only the deadline says this.
    expect(error.code).toBe('deadline');
    expect(error.message).toContain('within 500 ms');
  });

  it('reports wrong credentials as an authentication problem without the key', async () => {
    sim = await startSimulator({ users: 5, teams: 2 });
    const wrongKey = 'wrong-key-9f8e7d';
    const error = await caught(clientFor(sim, { apiKey: wrongKey }).get('/v1/user', userListSchema));
    expect(error.code).toBe('auth');
    expect(error.message).toContain('check VO_API_ID and VO_API_KEY');
    const everything = JSON.stringify({
      ...error,
      message: error.message,
      stack: error.stack,
      cause: String(error.cause),
    });
    expect(everything).not.toContain(wrongKey);
    expect(everything).not.toContain(SIM_KEY);
    expect(sim.stats.count({ status: 403 })).toBe(4); // 1 try + 3 retries
  });

  it('reports a 403 as a rate limit, never as bad credentials, when the key answered 200 moments ago', async () => {
    sim = await startSimulator({ users: 5, teams: 2 });
    const client = clientFor(sim);
    await client.get('/v1/user', userListSchema);
    sim.faults.inject({ match: '/v1/team', kind: 'http403', times: 100 });
    const error = await caught(client.get('/v1/team', teamListSchema));
    expect(error.code).toBe('rate_limited');
    expect(error.message).toContain('403 while this key answered 200');
    expect(error.message).not.toContain('VO_API_KEY');
    // a key that works is given every retry, not the three a possibly wrong key gets
    expect(sim.stats.count({ path: '/api-public/v1/team', status: 403 })).toBe(6);
    await client.close();
  });

  it('counts a success another process sharing the budget saw as proof the key works', async () => {
    sim = await startSimulator({ users: 5, teams: 2 });
    const shared = createLocalSlots(); // the database row both processes share
    const budget = () =>
      createRateBudget({ maxRps: 200, pace: 1, backgroundShare: 0.25, clock: systemClock, shared });
    const daemon = clientFor(sim, { budget: budget() });
    await daemon.get('/v1/user', userListSchema);
    await daemon.get('/v1/team', teamListSchema); // reports the first success with its reservation
    sim.faults.inject({ match: '/v1/user', kind: 'http403', times: 100 });
    const oneShot = clientFor(sim, { budget: budget() });
    const error = await caught(oneShot.get('/v1/user', userListSchema));
    expect(error.code).toBe('rate_limited');
    await Promise.all([daemon.close(), oneShot.close()]);
  });

  it('does not retry a 401', async () => {
    sim = await startSimulator({ users: 5, teams: 2 });
    const error = await caught(clientFor(sim, { apiId: '' }).get('/v1/user', userListSchema));
    expect(error.code).toBe('auth');
    expect(sim.stats.count()).toBe(1);
  });

  /** The error of one GET against a server answering 400 with `echo(the key it was sent)`. */
  async function echoedKeyError(apiKey: string, echo: (sent: string) => string): Promise<VictorOpsError> {
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(echo(String(req.headers['x-vo-api-key'])));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const client = createVictorOpsClient({
      baseUrl: `http://127.0.0.1:${port}/api-public`,
      apiId: 'id',
      apiKey,
      maxRps: 100,
      concurrency: 1,
      timeoutMs: 1_000,
      maxRetries: 0,
      clock: systemClock,
    });
    const error = await caught(client.get('/v1/user', userListSchema));
    await client.close();
    server.close();
    return error;
  }

  it('cuts the key out however a server encodes its echo: any case, percent-encoded, JSON-escaped, base64 (issue 20)', async () => {
    const key = 'Echoed/Secret+Key-0042';
    const error = await echoedKeyError(key, (sent) =>
      [
        sent.toUpperCase(),
        sent.toLowerCase(),
        encodeURIComponent(sent),
        JSON.stringify(sent).replace(/\//g, '\\/'),
        Buffer.from(`key:${sent}`).toString('base64'),
      ].join(' | '),
    );
    expect(error.message.match(/\[redacted\]/g)).toHaveLength(5);
    expect(error.message.toLowerCase()).not.toContain('secret');
  });

  it('cuts the key out of response excerpts, even when a server echoes it back', async () => {
    const error = await echoedKeyError('echoed-secret-42', (sent) => `Bad request; key=${sent}`);
    expect(error.message).toContain('key=[redacted]');
    expect(error.message).not.toContain('echoed-secret-42');
  });
});

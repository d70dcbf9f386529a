/**
 * Each request's own signal (createRequestSignals in client.ts): its timeout runs from the send to
 * the last byte of the answer, the caller's signal aborts every request of it in flight, and the
 * caller's signal gets one listener however many are (issue 21, thirty-third part: one per request
 * instead of AbortSignal.any over AbortSignal.timeout).
 */
import { getEventListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { systemClock } from '../../../src/clock.js';
import { VictorOpsError } from '../../../src/errors.js';
import { createRequestSignals, createVictorOpsClient } from '../../../src/victorops/client.js';
import { withServedClient } from '../../helpers/client.js';

const servers: Server[] = [];
const answers: ServerResponse[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const timer of timers.splice(0)) clearInterval(timer);
  for (const answer of answers.splice(0)) answer.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A server that answers 200 and then one byte every 50 ms, never ending; `asked`: requests so far. */
async function serve(mode: 'trickle' | 'hang'): Promise<{ url: string; asked: () => number }> {
  let asked = 0;
  const server = createServer((_req, res) => {
    asked++;
    answers.push(res);
    if (mode === 'hang') return;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('[');
    timers.push(setInterval(() => res.write(' '), 50));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api-public`, asked: () => asked };
}

function clientOf(url: string, timeoutMs: number) {
  return createVictorOpsClient({
    baseUrl: url,
    apiId: 'id',
    apiKey: 'key-7c1d9e',
    maxRps: 100,
    concurrency: 4,
    timeoutMs,
    maxRetries: 0,
    clock: systemClock,
  });
}

/** The VictorOpsError `promise` is rejected with (anything else fails the test). */
async function rejection(promise: Promise<unknown>): Promise<VictorOpsError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VictorOpsError);
  return error as VictorOpsError;
}

describe("a request's own signal", () => {
  it('times out an answer that keeps coming slower than its timeout allows, counted from the send', {
    // A request whose timeout does not end it would hang: fail well before vitest's own limit.
    timeout: 3_000,
  }, async () => {
    // Every byte comes well inside undici's idle timeouts: only the request's own timeout ends it.
    const server = await serve('trickle');
    const client = clientOf(server.url, 400);
    try {
      const error = await rejection(client.get('/v1/user', z.unknown()));
      expect(error.code).toBe('timeout');
      expect(error.message).toBe('GET /v1/user timed out after 400 ms');
    } finally {
      await client.close();
    }
  });

  it('leaves no timer running and one listener on the caller, whatever the answer and its retries', {
    timeout: 10_000,
  }, async () => {
    // Answers of each kind from one server, switched between the requests.
    let answer: 'ok' | 'failed' | 'broken' | 'hang' = 'ok';
    const handler = (_req: IncomingMessage, res: ServerResponse) => {
      answers.push(res);
      if (answer === 'ok') res.end('[]');
      else if (answer === 'failed') res.writeHead(500).end('down');
      else if (answer === 'broken') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('[1,');
        setImmediate(() => res.destroy());
      }
    };
    // An odd timeout tells the client's timers from undici's and the test's.
    const timeoutMs = 307;
    const caller = new AbortController();
    const running = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const set = vi.spyOn(globalThis, 'setTimeout');
    const clear = vi.spyOn(globalThis, 'clearTimeout');
    try {
      await withServedClient(
        handler,
        async (client) => {
          const before = running();
          const outcomes: string[] = [];
          for (const kind of ['ok', 'failed', 'broken', 'hang', 'ok', 'failed', 'broken', 'ok'] as const) {
            answer = kind;
            outcomes.push(
              await client.get('/v1/user', z.unknown(), caller.signal).then(
                () => 'ok',
                (e: VictorOpsError) => e.code,
              ),
            );
          }
          expect(outcomes).toEqual(['ok', 'http', 'network', 'timeout', 'ok', 'http', 'network', 'ok']);
          const timers = set.mock.calls.flatMap((call, i) =>
            call[1] === timeoutMs ? [set.mock.results[i]!.value as NodeJS.Timeout] : [],
          );
          // One timer a request sent (the failed, broken and hung ones twice: retried once).
          expect(timers).toHaveLength(client.stats().requests);
          expect(client.stats().requests).toBe(13);
          expect(timers.every((t) => clear.mock.calls.some(([cleared]) => cleared === t))).toBe(true);
          // Neither would keep a process alive that had nothing else to do.
          expect(timers.some((t) => t.hasRef())).toBe(false);
          expect(running()).toBeLessThanOrEqual(before);
          expect(getEventListeners(caller.signal, 'abort').length).toBeLessThanOrEqual(1);
        },
        { timeoutMs, maxRetries: 1, backoffBaseMs: 1, backoffCapMs: 1, maxRps: 1_000, concurrency: 4 },
      );
    } finally {
      set.mockRestore();
      clear.mockRestore();
    }
  });

  it("ends every request in flight when the caller's signal aborts, as cancelled, not timed out", async () => {
    const server = await serve('hang');
    const client = clientOf(server.url, 60_000);
    const caller = new AbortController();
    try {
      const both = [
        rejection(client.get('/v1/user', z.unknown(), caller.signal)),
        rejection(client.get('/v1/team', z.unknown(), caller.signal)),
      ];
      while (server.asked() < 2) await new Promise((r) => setTimeout(r, 10));
      caller.abort();
      const errors = await Promise.all(both);
      expect(errors.map((e) => e.code)).toEqual(['aborted', 'aborted']);
    } finally {
      await client.close();
    }
  });

  it("keeps the caller's signal to a few listeners while twenty requests wait for four connections", async () => {
    const server = await serve('hang');
    const client = clientOf(server.url, 60_000);
    const caller = new AbortController();
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const all = Array.from({ length: 20 }, () => client.get('/v1/user', z.unknown(), caller.signal));
      while (server.asked() < 4) await new Promise((r) => setTimeout(r, 10));
      // Four in flight (one listener for them), sixteen waiting for a connection (one for them).
      // Each waiting request listened itself before: 17, and Node warned of a leak past 10.
      expect(getEventListeners(caller.signal, 'abort').length).toBeLessThanOrEqual(3);
      caller.abort();
      // Those in flight as cancelled (VictorOpsError), those waiting with the signal's reason, as before.
      expect((await Promise.allSettled(all)).map((o) => o.status)).toEqual(Array(20).fill('rejected'));
      await new Promise((r) => setImmediate(r));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      // A failed expectation above must not leave twenty requests hanging until vitest's timeout.
      caller.abort();
      process.off('warning', onWarning);
      await client.close();
    }
  });

  it("leaves no listener on the caller's signal once more requests than connections have been answered", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[]');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = clientOf(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api-public`, 5_000);
    const caller = new AbortController();
    try {
      // Twelve on four connections: eight wait for one, and each stops following the signal when granted.
      await Promise.all(Array.from({ length: 12 }, () => client.get('/v1/user', z.unknown(), caller.signal)));
      expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    } finally {
      await client.close();
    }
  });

  it("gives the caller's signal one listener however many requests are open, and a closed request none", () => {
    const signals = createRequestSignals();
    const caller = new AbortController();
    const open = Array.from({ length: 20 }, () => signals.open(caller.signal, 60_000));
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(1);
    const closed = open[0]!;
    closed.close();
    caller.abort(new Error('stop'));
    expect(closed.signal.aborted).toBe(false);
    expect(open.slice(1).every((r) => r.signal.aborted && r.signal.reason.message === 'stop')).toBe(true);
    expect(open.some((r) => r.timedOut())).toBe(false);
    for (const r of open) r.close();
    // Opened on a caller already aborted: aborted at once, with the caller's reason.
    const late = signals.open(caller.signal, 60_000);
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason.message).toBe('stop');
  });

  it('times out on its own timer, with the reason AbortSignal.timeout gives', async () => {
    const signals = createRequestSignals();
    const request = signals.open(new AbortController().signal, 20);
    await new Promise((r) => setTimeout(r, 60));
    expect(request.timedOut()).toBe(true);
    expect(request.signal.reason).toBeInstanceOf(DOMException);
    expect(request.signal.reason.name).toBe('TimeoutError');
    const cleared = signals.open(new AbortController().signal, 20);
    cleared.close();
    await new Promise((r) => setTimeout(r, 60));
    expect(cleared.signal.aborted).toBe(false);
  });
});

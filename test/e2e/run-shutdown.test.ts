/**
 * `roster-watch run` as an operator runs it: the built CLI as a child process against the
 * simulator, stopped with signals the way Docker and Kubernetes stop it. Needs `npm run build`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { aWebhookSecret } from '../helpers/delivery-fixtures.js';
import { waitFor } from '../helpers/wait-for.js';

const CLI = resolve('dist/cli.js');

interface Running {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
}

let sim: Simulator;
let dir: string;
let databasePath: string;
let running: Running | undefined;
let receiver: Server | undefined;

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first');
});
beforeEach(async () => {
  sim = await startSimulator({ users: 20, teams: 4 });
  dir = mkdtempSync(join(tmpdir(), 'rw-run-'));
  databasePath = join(dir, 'roster-watch.db');
});
afterEach(async () => {
  if (running && running.child.exitCode === null && running.child.signalCode === null)
    running.child.kill('SIGKILL');
  await running?.exited;
  running = undefined;
  receiver?.closeAllConnections();
  await new Promise((done) => (receiver ? receiver.close(done) : done(undefined)));
  receiver = undefined;
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

function startRun(extraEnv: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [CLI, 'run'], {
    env: {
      PATH: process.env.PATH ?? '',
      VO_API_ID: 'sim-api-id',
      VO_API_KEY: 'sim-api-key',
      VO_BASE_URL: sim.url,
      VO_MAX_RPS: '200',
      DATABASE_PATH: databasePath,
      // Only the start-up poll runs during a test.
      POLL_SCHEDULE: '0 0 1 1 *',
      // These tests are about the roster poll's shutdown; a start-up policy poll would add a run.
      POLICY_SCHEDULE: 'off',
      HTTP_PORT: '0',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout?.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal, atMs: Date.now() })),
  );
  running = { child, stderr: () => stderr, exited };
  return running;
}

function readDatabase<T>(read: (db: Database.Database) => T): T {
  const db = new Database(databasePath, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const count = (db: Database.Database, sql: string): number => (db.prepare(sql).get() as { n: number }).n;

describe('roster-watch run', () => {
  it('exits 0 within 10 s on SIGTERM in the middle of a poll, and records no partial run', async () => {
    sim.setLatency(2_000);
    const run = startRun();
    await waitFor('the start-up poll to reach the API', () => sim.stats.count() > 0);
    const sentMs = Date.now();
    run.child.kill('SIGTERM');
    const exit = await run.exited;
    expect(exit, run.stderr()).toMatchObject({ code: 0, signal: null });
    expect(exit.atMs - sentMs).toBeLessThan(10_000);
    expect(run.stderr()).toMatch(/cancelled before it was recorded/);
    expect(run.stderr()).toMatch(/stopped cleanly/);

    readDatabase((db) => {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(count(db, 'SELECT COUNT(*) AS n FROM runs')).toBe(0);
      expect(count(db, 'SELECT COUNT(*) AS n FROM users')).toBe(0);
      expect(count(db, 'SELECT COUNT(*) AS n FROM events')).toBe(0);
      expect(count(db, 'SELECT COUNT(*) AS n FROM deliveries')).toBe(0);
    });
  });

  it('commits the first baseline poll fully when it is not interrupted, then stops cleanly', async () => {
    const run = startRun();
    await waitFor('the baseline poll', () => /"msg":"poll finished"/.test(run.stderr()));
    run.child.kill('SIGINT');
    const exit = await run.exited;
    expect(exit, run.stderr()).toMatchObject({ code: 0, signal: null });
    readDatabase((db) => {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare('SELECT status FROM runs').all()).toEqual([{ status: 'baseline' }]);
      expect(count(db, 'SELECT COUNT(*) AS n FROM users WHERE valid_to IS NULL')).toBe(20);
      expect(count(db, 'SELECT COUNT(*) AS n FROM teams WHERE valid_to IS NULL')).toBe(4);
      expect(db.prepare('SELECT type FROM events').all()).toEqual([{ type: 'rosterwatch.baseline' }]);
    });
  });

  it('exits at once with 130 on a second signal while the graceful stop waits for a delivery', async () => {
    // A webhook endpoint that never answers, so the graceful stop has to wait for it.
    receiver = createServer((req) => req.resume());
    await new Promise<void>((done) => receiver!.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    let arrived = 0;
    receiver.on('request', () => {
      arrived += 1;
    });
    const run = startRun({
      WEBHOOK_URLS: url,
      WEBHOOK_SECRET: aWebhookSecret(),
      WEBHOOK_TIMEOUT_MS: '60000',
    });
    await waitFor('the baseline delivery to hang', () => arrived > 0);
    run.child.kill('SIGTERM');
    await waitFor('the graceful stop to begin', () => /"msg":"stopping/.test(run.stderr()));
    const sentMs = Date.now();
    run.child.kill('SIGTERM');
    const exit = await run.exited;
    expect(exit, run.stderr()).toMatchObject({ code: 130, signal: null });
    expect(exit.atMs - sentMs).toBeLessThan(5_000);
    readDatabase((db) => {
      expect(db.prepare('SELECT status FROM runs').all()).toEqual([{ status: 'baseline' }]);
    });
  });

  it('forces the stop after SHUTDOWN_TIMEOUT_MS and exits 1 (not a clean stop) with the run committed', async () => {
    receiver = createServer((req) => req.resume());
    await new Promise<void>((done) => receiver!.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    let arrived = 0;
    receiver.on('request', () => {
      arrived += 1;
    });
    const run = startRun({
      WEBHOOK_URLS: url,
      WEBHOOK_SECRET: aWebhookSecret(),
      WEBHOOK_TIMEOUT_MS: '60000',
      SHUTDOWN_TIMEOUT_MS: '1000',
    });
    await waitFor('the baseline delivery to hang', () => arrived > 0);
    run.child.kill('SIGTERM');
    const exit = await run.exited;
    expect(exit, run.stderr()).toMatchObject({ code: 1, signal: null });
    expect(run.stderr()).toMatch(/shutdown timed out/);
    readDatabase((db) => {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare('SELECT status FROM runs').all()).toEqual([{ status: 'baseline' }]);
      // Never answered, so never marked delivered: it is sent again after a restart.
      expect(db.prepare('SELECT status FROM deliveries').all()).toEqual([{ status: 'pending' }]);
    });
  });

  it('exits 1 with a fatal log line when its database file is deleted under it', async () => {
    const run = startRun({ POLL_SCHEDULE: '*/1 * * * * *' });
    await waitFor('the baseline poll', () => run.stderr().includes('"msg":"poll finished"'));
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${databasePath}${suffix}`, { force: true });
    const exit = await run.exited;
    expect(exit, run.stderr()).toMatchObject({ code: 1, signal: null });
    expect(run.stderr()).toMatch(/"level":60.*is gone \(ENOENT\)/);
  });
});

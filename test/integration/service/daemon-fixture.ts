/**
 * A daemon against the simulator with a temp database and a clock the test can move forward
 * (real sleeps, shifted `now`), so "the last success is too old" needs no waiting.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createApp } from '../../../src/app.js';
import { type Clock, systemClock } from '../../../src/clock.js';
import { type Config, loadConfig } from '../../../src/config/load-config.js';
import { createSilentLogger, type Logger } from '../../../src/logger.js';
import { type Daemon, startDaemon } from '../../../src/service/daemon.js';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';

export interface DaemonFixture {
  sim: Simulator;
  daemon: Daemon;
  config: Config;
  databasePath: string;
  /** Moves the daemon's clock forward: wall and monotonic time alike (time passing). */
  advance(ms: number): void;
  /** Steps only the wall clock (an NTP correction or a bad RTC), by `ms` (negative: back). */
  stepWallClock(ms: number): void;
  get(path: string): Promise<{ status: number; contentType: string | null; text: string }>;
  getJson(path: string): Promise<{ status: number; body: Record<string, unknown> }>;
  runs(): { id: number; status: string }[];
  /** Polls `probe` every 50 ms until it is true; fails after `timeoutMs` (generous on purpose). */
  waitFor(what: string, probe: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  cleanup(): Promise<void>;
}

export interface FixtureOptions {
  env?: Record<string, string>;
  latencyMs?: number;
  /** Runs before the daemon starts (e.g. to set up a webhook receiver the config points at). */
  sim?: Simulator;
  /** Default: silent. */
  logger?: Logger;
}

export async function startDaemonFixture(options: FixtureOptions = {}): Promise<DaemonFixture> {
  const sim = options.sim ?? (await startSimulator({ users: 20, teams: 4 }));
  if (options.latencyMs !== undefined) sim.setLatency(options.latencyMs);
  const dir = mkdtempSync(join(tmpdir(), 'rw-service-'));
  const databasePath = join(dir, 'roster-watch.db');
  const config = loadConfig(
    {
      VO_API_ID: 'sim-api-id',
      VO_API_KEY: 'sim-api-key',
      VO_BASE_URL: sim.url,
      VO_MAX_RPS: '200',
      DATABASE_PATH: databasePath,
      POLL_SCHEDULE: '*/1 * * * * *',
      HTTP_PORT: '0',
      ...options.env,
    },
    { requireVictorOps: true },
  );
  let offsetMs = 0;
  let wallOnlyMs = 0;
  const clock: Clock = {
    now: () => Date.now() + offsetMs + wallOnlyMs,
    monotonicMs: () => performance.now() + offsetMs,
    sleep: systemClock.sleep,
  };
  const logger = options.logger ?? createSilentLogger();
  const daemon = await startDaemon({
    config,
    logger,
    clock,
    parts: createApp({ config, logger, clock }).daemonParts(),
  });
  const base = `http://127.0.0.1:${daemon.port}`;

  const get: DaemonFixture['get'] = async (path) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
  };
  return {
    sim,
    daemon,
    config,
    databasePath,
    advance: (ms) => {
      offsetMs += ms;
    },
    stepWallClock: (ms) => {
      wallOnlyMs += ms;
    },
    get,
    async getJson(path) {
      const res = await get(path);
      return { status: res.status, body: JSON.parse(res.text) as Record<string, unknown> };
    },
    runs() {
      const conn = new Database(databasePath, { readonly: true });
      try {
        return conn.prepare('SELECT id, status FROM runs ORDER BY id').all() as {
          id: number;
          status: string;
        }[];
      } finally {
        conn.close();
      }
    },
    async waitFor(what, probe, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await probe())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await systemClock.sleep(50);
      }
    },
    async cleanup() {
      await daemon.stop('test finished');
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The value of one sample in Prometheus text, e.g. `roster_poll_runs_total{status="ok"}`. */
export function sampleValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

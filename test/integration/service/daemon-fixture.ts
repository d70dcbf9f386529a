/**
 * A daemon against the simulator with a temp database, on a fake clock and hand-driven ticks: a
 * test fires a tick and awaits the poll it started, moves time with `advance`, and awaits outcomes
 * (a delivery recorded, a log line written, a request reaching the simulator) instead of sleeping
 * and polling. Real I/O (the simulator's HTTP, SQLite, the health server) stays real; only time
 * and ticks are faked, so nothing here depends on how fast the machine is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { createApp } from '../../../src/app.js';
import type { Clock } from '../../../src/clock.js';
import { type Config, loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/logger.js';
import { type Daemon, startDaemon } from '../../../src/service/daemon.js';
import type { CreateTicker, TriggerOutcome } from '../../../src/service/scheduler.js';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';
import { createFakeClock, type FakeClock } from '../../helpers/fake-clock.js';

/** The daemon's schedules, each with its own ticker. */
export type Schedule = 'roster' | 'policy' | 'identity' | 'contacts';

export interface DaemonFixture {
  sim: Simulator;
  daemon: Daemon;
  config: Config;
  databasePath: string;
  /** The daemon's time; nothing moves it but the test. */
  clock: FakeClock;
  /**
   * Fires one tick of `schedule`, as cron would, and resolves with what the scheduler did ('ran',
   * 'skipped', 'stopped') once the poll that tick started has settled, metrics included.
   */
  tick(schedule?: Schedule): Promise<TriggerOutcome>;
  /** Moves the daemon's clock forward: wall and monotonic time alike (time passing), waking due sleeps. */
  advance(ms: number): Promise<void>;
  /** Steps only the wall clock (an NTP correction or a bad RTC), by `ms` (negative: back). */
  stepWallClock(ms: number): void;
  /**
   * Resolves once the dispatcher has recorded `count` delivery outcomes that `matches` accepts,
   * counted since the daemon started (so no outcome slips by between a tick and this call).
   */
  deliveries(count: number, matches?: (destination: string, outcome: string) => boolean): Promise<void>;
  /** Resolves once the daemon has logged a line whose message is `message` (from this call on). */
  logged(message: string): Promise<void>;
  /** Every JSON log line the daemon wrote so far. */
  logLines(): string[];
  get(path: string): Promise<{ status: number; contentType: string | null; text: string }>;
  getJson(path: string): Promise<{ status: number; body: Record<string, unknown> }>;
  runs(): { id: number; kind: string; status: string }[];
  /** A single value from the database, for asserting metrics against what is stored. */
  queryValue(sql: string, ...params: unknown[]): unknown;
  cleanup(): Promise<void>;
}

export interface FixtureOptions {
  env?: Record<string, string>;
  /** Runs before the daemon starts (e.g. to set up a webhook receiver the config points at). */
  sim?: Simulator;
}

/** Hand-driven tickers, found again by the schedule expression the daemon gave each. */
function createTickers(): { create: CreateTicker; fire(expression: string): Promise<TriggerOutcome> } {
  const tickers: { expression: string; onTick: () => Promise<TriggerOutcome> }[] = [];
  return {
    create: (expression, onTick) => {
      tickers.push({ expression, onTick });
      return { start: () => undefined, stop: () => undefined };
    },
    fire(expression) {
      const found = tickers.filter((t) => t.expression === expression);
      if (found.length !== 1)
        throw new Error(
          `${found.length} schedules use "${expression}": give each schedule its own expression in the fixture's env`,
        );
      return found[0]!.onTick();
    },
  };
}

/** Every delivery outcome since the daemon started, and waiters for a number of them. */
function createOutcomeLog(dispatcher: {
  onOutcome(listener: (destination: string, outcome: string) => void): unknown;
}) {
  const seen: { destination: string; outcome: string }[] = [];
  let waiters: { count: number; matches: (d: string, o: string) => boolean; resolve: () => void }[] = [];
  const reached = (w: (typeof waiters)[number]) =>
    seen.filter((s) => w.matches(s.destination, s.outcome)).length >= w.count;
  dispatcher.onOutcome((destination, outcome) => {
    seen.push({ destination, outcome });
    const due = waiters.filter(reached);
    waiters = waiters.filter((w) => !due.includes(w));
    for (const waiter of due) waiter.resolve();
  });
  return (count: number, matches: (d: string, o: string) => boolean = () => true) =>
    new Promise<void>((resolve) => {
      const waiter = { count, matches, resolve };
      if (reached(waiter)) resolve();
      else waiters.push(waiter);
    });
}

/** A real JSON logger whose lines are kept, and which wakes whoever waits for a given message. */
function createWatchedLogger() {
  const lines: string[] = [];
  let waiters: { message: string; resolve: () => void }[] = [];
  let partial = '';
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      const parts = (partial + String(chunk)).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts.filter((l) => l !== '')) {
        lines.push(line);
        const { msg } = JSON.parse(line) as { msg?: string };
        const due = waiters.filter((w) => w.message === msg);
        waiters = waiters.filter((w) => w.message !== msg);
        for (const waiter of due) waiter.resolve();
      }
      callback();
    },
  });
  return {
    logger: createLogger({ level: 'debug', format: 'json', destination }),
    lines: () => [...lines],
    logged: (message: string) => new Promise<void>((resolve) => waiters.push({ message, resolve })),
  };
}

export async function startDaemonFixture(options: FixtureOptions = {}): Promise<DaemonFixture> {
  const sim = options.sim ?? (await startSimulator({ users: 20, teams: 4 }));
  const dir = mkdtempSync(join(tmpdir(), 'rw-service-'));
  const databasePath = join(dir, 'roster-watch.db');
  const config = loadConfig(
    {
      VO_API_ID: 'sim-api-id',
      VO_API_KEY: 'sim-api-key',
      VO_BASE_URL: sim.url,
      VO_MAX_RPS: '200',
      DATABASE_PATH: databasePath,
      // Ticks come from the test; the schedule only sets the readiness window (twice the interval).
      POLL_SCHEDULE: '*/5 * * * * *',
      POLL_JITTER_MS: '0',
      HTTP_PORT: '0',
      ...options.env,
    },
    { requireVictorOps: true },
  );
  const fake = createFakeClock();
  let wallOnlyMs = 0;
  const clock: Clock = {
    now: () => fake.now() + wallOnlyMs,
    monotonicMs: () => fake.monotonicMs(),
    sleep: (ms, signal) => fake.sleep(ms, signal),
  };
  const tickers = createTickers();
  const log = createWatchedLogger();
  const parts = await createApp({ config, logger: log.logger, clock }).daemonParts();
  const daemon = await startDaemon({
    config,
    logger: log.logger,
    clock,
    parts,
    createTicker: tickers.create,
  });
  // Subscribed after the daemon's own listener, so the metrics already count an outcome seen here.
  const deliveries = createOutcomeLog(parts.dispatcher);
  const base = `http://127.0.0.1:${daemon.port}`;

  const readOnly = <T>(read: (conn: Database.Database) => T): T => {
    const conn = new Database(databasePath, { readonly: true });
    try {
      return read(conn);
    } finally {
      conn.close();
    }
  };
  const expressionOf = (schedule: Schedule): string => {
    const chosen =
      schedule === 'roster'
        ? config.service.schedule
        : schedule === 'policy'
          ? config.coverage.schedule
          : schedule === 'contacts'
            ? config.contacts.schedule
            : config.identity.schedule;
    if (chosen === null) throw new Error(`the ${schedule} schedule is off in this fixture`);
    return chosen.expression;
  };
  const get: DaemonFixture['get'] = async (path) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
  };
  return {
    sim,
    daemon,
    config,
    databasePath,
    clock: fake,
    tick: (schedule = 'roster') => tickers.fire(expressionOf(schedule)),
    advance: (ms) => fake.advance(ms),
    stepWallClock: (ms) => {
      wallOnlyMs += ms;
    },
    deliveries,
    logged: log.logged,
    logLines: log.lines,
    get,
    async getJson(path) {
      const res = await get(path);
      return { status: res.status, body: JSON.parse(res.text) as Record<string, unknown> };
    },
    runs: () =>
      readOnly(
        (conn) =>
          conn.prepare('SELECT id, kind, status FROM runs ORDER BY id').all() as {
            id: number;
            kind: string;
            status: string;
          }[],
      ),
    queryValue: (sql, ...params) =>
      readOnly((conn) =>
        conn
          .prepare(sql)
          .pluck()
          .get(...params),
      ),
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

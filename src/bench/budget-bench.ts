/**
 * One rate budget per key, at VictorOps' real limit: the daemon (roster polls every 15 s, policy
 * polls every minute) against a simulator in a process of its own that allows 2 requests a second
 * and answers the excess with 403, while the org drifts every 5 s (`driftMs`). Measured: how long a change
 * takes to reach the history, skipped roster ticks, policy poll durations and deferred ticks,
 * requests the simulator rejected; then the same with one-shot `poll`, `fetch` and `doctor`
 * processes running beside the daemon on the same key and database; then the same with the
 * daemon's contacts job (the reachability reads: two requests a person, bulk priority) reading
 * throughout the phase.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createApp } from '../app.js';
import type { Clock } from '../clock.js';
import { loadConfig } from '../config/load-config.js';
import { PollAbortedError } from '../errors.js';
import { createLogger } from '../logger.js';
import { startDaemon } from '../service/daemon.js';
import { openRateBudgetFile, type Store } from '../store/db.js';
import { holdSharedSlots, reserveSharedSlot, withdrawSharedWaiter } from '../store/rate-budget.js';
import { createRateBudget, type SharedSlots } from '../victorops/rate-budget.js';
import { startSimulatorProcess } from './fetch-bench.js';

export interface BudgetPhase {
  phase: string;
  seconds: number;
  /** Time between two drifts of the org, ms. */
  driftMs: number;
  changes: number;
  /** Seconds from a change to the end of the first roster poll that started after it. */
  p50: number;
  p90: number;
  max: number;
  rosterPolls: number;
  /** Seconds one roster poll took (its fetch, start to end), median and worst: where a change's time goes. */
  rosterPollSeconds: { p50: number; max: number };
  /**
   * Where a roster poll's time went, medians over the phase's polls: its requests, the fetch (first
   * request asked for to last answer), the recording after it, the mean wait of one roster request
   * for its turn, and the time the daemon spent in the shared schedule (a synchronous SQLite write:
   * the whole process waits, mostly for the database's write lock) during the poll; and the calls
   * to the shared schedule in the phase that took 100 ms or more, of all, and the longest since the
   * daemon started.
   */
  rosterBreakdown: {
    requests: number;
    /** From the tick (the daemon calling the poll) to its fetch's start. */
    startDelaySeconds: number;
    /** Turns the daemon's own policy and bulk work were granted while the roster poll ran. */
    backgroundTurns: number;
    /** The phase's slowest roster poll by its fetch: where its time went. */
    slowest: {
      requests: number;
      fetchSeconds: number;
      backgroundTurns: number;
      turnWaitPerRequestSeconds: number;
    } | null;
    fetchSeconds: number;
    recordSeconds: number;
    turnWaitPerRequestSeconds: number;
    sharedSeconds: number;
    sharedCalls: number;
    sharedCallsOver100Ms: number;
    sharedMaxCallSeconds: number;
  };
  skippedRosterTicks: number;
  policyPolls: number;
  policySeconds: number[];
  /** A policy poll still running when the phase ended: seconds so far and requests sent so far. */
  policyInFlight: { seconds: number; requests: number } | null;
  /** Requests the daemon's policy polls sent in the phase: their progress, finished or not. */
  policyRequests: number;
  deferredPolicyTicks: number;
  requests: number;
  rejected: number;
  /** The one-shots run beside the daemon, one after the other, and how long each took (s), by command. */
  oneShots: {
    ok: number;
    failed: number;
    blamedCredentials: number;
    seconds: Record<OneShotCommand, number[]>;
  };
  /**
   * The daemon's contacts poll in the phase (null in phases without it), reading from the phase's
   * start: whether it was still reading at the phase's end, the requests it sent in the phase, the
   * people read in them (two reads a person, one after the other: requests ÷ 2, rounded down), and
   * the mean wait of one bulk request for its turn.
   */
  contacts: {
    readingAtEnd: boolean;
    requests: number;
    people: number;
    turnWaitPerRequestSeconds: number;
  } | null;
  loadAverage: [number, number];
}

interface RosterPollTiming {
  startMs: number;
  requests: number;
  fetchMs: number;
  recordMs: number;
  /** Summed over the poll's requests (some wait at the same time). */
  turnWaitMs: number;
  turnsGranted: number;
  startDelayMs: number;
  backgroundTurns: number;
  sharedMs: number;
}

/** The one-shot commands the bench can run beside the daemon. */
export const ONE_SHOT_COMMANDS = ['poll', 'fetch', 'doctor'] as const;
export type OneShotCommand = (typeof ONE_SHOT_COMMANDS)[number];

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

export async function benchBudget(options: {
  users: number;
  teams: number;
  seconds: number;
  /** VO_RATE_PACE for the daemon and the one-shots (default: the product's default). */
  pace?: number;
  /**
   * Time between two drifts of the org (default 5,000 ms, as in the earlier figures). 5 s divides
   * the 15-s roster tick, so every change lands at one of three fixed offsets before a tick and a
   * phase's p90 carries that alignment; a period that does not divide it (e.g. 7,300) spreads them.
   */
  driftMs?: number;
  /** The one-shot commands run beside the daemon in turn (default poll, fetch, doctor). */
  oneShots?: readonly OneShotCommand[];
}): Promise<BudgetPhase[]> {
  const oneShotCommands = options.oneShots ?? ONE_SHOT_COMMANDS;
  if (oneShotCommands.length === 0 || oneShotCommands.some((c) => !ONE_SHOT_COMMANDS.includes(c)))
    throw new Error(
      `the one-shots must be some of ${ONE_SHOT_COMMANDS.join(', ')} (got ${oneShotCommands.join(', ') || 'none'})`,
    );
  const driftMs = options.driftMs ?? 5_000;
  if (!Number.isInteger(driftMs) || driftMs < 100)
    throw new Error(`the drift interval must be a whole number of ms, at least 100 (got ${driftMs})`);
  const sim = await startSimulatorProcess([
    ...['--users', String(options.users), '--teams', String(options.teams), '--seed', '7'],
    ...['--rate-limit', '2', '--rate-limit-status', '403'],
  ]);
  const control = sim.url.replace(/\/api-public$/, '/_sim');
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-budget-'));
  const env = {
    VO_API_ID: 'sim-api-id',
    VO_API_KEY: 'sim-api-key',
    VO_BASE_URL: sim.url,
    VO_MAX_RPS: '2',
    ...(options.pace === undefined ? {} : { VO_RATE_PACE: String(options.pace) }),
    DATABASE_PATH: join(dir, 'roster-watch.db'),
    LOG_LEVEL: 'warn',
  };
  const config = loadConfig(
    {
      ...env,
      POLL_SCHEDULE: '*/15 * * * * *',
      POLL_JITTER_MS: '0',
      POLICY_SCHEDULE: '0 * * * * *',
      // Ticks every 5 s; the bench holds each contacts poll at a gate until its phase starts, so a
      // tick is always waiting and the phase's poll starts with it. The first poll reads everyone
      // (4,000 requests for 2,000 users, over half an hour at one policy read a second), so it
      // reads throughout the phase.
      CONTACTS_SCHEDULE: '*/5 * * * * *',
      HTTP_PORT: '0',
    },
    { requireVictorOps: true },
  );
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  const logger = createLogger({ level: 'warn', format: 'json', destination: quiet });
  const app = createApp({ config, logger });
  const parts = await app.daemonParts();
  // Every roster poll and policy poll the daemon runs, timed from here (the daemon's own code runs them).
  const rosterPolls: RosterPollTiming[] = [];
  const policyRunning: { startMs: number; requests: number } = { startMs: 0, requests: 0 };
  // Every policy poll the daemon finished: when, and how long it took (its wait for the list's minute included).
  const policyDone: { startMs: number; endMs: number }[] = [];
  const jobRequests = (job: string) => parts.victorOps.statsByJob()[job as 'roster']?.requests ?? 0;
  // The contacts job waits here until the phase that runs it; when it started reading.
  let openContacts = () => {};
  const contactsGate = new Promise<void>((resolve) => {
    openContacts = resolve;
  });
  let contactsStartMs = 0;
  const daemon = await startDaemon({
    config,
    logger,
    parts: {
      ...parts,
      async pollRoster(signal) {
        const before = parts.victorOps.budgetTimings();
        const startMs = Date.now();
        const result = await parts.pollRoster(signal);
        const after = parts.victorOps.budgetTimings();
        const fetched = result.fetched;
        const fetchEndMs = fetched ? Date.parse(fetched.finishedAt) : Number.NaN;
        rosterPolls.push({
          startMs,
          requests: fetched?.stats.requests ?? 0,
          fetchMs: fetched ? fetchEndMs - Date.parse(fetched.startedAt) : Number.NaN,
          recordMs: Date.now() - fetchEndMs,
          turnWaitMs: after.turns.roster.waitedMs - before.turns.roster.waitedMs,
          turnsGranted: after.turns.roster.granted - before.turns.roster.granted,
          startDelayMs: fetched ? Date.parse(fetched.startedAt) - startMs : Number.NaN,
          backgroundTurns:
            after.turns.policy.granted -
            before.turns.policy.granted +
            after.turns.bulk.granted -
            before.turns.bulk.granted,
          sharedMs: after.shared.totalMs - before.shared.totalMs,
        });
        return result;
      },
      async pollPolicies(signal) {
        policyRunning.startMs = Date.now();
        policyRunning.requests = jobRequests('policy');
        try {
          return await parts.pollPolicies(signal);
        } finally {
          policyDone.push({ startMs: policyRunning.startMs, endMs: Date.now() });
          policyRunning.startMs = 0;
        }
      },
      async pollContacts(signal) {
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => reject(new PollAbortedError());
          if (signal.aborted) onAbort();
          signal.addEventListener('abort', onAbort, { once: true });
          void contactsGate.then(() => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          });
        });
        contactsStartMs = Date.now();
        try {
          return await parts.pollContacts(signal);
        } finally {
          contactsStartMs = 0;
        }
      },
    },
  });
  const metric = async (series: string) => {
    const text = await (await fetch(`http://127.0.0.1:${daemon.port}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };
  const simStats = async () =>
    (await (await fetch(`${control}/stats`)).json()) as { count: number; byStatus: Record<string, number> };
  const phases: BudgetPhase[] = [];
  try {
    await daemon.startupPolls;
    phases.push(await measure('daemon alone', { oneShots: false, contacts: false }));
    phases.push(await measure('daemon + one-shots', { oneShots: true, contacts: false }));
    // Last: the contacts poll it starts runs on until the daemon stops (it reads everyone first).
    phases.push(await measure('daemon + contacts job', { oneShots: false, contacts: true }));
  } finally {
    // The daemon closes what it runs (the client, the dispatcher, the database).
    await daemon.stop('benchmark over');
    sim.child.kill('SIGTERM');
    await once(sim.child, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
  return phases;

  async function measure(
    phase: string,
    jobs: { oneShots: boolean; contacts: boolean },
  ): Promise<BudgetPhase> {
    const withOneShots = jobs.oneShots;
    const load0 = loadavg()[0]!;
    const startMs = Date.now();
    const sharedBefore = parts.victorOps.budgetTimings().shared;
    const policyRequestsBefore = jobRequests('policy');
    const bulkBefore = parts.victorOps.budgetTimings().turns.bulk;
    const contactsRequestsBefore = jobRequests('contacts');
    if (jobs.contacts) {
      openContacts();
      // Until the daemon's waiting contacts poll is let through and sends its first request.
      const deadline = Date.now() + 30_000;
      while (jobRequests('contacts') === contactsRequestsBefore) {
        if (Date.now() > deadline)
          throw new Error('the daemon sent no contacts request within 30 s of the gate opening');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const before = {
      stats: await simStats(),
      skipped: await metric('roster_poll_skipped_ticks_total'),
      deferred: await metric('roster_policy_poll_ticks_total{outcome="deferred"}'),
    };
    const changes: number[] = [];
    const oneShots: BudgetPhase['oneShots'] = {
      ok: 0,
      failed: 0,
      blamedCredentials: 0,
      seconds: { poll: [], fetch: [], doctor: [] },
    };
    let running = true;
    const drift = (async () => {
      while (running) {
        await fetch(`${control}/drift`, { method: 'POST', body: JSON.stringify({ count: 1 }) });
        changes.push(Date.now());
        await new Promise((r) => setTimeout(r, driftMs));
      }
    })();
    const beside = (async () => {
      const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
      for (let i = 0; withOneShots && running; i++) {
        const command = oneShotCommands[i % oneShotCommands.length]!;
        const spawnedMs = Date.now();
        const child = spawn(process.execPath, [cli, command], {
          env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let said = '';
        child.stdout.on('data', (d: Buffer) => {
          said += d.toString();
        });
        child.stderr.on('data', (d: Buffer) => {
          said += d.toString();
        });
        const [code] = (await once(child, 'close')) as [number | null];
        oneShots.seconds[command].push((Date.now() - spawnedMs) / 1000);
        if (code === 0) oneShots.ok++;
        else oneShots.failed++;
        if (/VO_API_ID|VO_API_KEY|authentication/i.test(said)) oneShots.blamedCredentials++;
      }
    })();
    await new Promise((r) => setTimeout(r, options.seconds * 1000));
    running = false;
    await Promise.all([drift, beside]);
    const contactsEnd = {
      stillReading: contactsStartMs !== 0,
      requests: jobRequests('contacts') - contactsRequestsBefore,
      bulk: parts.victorOps.budgetTimings().turns.bulk,
    };
    const inFlight =
      policyRunning.startMs === 0
        ? null
        : {
            seconds: (Date.now() - policyRunning.startMs) / 1000,
            requests: jobRequests('policy') - policyRunning.requests,
          };
    // The last changes get the roster poll after them (at most a tick and a poll later).
    await new Promise((r) => setTimeout(r, 25_000));
    const endMs = Date.now();
    const after = await simStats();
    const runs = app.listRuns(10_000).filter((r) => Date.parse(r.startedAt) >= startMs - 60_000);
    const roster = runs
      .filter((r) => r.kind === 'roster' && r.status !== 'failed')
      .map((r) => ({ started: Date.parse(r.startedAt), finished: Date.parse(r.finishedAt) }))
      .sort((a, b) => a.started - b.started);
    const counted = changes.filter((t) => t <= endMs - 25_000);
    const latencies = counted
      .map((t) => roster.find((r) => r.started >= t))
      .map((r, i) => (r === undefined ? Number.POSITIVE_INFINITY : (r.finished - counted[i]!) / 1000))
      .sort((a, b) => a - b);
    // Every policy poll that finished in the phase, also one that started before it: with policy polls
    // longer than a phase, counting only those that started inside it reported none.
    const policy = policyDone.filter((r) => r.endMs >= startMs && r.endMs <= endMs);
    return {
      phase,
      seconds: options.seconds,
      driftMs,
      changes: counted.length,
      p50: quantile(latencies, 0.5),
      p90: quantile(latencies, 0.9),
      max: latencies.at(-1) ?? Number.NaN,
      rosterPolls: roster.filter((r) => r.started >= startMs).length,
      rosterPollSeconds: (() => {
        const took = roster
          .filter((r) => r.started >= startMs)
          .map((r) => (r.finished - r.started) / 1000)
          .sort((a, b) => a - b);
        return { p50: quantile(took, 0.5), max: took.at(-1) ?? Number.NaN };
      })(),
      rosterBreakdown: (() => {
        const timed = rosterPolls.filter((r) => r.startMs >= startMs && r.startMs < endMs);
        const median = (xs: number[]) =>
          quantile(
            [...xs].sort((a, b) => a - b),
            0.5,
          );
        const sharedAfter = parts.victorOps.budgetTimings().shared;
        const perRequest = (r: RosterPollTiming) =>
          r.turnsGranted === 0 ? 0 : r.turnWaitMs / r.turnsGranted / 1000;
        const slowest = [...timed].sort((a, b) => b.fetchMs - a.fetchMs)[0];
        return {
          requests: median(timed.map((r) => r.requests)),
          startDelaySeconds: median(timed.map((r) => r.startDelayMs / 1000)),
          backgroundTurns: median(timed.map((r) => r.backgroundTurns)),
          slowest:
            slowest === undefined
              ? null
              : {
                  requests: slowest.requests,
                  fetchSeconds: slowest.fetchMs / 1000,
                  backgroundTurns: slowest.backgroundTurns,
                  turnWaitPerRequestSeconds: perRequest(slowest),
                },
          fetchSeconds: median(timed.map((r) => r.fetchMs / 1000)),
          recordSeconds: median(timed.map((r) => r.recordMs / 1000)),
          turnWaitPerRequestSeconds: median(timed.map(perRequest)),
          sharedSeconds: median(timed.map((r) => r.sharedMs / 1000)),
          sharedCalls: sharedAfter.calls - sharedBefore.calls,
          sharedCallsOver100Ms: sharedAfter.callsOver100Ms - sharedBefore.callsOver100Ms,
          sharedMaxCallSeconds: sharedAfter.maxMs / 1000,
        };
      })(),
      skippedRosterTicks: (await metric('roster_poll_skipped_ticks_total')) - before.skipped,
      policyPolls: policy.length,
      policySeconds: policy.map((r) => (r.endMs - r.startMs) / 1000),
      policyInFlight: inFlight,
      policyRequests: jobRequests('policy') - policyRequestsBefore,
      deferredPolicyTicks:
        (await metric('roster_policy_poll_ticks_total{outcome="deferred"}')) - before.deferred,
      requests: after.count - before.stats.count,
      rejected: (after.byStatus['403'] ?? 0) - (before.stats.byStatus['403'] ?? 0),
      oneShots,
      contacts: !jobs.contacts
        ? null
        : {
            readingAtEnd: contactsEnd.stillReading,
            requests: contactsEnd.requests,
            people: Math.floor(contactsEnd.requests / 2),
            turnWaitPerRequestSeconds:
              contactsEnd.bulk.granted === bulkBefore.granted
                ? 0
                : (contactsEnd.bulk.waitedMs - bulkBefore.waitedMs) /
                  (contactsEnd.bulk.granted - bulkBefore.granted) /
                  1000,
          },
      loadAverage: [load0, loadavg()[0]!],
    };
  }
}

/** One row of the shared schedule's cost: CPU per request at one rate (see `benchBudgetCost`). */
export interface BudgetCostRow {
  /** VO_MAX_RPS (the key's limit) and VO_RATE_PACE of the budget measured. */
  maxRps: number;
  pace: number;
  /**
   * `one at a time`: each request waits alone for its turn (the next asks once it is answered);
   * `a poll`: VO_CONCURRENCY's 4 requests in flight, each answered `answerMs` after its turn, as a
   * poll's are; `beside another`: one at a time, another process taking a turn between any two.
   */
  scenario: 'one at a time' | 'a poll' | 'beside another';
  /** How long an answer takes after its turn (virtual time), ms. */
  answerMs: number;
  requests: number;
  /** CPU (user + system) in this process's calls to the shared schedule, per request, µs. */
  sharedCpuMicrosPerRequest: number;
  /**
   * Process CPU per request over the whole run, µs: the budget's own queue and timers too, and this
   * bench's clock and (beside another) the other process's turns.
   */
  runCpuMicrosPerRequest: number;
  /** Calls to the shared schedule per request (a reservation, and a withdrawal when nothing else waits). */
  sharedCallsPerRequest: number;
  /** The key's row as the last request left it, bytes. */
  rowBytes: number;
}

/**
 * A clock whose time moves only when everything waits: each sleep is a timer, and the earliest
 * is let go (time set to it) one macrotask at a time, after the promises it set off have run.
 */
function virtualClock(startMs: number): Clock {
  let nowMs = startMs;
  const timers: { atMs: number; seq: number; wake: () => void }[] = [];
  let seq = 0;
  let scheduled = false;
  const next = () => {
    scheduled = false;
    timers.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
    const timer = timers.shift();
    if (timer === undefined) return;
    nowMs = Math.max(nowMs, timer.atMs);
    timer.wake();
    if (timers.length > 0) schedule();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(next);
  };
  return {
    now: () => nowMs,
    monotonicMs: () => nowMs,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        timers.push({ atMs: nowMs + Math.max(0, ms), seq: seq++, wake: resolve });
        schedule();
      }),
  };
}

/**
 * What a request costs in the key's shared schedule (src/store/rate-budget.ts), CPU only: the real
 * budget over a real rate-budget file, on a clock that moves instead of sleeping, so the real rate
 * (VO_MAX_RPS=2: two sends kept in the row) is measured as fast as the poll benchmarks'
 * (VO_MAX_RPS=1000: a thousand kept). A request that waits alone costs a reservation and then the
 * withdrawal of the process's entry; in a poll, the next request is mostly waiting already when a
 * turn is granted, so the entry stays. Beside another process, whose turn between two of this
 * one's rewrites the row, every reservation reads it afresh; only this process's CPU is counted.
 */
export async function benchBudgetCost(options: { requests: number }): Promise<BudgetCostRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-budget-cost-'));
  const rows: BudgetCostRow[] = [];
  try {
    const databasePath = join(dir, 'roster-watch.db');
    writeFileSync(databasePath, '');
    let key = 0;
    for (const maxRps of [2, 1000]) {
      for (const scenario of ['one at a time', 'a poll', 'beside another'] as const) {
        const keyId = `cost-${key++}`;
        const mine = openRateBudgetFile(databasePath);
        const theirs = openRateBudgetFile(databasePath);
        try {
          const clock = virtualClock(Date.UTC(2026, 0, 1));
          let counting = false;
          let sharedMicros = 0;
          // This process's calls to the shared schedule, timed in CPU one by one (the other's not).
          const timed = <T>(store: Store, call: () => T): T => {
            if (!counting || store !== mine) return call();
            const t0 = process.cpuUsage();
            try {
              return call();
            } finally {
              const used = process.cpuUsage(t0);
              sharedMicros += used.user + used.system;
            }
          };
          const slotsOver = (store: Store): SharedSlots => ({
            reserve: (request) => timed(store, () => reserveSharedSlot(store, keyId, request)),
            hold: (untilMs, at, maxAheadMs) =>
              timed(store, () => holdSharedSlots(store, keyId, untilMs, at, maxAheadMs)),
            withdraw: (waiterId) => timed(store, () => withdrawSharedWaiter(store, keyId, waiterId)),
          });
          const budgetOver = (store: Store) =>
            createRateBudget({ maxRps, pace: 0.8, backgroundShare: 0.25, clock, shared: slotsOver(store) });
          const budget = budgetOver(mine);
          const other = budgetOver(theirs);
          const signal = new AbortController().signal;
          // A poll's answers take ~200 ms at VictorOps; the simulator's, a few.
          const answerMs = scenario === 'a poll' ? (maxRps === 2 ? 200 : 2) : 0;
          const inFlight = scenario === 'a poll' ? 4 : 1;
          const request = async () => {
            if (scenario === 'beside another') await other.acquire('policy', signal);
            await budget.acquire('roster', signal);
            if (answerMs > 0) await clock.sleep(answerMs);
          };
          const run = async (requests: number) => {
            let left = requests;
            await Promise.all(
              Array.from({ length: inFlight }, async () => {
                while (left-- > 0) await request();
              }),
            );
          };
          // Warm-up: the row fills to its capacity, and the code is compiled, before anything counts.
          await run(2 * maxRps + 200);
          const callsBefore = budget.timings().shared.calls;
          counting = true;
          const t0 = process.cpuUsage();
          await run(options.requests);
          const whole = process.cpuUsage(t0);
          counting = false;
          const row = mine.sqlite
            .prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?')
            .get(`victorops.rate_budget.${keyId}`);
          rows.push({
            maxRps,
            pace: 0.8,
            scenario,
            answerMs,
            requests: options.requests,
            sharedCpuMicrosPerRequest: sharedMicros / options.requests,
            runCpuMicrosPerRequest: (whole.user + whole.system) / options.requests,
            sharedCallsPerRequest: (budget.timings().shared.calls - callsBefore) / options.requests,
            rowBytes: Buffer.byteLength(row?.value ?? ''),
          });
        } finally {
          mine.close();
          theirs.close();
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

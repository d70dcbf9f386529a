/**
 * The roster poll as a sidecar runs it (issue 21): the built CLI's daemon, `node dist/cli.js run`,
 * polling the poll-alone benchmark's org (20,000 users / 500 teams, seed 7) in the simulator over
 * real HTTP, with the V8 setting the CLI applies to `run` itself. The CLI rows (poll-cli-bench.ts)
 * measure a process per poll; the daemon polls in one long-lived process, with its own page cache,
 * scheduler and delivery loop, and is what a sidecar's memory limit meets.
 *
 * Rows: its start-up and baseline poll, an unchanged poll (it follows the membership hints), the
 * poll after the persist benchmark's 10% change (made in the simulator between two polls), the poll
 * after 4% of the users moved team (the CLI rows' `moveFourPercent`: the user list's bytes
 * unchanged), the poll after one user's record changed (`changeOneUser`: the list read patched),
 * and an unchanged poll after them. Each row's CPU is the process's (user + system, /proc/<pid>/stat) from
 * the end of the poll before to the end of this one, so it holds the idle seconds between polls
 * too: the last line measures what those cost. Each row's peak RSS runs from the end of the poll
 * before too: the process's high-water mark (VmHWM) is reset after every poll
 * (`/proc/<pid>/clear_refs`, 5) to what is resident then, which the next row's peak includes.
 * Linux only (/proc): elsewhere the rows are left out, and said so.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BUILT_CLI,
  benchOrgClientEnv,
  changeOneUser,
  changeTenPercent,
  moveFourPercent,
  startBenchOrg,
} from './poll-cli-bench.js';

export interface DaemonPollRow {
  step:
    | 'start-up + baseline'
    | 'unchanged'
    | '10% changed'
    | 'team moves (user list unchanged)'
    | 'one user changed (user list patched)'
    | 'unchanged, after the change';
  cpuSeconds: number;
  peakRssMb: number;
  /** The poll's own log line, shortened: status, changes, requests. */
  said: string;
}

export interface DaemonPollResult {
  rows: DaemonPollRow[];
  /** The daemon's CPU over IDLE_SECONDS with no poll running (what each row also holds per idle second). */
  idleCpuSeconds: number;
  idleSeconds: number;
  pollEverySeconds: number;
}

const STEPS: DaemonPollRow['step'][] = [
  'start-up + baseline',
  'unchanged',
  '10% changed',
  'team moves (user list unchanged)',
  'one user changed (user list patched)',
  'unchanged, after the change',
];
/** Every 10 s: the baseline poll of 20,000 users takes ~3–5 s here; a tick that finds a poll running is skipped. */
const POLL_EVERY_SECONDS = 10;
const IDLE_SECONDS = 5;
/** The whole run's limit: the six polls take ~60 s here; a daemon that stops polling fails the run. */
const DEADLINE_MS = 600_000;
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in hundredths of a second. */
const TICKS_PER_SECOND = 100;

/** The process's CPU seconds so far (user + system). */
function processCpuSeconds(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), from field 3: utime and stime are 14 and 15.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** The process's peak RSS since its high-water mark was last reset, MiB. */
function peakRssMb(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

export async function benchDaemonPolls(options: {
  dir: string;
  users: number;
  teams: number;
  /** Another build's dist/cli.js (default: this build's). */
  cli?: string;
  nodeFlags: readonly string[];
  env: Readonly<Record<string, string>>;
}): Promise<DaemonPollResult | null> {
  if (process.platform !== 'linux') return null;
  const sim = await startBenchOrg(options.users, options.teams);
  const child = spawn(process.execPath, [...options.nodeFlags, options.cli ?? BUILT_CLI, 'run'], {
    env: {
      PATH: process.env.PATH ?? '',
      ...benchOrgClientEnv(sim),
      DATABASE_PATH: join(options.dir, 'daemon-rows.db'),
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      POLL_SCHEDULE: `*/${POLL_EVERY_SECONDS} * * * * *`,
      POLL_JITTER_MS: '0',
      // The roster polls alone: the CLI rows measure the policy poll.
      POLICY_SCHEDULE: 'off',
      HTTP_PORT: '0',
      ...options.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    // A node that could not be started: no exit event follows.
    child.on('error', () => resolve(null));
  });
  let deadline: NodeJS.Timeout | undefined;
  try {
    const pid = child.pid;
    if (pid === undefined) throw new Error('the daemon did not start');
    const rows: DaemonPollRow[] = [];
    let lastCpu = 0;
    // Its last lines, to say why it stopped if it does.
    const said: string[] = [];
    const lines = createInterface({ input: child.stderr });
    const finished = new Promise<void>((resolve, reject) => {
      deadline = setTimeout(
        () =>
          reject(new Error(`no ${STEPS.length} polls within ${DEADLINE_MS / 1000} s:\n${said.join('\n')}`)),
        DEADLINE_MS,
      );
      void exited.then((code) =>
        reject(new Error(`the daemon exited (${code}) after ${rows.length} polls:\n${said.join('\n')}`)),
      );
      lines.on('line', (line) => {
        said.push(line);
        if (said.length > 20) said.shift();
        // A poll's last line: finished, failed (recorded or not) or held by the mass-removal guard.
        if (!/"msg":"poll (finished|failed|held)/.test(line)) return;
        try {
          const cpu = processCpuSeconds(pid);
          const peak = peakRssMb(pid);
          // The next row's peak from here: the high-water mark is reset to what is resident now.
          writeFileSync(`/proc/${pid}/clear_refs`, '5');
          const log = JSON.parse(line) as {
            msg?: string;
            status?: string;
            changes?: number;
            requests?: number;
            error?: string;
            err?: { message?: string };
          };
          const step = STEPS[rows.length];
          if (step === undefined) return;
          rows.push({
            step,
            cpuSeconds: cpu - lastCpu,
            peakRssMb: peak,
            said: `${log.status ?? log.msg}: ${log.changes ?? 0} changes, ${log.requests ?? 0} requests${log.error ? `, ${log.error}` : log.err?.message ? `, ${log.err.message}` : ''}`,
          });
          lastCpu = cpu;
          if (step === 'unchanged') changeTenPercent(sim);
          if (step === '10% changed') moveFourPercent(sim);
          if (step === 'team moves (user list unchanged)') changeOneUser(sim);
          if (rows.length === STEPS.length) resolve();
        } catch (error) {
          reject(error);
        }
      });
    });
    await finished;
    const before = processCpuSeconds(pid);
    await sleep(IDLE_SECONDS * 1000);
    const idleCpuSeconds = processCpuSeconds(pid) - before;
    return { rows, idleCpuSeconds, idleSeconds: IDLE_SECONDS, pollEverySeconds: POLL_EVERY_SECONDS };
  } finally {
    clearTimeout(deadline);
    child.kill('SIGTERM');
    await exited;
    await sim.close();
  }
}

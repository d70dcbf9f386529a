/**
 * `npm run bench`: runs each benchmark in a child process of its own (so peak memory is that
 * benchmark's) and prints a Markdown table to paste into docs/benchmarks.md.
 *
 *   node dist/bench/run.js [fetch|hints|budget|contacts|persist|persist-raw|persist-capped|poll-alone|delivery|ui|oncall|identity|identity-capped|identity-growth|identity-okta|identity-entra|policy-requests ...]
 *   BENCH_BUDGET_USERS (2000), BENCH_BUDGET_TEAMS (80), BENCH_BUDGET_SECONDS (150 per phase), BENCH_BUDGET_PACE (VO_RATE_PACE),
 *   BENCH_BUDGET_DRIFT_MS (5000: time between drifts; one that does not divide the 15-s roster tick spreads the changes' offsets),
 *   BENCH_BUDGET_ONE_SHOTS (poll,fetch,doctor: the one-shots run in turn beside the daemon),
 *   BENCH_BUDGET_COST_REQUESTS (2000), BENCH_BUDGET_COST_ONLY (1: only the shared schedule's CPU per request)
 *   BENCH_RPS (default 100), BENCH_FETCH_USERS (10000), BENCH_FETCH_TEAMS (300), BENCH_HINTS_RPS (2)
 *   BENCH_UI_USERS (20000), BENCH_UI_EVENTS (1000000), BENCH_UI_SAMPLES (20)
 *   BENCH_ONCALL_TEAMS (300), BENCH_ONCALL_DAYS (90)
 *   BENCH_CONTACTS_USERS (10000), BENCH_CONTACTS_TEAMS (300), BENCH_CONTACTS_SAMPLES (3),
 *   BENCH_CONTACTS_BACKGROUND_SHARE (VO_BACKGROUND_SHARE for that run)
 *   BENCH_POLL_V8 (defaults,optimize-for-size,cli or none), BENCH_CLI, BENCH_CLI_NODE_FLAGS, BENCH_CLI_ENV (poll-alone)
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preferSmallHeap } from '../runtime-memory.js';
import { benchBudget, benchBudgetCost, ONE_SHOT_COMMANDS, type OneShotCommand } from './budget-bench.js';
import { benchContacts } from './contacts-bench.js';
import { benchDaemonPolls } from './daemon-poll-bench.js';
import { benchDelivery } from './delivery-bench.js';
import { benchFetch } from './fetch-bench.js';
import { benchHints } from './hints-bench.js';
import type { BenchIdentitySource, benchIdentity } from './identity-bench.js';
import { type BenchFakes, serveIdentityFakes } from './identity-fakes.js';
import { prepareIdentityBench } from './identity-setup.js';
import { benchOncall } from './oncall-bench.js';
import { benchPersist } from './persist-bench.js';
import { benchPolicyRequests } from './policy-requests-bench.js';
import { POLL_ALONE_STAGES, type PollAloneStageResult, preparePollAlone } from './poll-alone-bench.js';
import { benchPollCli } from './poll-cli-bench.js';
import { benchUi } from './ui-bench.js';

const SELF = fileURLToPath(import.meta.url);
const STAGE_CHILD = fileURLToPath(new URL('./poll-alone-child.js', import.meta.url));
const IDENTITY_CHILD = fileURLToPath(new URL('./identity-child.js', import.meta.url));

const IDENTITY_LABELS: Record<string, string> = {
  identity: 'as `roster-watch identity-sync` runs (V8 setting applied first)',
  'identity-capped':
    "as the CLI runs, with --max-old-space-size=256 (the Docker image's heap cap until issue 21)",
  'identity-growth': "Node's defaults and `--semi-space-growth-factor=1` alone (no `--optimize-for-size`)",
  'identity-okta': 'the same people read from the Okta fake (both lists, 200 a page), as the CLI runs',
  'identity-entra': 'the same people read from the Graph fake (999 a page), as the CLI runs',
};

/** The paged sources' benchmarks, and the source each reads. */
const PAGED_IDENTITY: Record<string, BenchIdentitySource> = {
  'identity-okta': 'okta',
  'identity-entra': 'entra',
};

/**
 * Starts the Okta and Entra fakes over the prepared people in a process of their own, and answers
 * their addresses and a stop that ends it.
 */
async function startIdentityFakes(dir: string): Promise<{ fakes: BenchFakes; stop: () => Promise<void> }> {
  const proc = spawn(process.execPath, [SELF, '--child', 'identity-fakes'], {
    env: { ...process.env, BENCH_IDENTITY_DIR: dir },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const end = text.indexOf('\n');
      if (end >= 0) resolve(text.slice(0, end));
    });
    proc.on('exit', (code) => reject(new Error(`the identity fakes exited (${code}) before serving`)));
  });
  return {
    fakes: JSON.parse(line) as BenchFakes,
    stop: async () => {
      proc.stdin.end();
      await exited;
    },
  };
}

function intFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

async function runOne(name: string): Promise<unknown> {
  switch (name) {
    case 'fetch':
      return benchFetch({
        users: intFromEnv('BENCH_FETCH_USERS', 10_000),
        teams: intFromEnv('BENCH_FETCH_TEAMS', 300),
        rps: intFromEnv('BENCH_RPS', 100),
        strategies: ['auto', 'team', 'user'],
      });
    case 'hints':
      return benchHints({
        users: intFromEnv('BENCH_FETCH_USERS', 10_000),
        teams: intFromEnv('BENCH_FETCH_TEAMS', 300),
        rps: intFromEnv('BENCH_HINTS_RPS', 2),
      });
    case 'persist':
    case 'persist-raw':
    case 'persist-capped':
      return benchPersist({ users: 20_000, teams: 500 });
    case 'poll-alone-setup':
      return preparePollAlone({ dir: process.env.BENCH_POLL_DIR ?? '', users: 20_000, teams: 500 });
    case 'delivery':
      return benchDelivery();
    case 'policy-requests':
      return benchPolicyRequests({
        users: intFromEnv('BENCH_FETCH_USERS', 10_000),
        teams: intFromEnv('BENCH_FETCH_TEAMS', 300),
        rps: intFromEnv('BENCH_RPS', 100),
      });
    case 'budget': {
      // Seconds: the shared schedule's CPU per request, before the phases' minutes (or alone).
      const cost = await benchBudgetCost({ requests: intFromEnv('BENCH_BUDGET_COST_REQUESTS', 2_000) });
      if (process.env.BENCH_BUDGET_COST_ONLY === '1') return { cost, phases: [] };
      const phases = await benchBudget({
        users: intFromEnv('BENCH_BUDGET_USERS', 2_000),
        teams: intFromEnv('BENCH_BUDGET_TEAMS', 80),
        seconds: intFromEnv('BENCH_BUDGET_SECONDS', 150),
        ...(process.env.BENCH_BUDGET_PACE ? { pace: Number(process.env.BENCH_BUDGET_PACE) } : {}),
        driftMs: intFromEnv('BENCH_BUDGET_DRIFT_MS', 5_000),
        ...(process.env.BENCH_BUDGET_ONE_SHOTS
          ? {
              oneShots: process.env.BENCH_BUDGET_ONE_SHOTS.split(',').map((c) =>
                c.trim(),
              ) as OneShotCommand[],
            }
          : {}),
      });
      return { cost, phases };
    }
    case 'contacts':
      return benchContacts({
        users: intFromEnv('BENCH_CONTACTS_USERS', 10_000),
        teams: intFromEnv('BENCH_CONTACTS_TEAMS', 300),
        samples: intFromEnv('BENCH_CONTACTS_SAMPLES', 3),
        ...(process.env.BENCH_CONTACTS_BACKGROUND_SHARE === undefined
          ? {}
          : { backgroundShare: process.env.BENCH_CONTACTS_BACKGROUND_SHARE }),
      });
    case 'ui':
      return benchUi({
        users: intFromEnv('BENCH_UI_USERS', 20_000),
        events: intFromEnv('BENCH_UI_EVENTS', 1_000_000),
        samples: intFromEnv('BENCH_UI_SAMPLES', 20),
      });
    case 'oncall':
      return benchOncall({
        teams: intFromEnv('BENCH_ONCALL_TEAMS', 300),
        days: intFromEnv('BENCH_ONCALL_DAYS', 90),
        samples: 5,
      });
    case 'identity-fakes':
      return serveIdentityFakes(process.env.BENCH_IDENTITY_DIR ?? '');
    case 'identity-setup':
      return prepareIdentityBench({
        dir: process.env.BENCH_IDENTITY_DIR ?? '',
        identities: 100_000,
        users: 20_000,
        teams: 500,
      });
    default:
      throw new Error(`unknown benchmark "${name}" (${BENCHMARKS.join(', ')})`);
  }
}

/** Every benchmark, in the order a bare `npm run bench` runs them. */
const BENCHMARKS = [
  'persist',
  'persist-raw',
  'persist-capped',
  'poll-alone',
  'delivery',
  'ui',
  'oncall',
  'identity',
  'identity-capped',
  'identity-growth',
  'identity-okta',
  'identity-entra',
  'fetch',
  'hints',
  'policy-requests',
  'budget',
  'contacts',
] as const;

/**
 * A bare run leaves out `budget` and `contacts`: they run for minutes (contacts: hours at 10,000
 * users) at VictorOps' real rate, so they are asked for by name.
 */
const DEFAULT_BENCHMARKS = BENCHMARKS.filter((name) => name !== 'budget' && name !== 'contacts');

const USAGE = `usage: node dist/bench/run.js [benchmark ...]   (npm run bench runs them all)
benchmarks: ${BENCHMARKS.join(', ')}
environment: BENCH_RPS (default 100), BENCH_FETCH_USERS (10000), BENCH_FETCH_TEAMS (300),
  BENCH_HINTS_RPS (2), BENCH_UI_USERS (20000), BENCH_UI_EVENTS (1000000), BENCH_UI_SAMPLES (20),
  BENCH_ONCALL_TEAMS (300), BENCH_ONCALL_DAYS (90),
  BENCH_BUDGET_USERS (2000), BENCH_BUDGET_TEAMS (80), BENCH_BUDGET_SECONDS (150 per phase; budget is not in a bare run),
  BENCH_BUDGET_PACE (VO_RATE_PACE, default the product's), BENCH_BUDGET_DRIFT_MS (5000 between drifts),
  BENCH_BUDGET_ONE_SHOTS (poll,fetch,doctor), BENCH_BUDGET_COST_REQUESTS (2000: requests timed per row of the
  shared schedule's CPU per request, measured first), BENCH_BUDGET_COST_ONLY (1: that table alone, seconds),
  BENCH_CONTACTS_USERS (10000), BENCH_CONTACTS_TEAMS (300), BENCH_CONTACTS_SAMPLES (3) (contacts is not in a bare run)
  BENCH_POLL_V8 (poll-alone's stage settings: defaults,optimize-for-size,cli; none = only the CLI rows),
  BENCH_CLI (poll-alone's CLI rows: another build's dist/cli.js), BENCH_CLI_NODE_FLAGS (node flags before it),
  BENCH_CLI_ENV (NAME=value pairs, space-separated, added to the CLI's environment, e.g. MALLOC_ARENA_MAX=2)
Prints a Markdown table to paste into docs/benchmarks.md.`;

/** The benchmarks asked for, or why not: `--help`, or a name that is not one (said before any runs). */
function chosenBenchmarks(args: readonly string[]): { names: string[] } | { exit: number; text: string } {
  if (args.some((a) => a === '--help' || a === '-h')) return { exit: 0, text: USAGE };
  const unknown = args.filter((a) => !(BENCHMARKS as readonly string[]).includes(a));
  if (unknown.length > 0)
    return { exit: 2, text: `unknown benchmark "${unknown[0]}": one of ${BENCHMARKS.join(', ')} (--help)` };
  const budgetProblem = args.includes('budget') ? budgetEnvProblem(process.env) : null;
  if (budgetProblem !== null) return { exit: 2, text: budgetProblem };
  return { names: args.length > 0 ? [...args] : [...DEFAULT_BENCHMARKS] };
}

/** What is wrong with the budget bench's own settings, said before anything runs (null: nothing). */
function budgetEnvProblem(env: NodeJS.ProcessEnv): string | null {
  const oneShots = env.BENCH_BUDGET_ONE_SHOTS;
  if (oneShots !== undefined && oneShots !== '') {
    const wrong = oneShots
      .split(',')
      .find((c) => !(ONE_SHOT_COMMANDS as readonly string[]).includes(c.trim()));
    if (wrong !== undefined)
      return `BENCH_BUDGET_ONE_SHOTS: "${wrong.trim()}" is not one of ${ONE_SHOT_COMMANDS.join(', ')}`;
  }
  const drift = env.BENCH_BUDGET_DRIFT_MS;
  if (drift !== undefined && drift !== '' && !(Number.isInteger(Number(drift)) && Number(drift) >= 100))
    return `BENCH_BUDGET_DRIFT_MS: "${drift}" is not a whole number of ms of at least 100`;
  return null;
}

function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}

/** The V8 settings the poll-alone benchmark compares: Node's own, issue 12's `--optimize-for-size`, the CLI's. */
const POLL_ALONE_V8 = ['defaults', 'optimize-for-size', 'cli'] as const;
type PollAloneV8 = (typeof POLL_ALONE_V8)[number];
const V8_LABEL: Record<PollAloneV8, string> = {
  defaults: 'Node defaults',
  'optimize-for-size': '`--optimize-for-size`',
  cli: 'as the CLI runs `poll` (`--liftoff-only --semi-space-growth-factor=1`)',
};

/** Runs `script args` in a fresh node with `env` added, and returns its JSON answer. */
function child(args: string[], env: Record<string, string>): unknown {
  const output = execFileSync(process.execPath, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  return JSON.parse(output);
}

/**
 * The poll alone: the org generated by one process, then each stage a fresh process on the
 * database the stage before left; the whole sequence once per V8 setting, side by side.
 */
async function pollAlone(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-poll-'));
  try {
    const org = child([SELF, '--child', 'poll-alone-setup'], { BENCH_POLL_DIR: dir }) as ReturnType<
      typeof preparePollAlone
    >;
    const lines = [
      `${org.users} users / ${org.teams} teams / ${org.memberships} memberships / ${org.policies} policies / ${org.shifts} shifts; each stage a fresh process:`,
      '',
      '| V8 | stage | cycle CPU s | process CPU s | peak RSS MiB (goal ≤ 128) | events | bytes per unchanged poll: file / used | load avg |',
      '|---|---|---|---|---|---|---|---|',
    ];
    // BENCH_POLL_V8=none runs only the CLI rows below; a comma list runs those settings.
    const chosenV8 = (process.env.BENCH_POLL_V8 ?? POLL_ALONE_V8.join(','))
      .split(',')
      .filter((v): v is PollAloneV8 => (POLL_ALONE_V8 as readonly string[]).includes(v));
    // The unchanged stage's WAL figures, printed after the table (its columns keep their meaning).
    const walLines: string[] = [];
    for (const v8 of chosenV8) {
      for (const stage of POLL_ALONE_STAGES) {
        const r = child([STAGE_CHILD], {
          BENCH_POLL_DIR: dir,
          BENCH_POLL_DB: `${v8}.db`,
          BENCH_POLL_STAGE: stage,
          BENCH_POLL_V8: v8,
        }) as PollAloneStageResult;
        const bytes = r.bytesAdded
          ? `${fmt(r.bytesAdded.file, 0)} / ${fmt(r.bytesAdded.used, 0)} (mean of ${r.bytesAdded.polls})`
          : '';
        lines.push(
          `| ${V8_LABEL[v8]} | ${stage} | ${fmt(r.cycleCpuSeconds)} | ${fmt(r.processCpuSeconds)} | ${fmt(r.peakRssMb, 0)} | ${r.events} | ${bytes} | ${fmt(loadavg()[0] ?? 0, 1)} |`,
        );
        if (r.walWritten) {
          const w = r.walWritten;
          const byName = Object.entries(w.byName)
            .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
            .map(([name, frames]) => `${name} ${fmt(frames, 1)}`)
            .join(', ');
          walLines.push(
            `| ${V8_LABEL[v8]} | ${fmt(w.bytes / 1024, 1)} (mean of ${w.polls}) | ${fmt(w.frames, 1)} | ${byName} |`,
          );
        }
      }
    }
    if (walLines.length > 0)
      lines.push(
        '',
        'What an unchanged poll (policy baseline recorded) appends to the WAL: whole pages, rewritten ones included (goal ≤ 16 KiB):',
        '',
        '| V8 | WAL KiB per unchanged poll | pages | pages by table or index |',
        '|---|---|---|---|',
        ...walLines,
      );
    const cli = process.env.BENCH_CLI;
    const nodeFlags = (process.env.BENCH_CLI_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const cliEnv = cliEnvironment(process.env.BENCH_CLI_ENV ?? '');
    const envText = Object.entries(cliEnv)
      .map(([k, v]) => `${k}=${v} `)
      .join('');
    // How both row sets run the CLI, up to its command.
    const invocation = `${envText}node ${nodeFlags.map((f) => `${f} `).join('')}${cli ?? 'dist/cli.js'}`;
    lines.push(
      '',
      `The built CLI as a user runs it (\`${invocation} poll --no-deliver\`, the V8 setting its own), against the simulator serving this org and its routing keys; the last three rows are an unchanged poll again, the policy baseline (\`policy-poll --no-deliver\`: policies, schedules, routing keys) and an unchanged poll with it:`,
      '',
      '| CLI step | process CPU s | peak RSS MiB (goal ≤ 128) | KiB written (wchar) | load avg | said |',
      '|---|---|---|---|---|---|',
    );
    // The same org, build, flags and environment for the CLI rows and the daemon rows.
    const runAs = {
      dir,
      users: 20_000,
      teams: 500,
      ...(cli === undefined ? {} : { cli }),
      nodeFlags,
      env: cliEnv,
    };
    const rows = await benchPollCli(runAs);
    for (const r of rows)
      lines.push(
        `| ${r.step} | ${fmt(r.cpuSeconds)} | ${fmt(r.peakRssMb, 0)} | ${r.writtenBytes === null ? 'n/a' : fmt(r.writtenBytes / 1024, 0)} | ${fmt(loadavg()[0] ?? 0, 1)} | ${r.said} |`,
      );
    lines.push('');
    const daemon = await benchDaemonPolls(runAs);
    if (daemon === null) {
      lines.push('The daemon rows read /proc: not measured on this platform.', '');
      return lines;
    }
    lines.push(
      `The daemon as a sidecar runs it (\`${invocation} run\`, the V8 setting its own; roster polls every ${daemon.pollEverySeconds} s, no policy poll), polling the same org in a simulator of its own; each row's CPU and peak RSS run from the end of the poll before (idle seconds between polls included: ${fmt(daemon.idleCpuSeconds)} s CPU over ${daemon.idleSeconds} s idle after the last; the peak starts from what the poll before left resident):`,
      '',
      '| daemon poll | process CPU s | peak RSS MiB (goal ≤ 128) | load avg | said |',
      '|---|---|---|---|---|',
      ...daemon.rows.map(
        (r) =>
          `| ${r.step} | ${fmt(r.cpuSeconds)} | ${fmt(r.peakRssMb, 0)} | ${fmt(loadavg()[0] ?? 0, 1)} | ${r.said} |`,
      ),
      '',
    );
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** BENCH_CLI_ENV's `NAME=value` pairs (space-separated); anything else is refused by name. */
function cliEnvironment(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of text.split(' ').filter(Boolean)) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (!match) throw new Error(`BENCH_CLI_ENV takes NAME=value pairs separated by spaces, not "${pair}"`);
    env[match[1]!] = match[2]!;
  }
  return env;
}

async function main(): Promise<void> {
  const [mode, name] = process.argv.slice(2);
  if (mode === '--child' && name) {
    // As the CLI does at start-up, so the figures are what `roster-watch run` gets. `persist-raw`
    // leaves V8's default heap growth alone, to show what the setting is worth.
    if (name !== 'persist-raw') preferSmallHeap('run');
    process.stdout.write(JSON.stringify((await runOne(name)) ?? null));
    return;
  }
  const chosen = chosenBenchmarks(process.argv.slice(2));
  if ('exit' in chosen) {
    (chosen.exit === 0 ? process.stdout : process.stderr).write(`${chosen.text}\n`);
    process.exitCode = chosen.exit;
    return;
  }
  const { names } = chosen;
  const lines: string[] = [
    `Benchmarks on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}:`,
    '',
  ];
  for (const bench of names) {
    process.stderr.write(`running ${bench} benchmark…\n`);
    if (bench === 'poll-alone') {
      lines.push(...(await pollAlone()));
      continue;
    }
    // The capped variant runs with the heap limit the Dockerfile set until issue 21, to show what the live set needs.
    const flags = bench.endsWith('-capped') ? ['--max-old-space-size=256'] : [];
    // The identity sync is measured from an existing database, as `identity-sync` runs: the org
    // is recorded by a process of its own first, so its memory is not counted.
    const identityDir = bench.startsWith('identity')
      ? mkdtempSync(join(tmpdir(), 'rw-bench-identity-'))
      : null;
    if (identityDir !== null) {
      execFileSync(process.execPath, [SELF, '--child', 'identity-setup'], {
        env: { ...process.env, BENCH_IDENTITY_DIR: identityDir },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    }
    // The measured sync sets the CLI's V8 setting before loading anything (identity-child.ts).
    // identity-growth: Node's defaults and the growth factor alone, without --optimize-for-size.
    const measured = identityDir === null ? [SELF, '--child', bench] : [IDENTITY_CHILD];
    const v8 = bench === 'identity-growth' ? 'growth' : 'cli';
    const paged = PAGED_IDENTITY[bench];
    const served = identityDir !== null && paged !== undefined ? await startIdentityFakes(identityDir) : null;
    const output = execFileSync(process.execPath, [...flags, ...measured], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'inherit'],
      ...(identityDir === null
        ? {}
        : {
            env: {
              ...process.env,
              BENCH_IDENTITY_DIR: identityDir,
              BENCH_IDENTITY_V8: v8,
              ...(served === null
                ? {}
                : { BENCH_IDENTITY_SOURCE: paged, BENCH_IDENTITY_FAKES: JSON.stringify(served.fakes) }),
            },
          }),
    });
    await served?.stop();
    if (identityDir !== null) rmSync(identityDir, { recursive: true, force: true });
    const result = JSON.parse(output);
    if (bench === 'hints') {
      lines.push('| scenario | requests | wall s | membership events | note |');
      lines.push('|---|---|---|---|---|');
      for (const r of result as Awaited<ReturnType<typeof benchHints>>) {
        lines.push(
          `| ${r.scenario} | ${r.requests} | ${r.seconds === null ? '—' : fmt(r.seconds)} | ${r.membershipEvents} | ${r.note} |`,
        );
      }
    } else if (bench === 'budget') {
      const { cost, phases: budgetPhases } = result as {
        cost: Awaited<ReturnType<typeof benchBudgetCost>>;
        phases: Awaited<ReturnType<typeof benchBudget>>;
      };
      lines.push(
        "The shared schedule's CPU per request (a reservation and, when nothing else waits, a withdrawal; a clock that moves instead of sleeping; the whole run's CPU counts this bench's clock too):",
        '',
        '| VO_MAX_RPS | VO_RATE_PACE | scenario | answer ms | requests | shared schedule CPU µs per request | whole run CPU µs per request | shared calls per request | row bytes |',
        '|---|---|---|---|---|---|---|---|---|',
        ...cost.map(
          (r) =>
            `| ${r.maxRps} | ${r.pace} | ${r.scenario} | ${r.answerMs} | ${r.requests} | ${fmt(r.sharedCpuMicrosPerRequest, 0)} | ${fmt(r.runCpuMicrosPerRequest, 0)} | ${fmt(r.sharedCallsPerRequest, 2)} | ${r.rowBytes} |`,
        ),
        '',
      );
      if (budgetPhases.length === 0) lines.push('(BENCH_BUDGET_COST_ONLY=1: the phases were not run)');
      else {
        lines.push(
          '| phase | s | load avg | changes | change → history p50 / p90 / max s | roster polls | roster poll p50 / max s | skipped roster ticks | policy polls (s each) | policy requests in the phase | policy poll in flight at the end | deferred policy ticks | requests | rejected | one-shots ok / failed / blamed credentials | contacts job: people / requests (bulk turn wait per request s) |',
        );
        lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
        for (const r of budgetPhases) {
          lines.push(
            `| ${r.phase} | ${r.seconds} | ${fmt(r.loadAverage[0], 1)}–${fmt(r.loadAverage[1], 1)} | ${r.changes} | ${fmt(r.p50, 1)} / ${fmt(r.p90, 1)} / ${fmt(r.max, 1)} | ${r.rosterPolls} | ${fmt(r.rosterPollSeconds.p50, 1)} / ${fmt(r.rosterPollSeconds.max, 1)} | ${r.skippedRosterTicks} | ${r.policyPolls} (${r.policySeconds.map((s) => fmt(s, 0)).join(', ')}) | ${r.policyRequests} | ${r.policyInFlight === null ? '—' : `${fmt(r.policyInFlight.seconds, 0)} s, ${r.policyInFlight.requests} requests`} | ${r.deferredPolicyTicks} | ${r.requests} | ${r.rejected} | ${r.oneShots.ok} / ${r.oneShots.failed} / ${r.oneShots.blamedCredentials} | ${r.contacts === null ? '—' : `${r.contacts.people} / ${r.contacts.requests} (${fmt(r.contacts.turnWaitPerRequestSeconds, 2)})${r.contacts.readingAtEnd ? ', reading throughout' : ', finished inside the phase'}`} |`,
          );
        }
        lines.push(
          '',
          "Where a roster poll's time went (medians over the phase's polls; \"shared schedule\" is time the daemon spent in the budget's SQLite row, the whole process waiting):",
          '',
          '| phase | requests | tick → first request s | fetch s | daemon background turns during the poll | record s | turn wait per request s | slowest poll: requests / fetch s / background turns / turn wait s | shared schedule s per poll | shared calls in phase (≥ 100 ms) | longest shared call s |',
          '|---|---|---|---|---|---|---|---|---|---|---|',
        );
        for (const r of budgetPhases) {
          const b = r.rosterBreakdown;
          lines.push(
            `| ${r.phase} | ${b.requests} | ${fmt(b.startDelaySeconds, 2)} | ${fmt(b.fetchSeconds, 2)} | ${b.backgroundTurns} | ${fmt(b.recordSeconds, 2)} | ${fmt(b.turnWaitPerRequestSeconds, 2)} | ${b.slowest === null ? '—' : `${b.slowest.requests} / ${fmt(b.slowest.fetchSeconds, 2)} / ${b.slowest.backgroundTurns} / ${fmt(b.slowest.turnWaitPerRequestSeconds, 2)}`} | ${fmt(b.sharedSeconds, 3)} | ${b.sharedCalls} (${b.sharedCallsOver100Ms}) | ${fmt(b.sharedMaxCallSeconds, 3)} |`,
          );
        }
        lines.push(
          '',
          `Drift every ${budgetPhases[0]?.driftMs ?? '?'} ms. One-shots beside the daemon, s each (one after the other):`,
          '',
        );
        for (const r of budgetPhases.filter((p) => p.oneShots.ok + p.oneShots.failed > 0)) {
          const each = (xs: number[]) => (xs.length === 0 ? '—' : xs.map((x) => fmt(x, 1)).join(', '));
          lines.push(
            `- ${r.phase}: poll ${each(r.oneShots.seconds.poll)}; fetch ${each(r.oneShots.seconds.fetch)}; doctor ${each(r.oneShots.seconds.doctor)}`,
          );
        }
      }
    } else if (bench === 'contacts') {
      const r = result as Awaited<ReturnType<typeof benchContacts>>;
      const mean = (xs: { seconds: number }[]) =>
        xs.reduce((a, x) => a + x.seconds, 0) / Math.max(1, xs.length);
      lines.push(
        `Contacts poll, ${r.users} users / ${r.teams} teams, 2 req/s: read ${r.contacts.people} people in ${r.contacts.requests} requests, ${fmt(r.contacts.seconds, 1)} s (${r.contacts.rejected} rejected).`,
        '',
        '| roster poll | requests | s each | mean s |',
        '|---|---|---|---|',
        `| alone | ${r.rosterAlone.map((x) => x.requests).join(', ')} | ${r.rosterAlone.map((x) => fmt(x.seconds)).join(', ')} | ${fmt(mean(r.rosterAlone))} |`,
        `| beside a contacts poll | ${r.rosterBeside.map((x) => x.requests).join(', ')} | ${r.rosterBeside.map((x) => fmt(x.seconds)).join(', ')} | ${fmt(mean(r.rosterBeside))} |`,
      );
    } else if (bench === 'fetch') {
      lines.push(
        '| strategy | chose | requests | wall s | ideal s | ratio | rate-limited | users | teams | memberships |',
      );
      lines.push('|---|---|---|---|---|---|---|---|---|---|');
      for (const r of result as Awaited<ReturnType<typeof benchFetch>>) {
        lines.push(
          `| ${r.strategy} | ${r.chosen} | ${r.requests} | ${fmt(r.seconds)} | ${fmt(r.idealSeconds)} | ${fmt(r.ratio, 3)} | ${r.rateLimited} | ${r.users} | ${r.teams} | ${r.memberships} |`,
        );
      }
    } else if (bench.startsWith('persist')) {
      const r = result as Awaited<ReturnType<typeof benchPersist>>;
      lines.push(
        `${
          bench === 'persist'
            ? 'as the CLI runs (V8 semi-spaces kept at their starting size)'
            : bench === 'persist-raw'
              ? "Node defaults without the CLI's V8 setting"
              : "with --max-old-space-size=256 (the Docker image's heap cap until issue 21)"
        }:`,
        '',
      );
      lines.push(
        '| org | baseline CPU s | unchanged poll CPU s (≤ 1) | hinted unchanged poll CPU s | 10% changed CPU s (≤ 3) | events | bytes added per unchanged poll: file / used, mean of 20 (≤ 16384) | peak RSS MiB (≤ 250) | peak RSS by stage MiB |',
      );
      lines.push('|---|---|---|---|---|---|---|---|---|');
      lines.push(
        `| ${r.users} users / ${r.teams} teams / ${r.memberships} memberships / ${r.policies} policies / ${r.shifts} shifts | ${fmt(r.baselineCpuSeconds)} | ${fmt(r.unchangedCpuSeconds)} | ${fmt(r.hintedCpuSeconds)} | ${fmt(r.changedCpuSeconds)} | ${r.changedEvents} | ${r.unchangedBytesAdded} / ${fmt(r.unchangedUsedBytesAdded, 0)} | ${fmt(r.peakRssMb, 0)} | ${Object.entries(
          r.peakRssByStageMb,
        )
          .map(([stage, mb]) => `${stage} ${mb}`)
          .join(', ')} |`,
      );
    } else if (bench === 'ui') {
      const r = result as Awaited<ReturnType<typeof benchUi>>;
      lines.push(
        `${r.users} users, ${r.events} events (history written in ${fmt(r.generateSeconds, 1)} s, ${fmt(r.databaseMb, 0)} MB); ${r.samples} requests per page after 2 warm-ups:`,
        '',
        '| page | KiB | first ms | p50 ms | p95 ms (≤ 200) | max ms |',
        '|---|---|---|---|---|---|',
        ...r.pages.map(
          (p) =>
            `| \`${p.path}\` | ${fmt(p.bytes / 1024, 0)} | ${fmt(p.firstMs, 1)} | ${fmt(p.p50Ms, 1)} | ${fmt(p.p95Ms, 1)} | ${fmt(p.maxMs, 1)} |`,
        ),
      );
    } else if (bench === 'policy-requests') {
      const r = result as Awaited<ReturnType<typeof benchPolicyRequests>>;
      lines.push(
        `One policy fetch, ${r.users} users / ${r.teams} teams (${r.policies} policies, ${r.routingKeys} routing keys), at ${intFromEnv('BENCH_RPS', 100)} req/s:`,
        '',
        '| requests | policy list | details | schedules | routing keys (= 1) | s |',
        '|---|---|---|---|---|---|',
        `| ${r.requests} | ${r.list} | ${r.details} | ${r.schedules} | ${r.routingKeyRequests} | ${fmt(r.seconds, 1)} |`,
      );
    } else if (bench === 'oncall') {
      const r = result as Awaited<ReturnType<typeof benchOncall>>;
      lines.push(
        `${r.teams} teams, ${r.days} days of policy polls every 15 min (${r.polls} polls; ${r.storedReads} reads stored, ${fmt(r.databaseMb, 1)} MB, written in ${fmt(r.setupSeconds, 0)} s):`,
        '',
        '| report | rows | first ms | p50 ms of 5 (≤ 1000) | max ms |',
        '|---|---|---|---|---|',
        `| all teams, the whole ${r.days} days | ${r.rows} | ${fmt(r.firstMs, 0)} | ${fmt(r.p50Ms, 0)} | ${fmt(r.maxMs, 0)} |`,
      );
    } else if (bench.startsWith('identity')) {
      const r = result as Awaited<ReturnType<typeof benchIdentity>>;
      lines.push(`${IDENTITY_LABELS[bench] ?? bench}:`, '');
      lines.push(
        '| identities / VictorOps users | file MB | first sync CPU s (≤ 2) | findings | unchanged file CPU s | re-parsed file CPU s | matching only CPU s | peak RSS MiB (issue 21: ≤ 128) |',
      );
      lines.push('|---|---|---|---|---|---|---|---|');
      lines.push(
        `| ${r.identities} / ${r.victorOpsUsers} | ${fmt(r.fileMb, 1)} | ${fmt(r.firstSyncCpuSeconds)} | ${r.firstSyncFindings} | ${fmt(r.unchangedSyncCpuSeconds)} | ${r.reparsedSyncCpuSeconds === null ? '—' : fmt(r.reparsedSyncCpuSeconds)} | ${r.matchOnlyCpuSeconds === null ? '—' : fmt(r.matchOnlyCpuSeconds)} | ${fmt(r.peakRssMb, 0)} |`,
      );
    } else {
      const r = result as Awaited<ReturnType<typeof benchDelivery>>;
      lines.push('| deliveries | seconds | per second (≥ 500) |');
      lines.push('|---|---|---|');
      lines.push(`| ${r.deliveries} | ${fmt(r.seconds)} | ${fmt(r.perSecond, 0)} |`);
    }
    lines.push('');
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();

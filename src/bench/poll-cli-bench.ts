/**
 * The poll as a user runs it (issue 21): the built CLI, `node dist/cli.js poll --no-deliver`, as a
 * process of its own against the simulator serving the persist benchmark's org (20,000 users / 500
 * teams, seed 7) over real HTTP, with the V8 setting the CLI applies itself. Each process is
 * measured by dist/bench/rusage-report.js (preloaded with --import; it loads nothing but node:fs):
 * peak RSS and CPU (user + system) of the whole process, start-up, fetch, parse, cycle and exit,
 * and the bytes it wrote (files and sockets: the WAL, the checkpoint into the database file as it
 * closes, the requests).
 *
 * Rows: `poll --help` (what the CLI holds before any work: its modules), the baseline poll (empty
 * database), the unchanged poll (the org as recorded; it follows the membership hints, so it reads
 * the user list and the team list and no team's members), and a poll after 10% of the users
 * changed in the simulator (5% a new email, 4% left every team, 1% deleted: the persist
 * benchmark's `changeTenPercent`, made through the simulator's org), then a poll after 4% of the
 * users moved team (`moveFourPercent`: ~1,600 membership changes, the user list's bytes the ones
 * the 10% row recorded, so the poll reads it by its digest and never parses its users), then a
 * poll after one user's record changed (`changeOneUser`: the commonest drift of a large org; the
 * user list is read patched, that user alone parsed).
 *
 * Then the rows of a real deployment, which also records escalation policies, schedules and
 * routing keys: an unchanged poll without policies (the org as the team-moves row left it: the roster
 * the last row polls, so the two differ only by the policy baseline), the policy baseline
 * (`policy-poll --no-deliver`: the simulator's 498 policies, their teams' schedules and its demo
 * routing keys, the default `.+` among them, as every real org has one; on the database the rows
 * above left), an unchanged poll with it, and another: what most polls of a deployment are. The
 * first roster poll after a policy poll recomputes the coverage findings (walking every schedule's
 * shifts, and the routing keys' reach), a cost the rows without policies do not show; the next
 * carries them over while nothing they read can have changed (cycles/coverage-plan.ts). The rows above run before the policy poll, so their meaning
 * is as it was; the routing keys are derived without drawing from the org's random streams, and a
 * roster poll does not read them. Last, a policy poll that finds the policies unchanged: what a
 * deployment's hourly policy poll pays.
 *
 * The simulator runs in this process (the caller's), so its memory and CPU are not the CLI's.
 * BENCH_CLI points at another build's dist/cli.js (a "before" build in a scratch copy);
 * BENCH_CLI_NODE_FLAGS adds node command-line flags (space-separated) before it, for comparing V8
 * settings on a build whose own setting was switched off. BENCH_CLI_ENV adds variables to the CLI's
 * environment (space-separated NAME=value), e.g. `MALLOC_ARENA_MAX=2` to measure glibc's arenas.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Simulator } from '../simulator/simulator.js';
import { startSimulator } from '../simulator/simulator.js';

const REPORTER = fileURLToPath(new URL('./rusage-report.js', import.meta.url));
/** This build's CLI, which the rows run unless told another. */
export const BUILT_CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const execFileAsync = promisify(execFile);

export interface PollCliRow {
  step:
    | 'start (poll --help)'
    | 'baseline'
    | 'unchanged'
    | '10% changed'
    | 'team moves (user list unchanged)'
    | 'one user changed (user list patched)'
    | 'unchanged, before policies'
    | 'policy baseline (policy-poll)'
    | 'unchanged, with policies'
    | 'unchanged, with policies, again'
    | 'policy poll, unchanged (policy-poll)';
  cpuSeconds: number;
  peakRssMb: number;
  /** Bytes the process wrote (rusage-report.ts: /proc/self/io `wchar`), or null off Linux. */
  writtenBytes: number | null;
  /** The CLI's last line on stdout: its result (a failed run ends the benchmark with its stderr). */
  said: string;
}

/** Runs the CLI once (asynchronously: the event loop stays free for the simulator). */
async function runCli(
  cli: string,
  nodeFlags: readonly string[],
  args: string[],
  env: Record<string, string>,
  usageFile: string,
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(
      process.execPath,
      [...nodeFlags, '--import', REPORTER, cli, ...args],
      {
        env: { PATH: process.env.PATH ?? '', ...env, BENCH_RUSAGE_FILE: usageFile },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    return stdout;
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    throw new Error(`roster-watch ${args.join(' ')} exited ${failed.code}: ${failed.stderr ?? error}`);
  }
}

/** The persist benchmark's 10% change, made in the simulator's org (users in the org's order). */
export function changeTenPercent(sim: Simulator): void {
  const users = sim.org.listUsers().map((u) => ({ ...u }));
  const count = users.length;
  const emailChanges = Math.floor(count * 0.05);
  const leavers = users.filter((_, i) => i % 10 === 5).slice(0, Math.floor(count * 0.04));
  const deleted = users.filter((_, i) => i % 10 === 7).slice(0, Math.floor(count * 0.01));
  for (const user of users.filter((_, i) => i % 10 === 0).slice(0, emailChanges)) {
    sim.org.updateUser(user.username, {
      firstName: user.firstName,
      lastName: user.lastName,
      email: `changed.${user.username}@example.com`,
    });
  }
  for (const user of leavers)
    for (const team of sim.org.teamsOfUser(user.username)) sim.org.removeMember(team.slug, user.username);
  for (const user of deleted) sim.org.removeUser(user.username);
}

/**
 * People moving between teams, the commonest drift, with the user list's bytes unchanged: every
 * 25th user (800 of 20,000) leaves the first of their teams for a team they are not in (the one
 * 7 places on in the org's list, or the next free after it): ~1,600 membership changes. Its own row
 * because the poll then takes the known user list's path (its users unparsed), unlike the 10% row.
 */
export function moveFourPercent(sim: Simulator): void {
  const teams = sim.org.listTeams();
  sim.org.listUsers().forEach((user, i) => {
    if (i % 25 !== 3) return;
    const current = sim.org.teamsOfUser(user.username);
    const mine = new Set(current.map((team) => team.slug));
    for (let step = 7; step < 7 + teams.length; step++) {
      const target = teams[(i + step) % teams.length]!;
      if (mine.has(target.slug)) continue;
      if (current[0] !== undefined) sim.org.removeMember(current[0].slug, user.username);
      sim.org.addMember(target.slug, user.username);
      return;
    }
  });
}

/**
 * The drift a large org's polls meet most: one user's record changes (here an address; a password
 * change moves `passwordLastUpdated` alike), so the user list's bytes differ from the recorded
 * ones in that user's alone. The poll then reads the list as a patched one (its other users by
 * their bytes' digests, unparsed; victorops/user-list-reader.ts) and no team (the hints).
 */
export function changeOneUser(sim: Simulator): void {
  const users = sim.org.listUsers();
  const user = users[Math.floor(users.length / 2)];
  if (user === undefined) return;
  sim.org.updateUser(user.username, {
    firstName: user.firstName,
    lastName: user.lastName,
    email: `moved.${user.username}@example.com`,
  });
}

/** The simulator serving the persist benchmark's org (seed 7), unlimited, with routing keys. */
export function startBenchOrg(users: number, teams: number): Promise<Simulator> {
  return startSimulator({
    users,
    teams,
    seed: 7,
    rateLimit: null,
    policyListPerMinute: 0,
    // A real org always has at least the default key with a target, so the coverage findings judge keys.
    routingKeys: true,
  });
}

/**
 * How the CLI reaches `startBenchOrg`'s simulator: its key, and 1,000 requests a second so the
 * rows do not wait (VictorOps' keys run at ~2: the rate budget's cost per request is higher here).
 */
export function benchOrgClientEnv(sim: Simulator): Record<string, string> {
  return { VO_API_ID: 'sim-api-id', VO_API_KEY: 'sim-api-key', VO_BASE_URL: sim.url, VO_MAX_RPS: '1000' };
}

export async function benchPollCli(options: {
  dir: string;
  users: number;
  teams: number;
  cli?: string;
  /** Node command-line flags before the CLI's own setting (none: what a user gets). */
  nodeFlags?: readonly string[];
  /** More variables for the CLI's environment (e.g. MALLOC_ARENA_MAX). */
  env?: Readonly<Record<string, string>>;
}): Promise<PollCliRow[]> {
  const cli = options.cli ?? BUILT_CLI;
  const nodeFlags = options.nodeFlags ?? [];
  const sim = await startBenchOrg(options.users, options.teams);
  const usageFile = join(options.dir, 'cli-usage.json');
  const env = {
    ...benchOrgClientEnv(sim),
    // Not cli.db: the stage rows' database for the CLI's V8 setting is named so.
    DATABASE_PATH: join(options.dir, 'cli-rows.db'),
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    // The simulator does not limit the policy list; the CLI's own spacing of its reads would only wait.
    POLICY_LIST_MIN_INTERVAL_MS: '0',
    ...options.env,
  };
  const rows: PollCliRow[] = [];
  const measure = async (step: PollCliRow['step'], args: string[]) => {
    rmSync(usageFile, { force: true });
    const stdout = await runCli(cli, nodeFlags, args, env, usageFile);
    const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as {
      peakRssMb: number;
      cpuSeconds: number;
      writtenBytes?: number | null;
    };
    const said = step.startsWith('start') ? '' : (stdout.trim().split('\n').at(-1) ?? '');
    rows.push({
      step,
      cpuSeconds: usage.cpuSeconds,
      peakRssMb: usage.peakRssMb,
      writtenBytes: usage.writtenBytes ?? null,
      said,
    });
  };
  try {
    await measure('start (poll --help)', ['poll', '--help']);
    await measure('baseline', ['poll', '--no-deliver']);
    await measure('unchanged', ['poll', '--no-deliver']);
    changeTenPercent(sim);
    await measure('10% changed', ['poll', '--no-deliver']);
    moveFourPercent(sim);
    await measure('team moves (user list unchanged)', ['poll', '--no-deliver']);
    changeOneUser(sim);
    await measure('one user changed (user list patched)', ['poll', '--no-deliver']);
    await measure('unchanged, before policies', ['poll', '--no-deliver']);
    await measure('policy baseline (policy-poll)', ['policy-poll', '--no-deliver']);
    await measure('unchanged, with policies', ['poll', '--no-deliver']);
    await measure('unchanged, with policies, again', ['poll', '--no-deliver']);
    // Last, so that the rows above are what they were: a deployment's hourly policy poll.
    await measure('policy poll, unchanged (policy-poll)', ['policy-poll', '--no-deliver']);
    return rows;
  } finally {
    await sim.close();
  }
}

/**
 * What membership hints save: requests and wall time per poll for a 10,000-user / 300-team org
 * polled every 60 s with a 1 h verify interval, against the same poll with hints off; a poll with
 * 5 changed teams; and two hours of polls with one swap an hour (a member leaves a team and another
 * joins it: `memberCount` and, as on the real API, `version` stay put). Each poll is the App's own
 * (`createApp` from a config pointing at the simulator), so the real fetcher, decision and SQLite
 * store run as `roster-watch poll` runs them; a clock moved 60 s per poll stands in for the
 * schedule, so a verify interval takes seconds, not an hour.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../app.js';
import { type Clock, systemClock } from '../clock.js';
import { loadConfig } from '../config/load-config.js';
import type { PollResult } from '../cycles/poll-cycle.js';
import { createSilentLogger } from '../logger.js';
import { isMembershipEvent } from '../roster/events.js';
import { startSimulator } from '../simulator/simulator.js';

export interface HintsBenchRow {
  scenario: string;
  requests: number;
  seconds: number | null;
  membershipEvents: number;
  note: string;
}

const MINUTE = 60_000;

export async function benchHints(options: {
  users: number;
  teams: number;
  rps: number;
}): Promise<HintsBenchRow[]> {
  const sim = await startSimulator({ users: options.users, teams: options.teams, seed: 7 });
  const dir = mkdtempSync(join(tmpdir(), 'rw-hints-bench-'));
  const databasePath = join(dir, 'bench.db');
  // Each poll starts a minute after the one before (or when it ended, if it took longer: a schedule
  // skips the ticks a poll overruns), and wall time runs on in real time within a poll: the shared
  // rate budget schedules its slots in wall time, and a clock frozen during a poll made every slot
  // look further ahead than the last, so the bench stalled. Pacing sleeps for real.
  let pollStartMs = Date.parse('2026-06-01T00:00:00Z');
  let pollStartPerf = performance.now();
  const clock: Clock = {
    now: () => pollStartMs + Math.floor(performance.now() - pollStartPerf),
    monotonicMs: () => performance.now(),
    sleep: systemClock.sleep,
  };
  const logger = createSilentLogger();
  const configFor = (rps: number, hints: 'auto' | 'off') =>
    loadConfig(
      {
        VO_API_ID: 'sim-api-id',
        VO_API_KEY: 'sim-api-key',
        VO_BASE_URL: sim.url,
        VO_MAX_RPS: String(rps),
        DATABASE_PATH: databasePath,
        MEMBERSHIP_HINTS: hints,
        MEMBERSHIP_VERIFY_INTERVAL: '1h',
      },
      { requireVictorOps: true },
    );
  const poll = async (rps: number, hints: 'auto' | 'off' = 'auto') => {
    pollStartMs = Math.max(pollStartMs + MINUTE, clock.now() + 1);
    pollStartPerf = performance.now();
    const config = configFor(rps, hints);
    // One App per poll, as each `roster-watch poll` is one process; its timing includes opening
    // the (already migrated) database, a few milliseconds beside the requests. The fetch itself
    // paces on `clock.sleep`, the real one: wall time at `rps` is what an operator would wait.
    const app = createApp({ config, logger, clock });
    try {
      const started = performance.now();
      const result = await app.pollRoster(new AbortController().signal);
      return { result, seconds: (performance.now() - started) / 1000 };
    } finally {
      await app.close();
    }
  };
  const membershipEvents = (r: PollResult) => r.events.filter((e) => isMembershipEvent(e.type)).length;
  const requests = (r: PollResult) => r.fetched?.stats.requests ?? 0;
  const rows: HintsBenchRow[] = [];
  const fast = 1_000;
  try {
    await poll(fast);
    await poll(fast);
    const quiet = await poll(options.rps);
    rows.push({
      scenario: 'nothing changed, hints on',
      requests: requests(quiet.result),
      seconds: quiet.seconds,
      membershipEvents: membershipEvents(quiet.result),
      note: `${options.rps} req/s`,
    });

    const teams = sim.org.listTeams().slice(0, 5);
    for (const team of teams) {
      const members = new Set(sim.org.membersOfTeam(team.slug).map((u) => u.username));
      const outsider = sim.org.listUsers().find((u) => !members.has(u.username));
      if (outsider) sim.org.addMember(team.slug, outsider.username);
    }
    const changed = await poll(options.rps);
    rows.push({
      scenario: '5 teams changed, hints on',
      requests: requests(changed.result),
      seconds: changed.seconds,
      membershipEvents: membershipEvents(changed.result),
      note: `expected 2 + 5 + slice; 5 membership events in this poll`,
    });

    rows.push(await benchSwaps(sim, poll, () => clock.now()));
    // Last: at 2 req/s it takes minutes, and the poll after it would owe minutes of verification.
    const off = await poll(options.rps, 'off');
    rows.splice(1, 0, {
      scenario: 'nothing changed, hints off',
      requests: requests(off.result),
      seconds: off.seconds,
      membershipEvents: membershipEvents(off.result),
      note: `${options.rps} req/s`,
    });
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/**
 * 120 polls a minute apart with a swap at the start of each hour (two different teams): the most
 * requests any poll made, and how long each swap took to be found by verification.
 */
async function benchSwaps(
  sim: Awaited<ReturnType<typeof startSimulator>>,
  poll: (rps: number) => Promise<{ result: PollResult }>,
  now: () => number,
): Promise<HintsBenchRow> {
  const POLLS = 120;
  const populated = sim.org.listTeams().filter((team) => sim.org.memberCount(team.slug) > 0);
  let maxRequests = 0;
  let totalRequests = 0;
  let catches = 0;
  let notices = 0;
  let events = 0;
  const delays: number[] = [];
  let swappedAtMs: number | null = null;
  for (let i = 0; i < POLLS; i++) {
    if (i % 60 === 0) {
      const team = populated.at(-1 - i / 60);
      const members = team ? sim.org.membersOfTeam(team.slug) : [];
      const outsider = sim.org.listUsers().find((u) => !members.includes(u));
      if (team && members[0] && outsider) {
        sim.org.removeMember(team.slug, members[0].username);
        sim.org.addMember(team.slug, outsider.username);
        swappedAtMs = now();
      }
    }
    const { result } = await poll(1_000);
    const requests = result.fetched?.stats.requests ?? 0;
    maxRequests = Math.max(maxRequests, requests);
    totalRequests += requests;
    catches += result.verifyCatches;
    events += result.events.filter((e) => isMembershipEvent(e.type)).length;
    notices += result.events.filter((e) => e.type === 'rosterwatch.hints.unreliable').length;
    if (result.verifyCatches > 0 && swappedAtMs !== null) {
      delays.push(Math.round((now() - swappedAtMs) / MINUTE));
      swappedAtMs = null;
    }
  }
  return {
    scenario: `1 swap per hour over ${POLLS} polls (version moves only on renames)`,
    requests: maxRequests,
    seconds: null,
    membershipEvents: events,
    note: `most requests in one poll (mean ${(totalRequests / POLLS).toFixed(1)}); ${catches} swaps caught by verification ${delays.join(' and ')} min after they happened (verify interval 60 min); ${notices} unreliable notices`,
  };
}

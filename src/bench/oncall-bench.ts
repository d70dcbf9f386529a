/**
 * The on-call report over a long recorded history: 300 teams, each a two-person 12-hour rotation
 * with a 4-hour override every third day, read every 15 minutes for 90 days with the default
 * 14-day window, then `oncall-report` over all of it through the App (the stored parts, display
 * names, union per person, split). The history is written by the policy poll's own recorder (recordOncallReads, through recordPolicyRead), one
 * transaction per poll, with the schedules handed in: the fetch and the rest of the policy cycle
 * would only add to the set-up time, not to what the report reads. A team whose read at a poll
 * holds exactly the shifts of its read at the previous poll is not handed to the recorder, which
 * would store nothing for it (showsSameFrom): the database is the same, and setting up 2.6 million
 * team reads on a shared machine would take an hour.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createApp } from '../app.js';
import { loadConfig } from '../config/load-config.js';
import { createSilentLogger } from '../logger.js';
import { applyOverrides } from '../roster/on-call.js';
import type { Shift, TeamSchedule } from '../roster/policy-types.js';
import { openStore } from '../store/db.js';
import { recordPolicyRead } from './policy-reads.js';

export interface OncallBenchResult {
  teams: number;
  days: number;
  polls: number;
  storedReads: number;
  databaseMb: number;
  setupSeconds: number;
  rows: number;
  firstMs: number;
  p50Ms: number;
  maxMs: number;
}

const H = 3_600_000;
const DAY = 24 * H;
const iso = (ms: number) => new Date(ms).toISOString();

function teamShifts(team: number, fromMs: number, untilMs: number): Shift[] {
  const policy = { policySlug: `pol-bench-${team}`, policyName: `Bench policy ${team}` };
  const rolls: Shift[] = [];
  for (let t = fromMs; t < untilMs; t += 12 * H) {
    const n = Math.floor(t / (12 * H));
    rolls.push({
      ...policy,
      rotationName: 'Primary',
      shiftName: '12h',
      username: `user-${team}-${n % 2}`,
      start: iso(t),
      end: iso(t + 12 * H),
    });
  }
  const overrides = [];
  for (let t = fromMs + 2 * H; t < untilMs; t += 3 * DAY) {
    const n = Math.floor(t / (12 * H));
    overrides.push({
      originalUsername: `user-${team}-${n % 2}`,
      overrideUsername: `user-${team}-cover`,
      start: iso(t),
      end: iso(t + 4 * H),
    });
  }
  return applyOverrides(rolls, overrides);
}

export async function benchOncall(options: {
  teams: number;
  days: number;
  samples: number;
}): Promise<OncallBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-oncall-'));
  const path = join(dir, 'oncall.db');
  try {
    const start = Date.parse('2026-01-05T00:00:00Z');
    const end = start + options.days * DAY;
    const windowMs = 14 * DAY;
    const all = Array.from({ length: options.teams }, (_, i) => teamShifts(i, start, end + windowMs));
    const setupStarted = performance.now();
    const store = openStore(path);
    let polls = 0;
    // Per team, the first roll still running and the first one beyond the window: both only move on.
    const first = all.map(() => 0);
    const beyond = all.map(() => 0);
    const bounds = all.map((shifts) => shifts.map((s) => [Date.parse(s.start), Date.parse(s.end)] as const));
    for (let t = start; t < end; t += 15 * 60_000, polls++) {
      const schedules: TeamSchedule[] = [];
      all.forEach((shifts, i) => {
        const b = bounds[i] ?? [];
        const was = `${first[i]}:${beyond[i]}`;
        // What a read at t shows: the rolls overlapping [t, t + 14 days).
        while ((first[i] ?? 0) < b.length && (b[first[i] ?? 0]?.[1] ?? 0) <= t)
          first[i] = (first[i] ?? 0) + 1;
        while ((beyond[i] ?? 0) < b.length && (b[beyond[i] ?? 0]?.[0] ?? 0) < t + windowMs)
          beyond[i] = (beyond[i] ?? 0) + 1;
        if (polls > 0 && `${first[i]}:${beyond[i]}` === was) return;
        schedules.push({
          team: { slug: `team-bench-${i}`, name: `Bench team ${i}` },
          shifts: shifts.slice(first[i], beyond[i]),
          fetchedAt: iso(t),
        });
      });
      recordPolicyRead(store, iso(t), schedules);
    }
    const storedReads = (
      store.sqlite.prepare('SELECT count(*) AS n FROM oncall_reads').get() as { n: number }
    ).n;
    store.close();
    const setupSeconds = (performance.now() - setupStarted) / 1000;

    const config = loadConfig({ DATABASE_PATH: path }, { requireVictorOps: false });
    const app = createApp({ config, logger: createSilentLogger() });
    const times: number[] = [];
    let rows = 0;
    try {
      for (let i = 0; i < options.samples; i++) {
        const began = performance.now();
        rows = app.oncallReport({ fromIso: iso(start), toIso: iso(end) }).rows.length;
        times.push(performance.now() - began);
      }
    } finally {
      await app.close();
    }
    const sorted = [...times].sort((a, b) => a - b);
    return {
      teams: options.teams,
      days: options.days,
      polls,
      storedReads,
      databaseMb: statSync(path).size / 1024 / 1024,
      setupSeconds,
      rows,
      firstMs: times[0] ?? 0,
      p50Ms: sorted[Math.floor(sorted.length / 2)] ?? 0,
      maxMs: sorted.at(-1) ?? 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

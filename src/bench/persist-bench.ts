/**
 * Diff + persist cost of a poll on a large org, measured in a process of its own so that peak RSS
 * is this work's: CPU time for an unchanged poll and for one where 10% of users changed, and the
 * database bytes an unchanged poll adds.
 *
 * A benchmark of the poll cycle's own stage, decide + record, so it drives runPollCycle with the
 * roster handed in rather than through createApp: the App's poll would add 502 HTTP requests and
 * their JSON parsing (the fetch, measured on its own by `fetch` and `hints`) to every figure here,
 * and the figures would no longer say what recording a poll costs.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../clock.js';
import { type PolicyCycleDeps, runPolicyPollCycle } from '../cycles/policy-cycle.js';
import { type PollCycleDeps, runPollCycle } from '../cycles/poll-cycle.js';
import { createSilentLogger } from '../logger.js';
import { normaliseRoster } from '../roster/normalise.js';
import type { PolicyEntry } from '../roster/policy-entries.js';
import type { FetchedPolicies, Policy, TeamSchedule } from '../roster/policy-types.js';
import type { FetchedRoster, Roster } from '../roster/types.js';
import { generateOrg } from '../simulator/generate.js';
import { openStore, type Store } from '../store/db.js';

export interface PersistBenchResult {
  users: number;
  teams: number;
  memberships: number;
  policies: number;
  shifts: number;
  baselineCpuSeconds: number;
  unchangedCpuSeconds: number;
  changedCpuSeconds: number;
  changedEvents: number;
  /** An unchanged poll that followed the hints: 5 teams read, the rest carried from the history. */
  hintedCpuSeconds: number;
  /** Growth of the database file (whole pages) per unchanged poll, mean over many polls. */
  unchangedBytesAdded: number;
  /** Bytes of pages actually used (SQLite's dbstat), per unchanged poll. */
  unchangedUsedBytesAdded: number;
  peakRssMb: number;
  /** Peak RSS (MB) reached by the end of each stage, to see which stage sets the peak. */
  peakRssByStageMb: Record<string, number>;
}

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/**
 * The database's size after a WAL checkpoint: the file (whole pages) and the bytes in use across
 * all pages (page size minus unused space, from SQLite's dbstat table).
 */
export function databaseBytes(path: string, store: Store): { file: number; used: number } {
  store.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  let file = 0;
  for (const suffix of ['', '-wal']) {
    try {
      file += statSync(path + suffix).size;
    } catch {
      // no WAL file
    }
  }
  const row = store.sqlite.prepare('SELECT SUM(pgsize - unused) AS used FROM dbstat').get() as {
    used: number;
  };
  return { file, used: row.used };
}

/** What both cycles' dependencies share in the benchmarks: no destinations, a silent logger. */
function commonDeps(store: Store) {
  return {
    store,
    clock: systemClock,
    logger: createSilentLogger(),
    source: 'urn:roster-watch:bench',
    destinations: [],
  };
}

/** The org's size, as the benchmarks' tables name it. */
export function orgSize(org: BenchOrg) {
  return {
    users: org.roster.users.length,
    teams: org.roster.teams.length,
    memberships: org.roster.memberships.length,
    policies: org.policies.policies.length,
    shifts: org.policies.schedules.reduce((n, s) => n + s.shifts.length, 0),
  };
}

/** The roster cycle's dependencies as the benchmarks drive it: the fetch hands `fetch()`'s roster in. */
export function benchPollDeps(
  store: Store,
  fetch: () => { roster: Roster; hints?: FetchedRoster['hints'] },
): PollCycleDeps {
  return {
    ...commonDeps(store),
    guard: { maxFraction: 1, min: 1_000_000, confirmations: 1 },
    pollFailingAfter: 3,
    fetchRoster: async () => {
      const { roster, hints } = fetch();
      return {
        roster,
        strategy: 'team',
        failedScopes: [],
        stats: { requests: 0, retries: 0, rateLimited: 0 },
        startedAt: new Date().toISOString(),
        finishedAt: new Date().toISOString(),
        ...(hints ? { hints } : {}),
      };
    },
  };
}

/** The policy cycle's dependencies as the benchmarks drive it, its fetch answering `policies`. */
export function benchPolicyDeps(store: Store, policies: FetchedPolicies): PolicyCycleDeps {
  return {
    ...commonDeps(store),
    policyListMinIntervalMs: 0,
    pollFailingAfter: 3,
    whenListTooSoon: 'wait',
    fetchPolicies: async () => policies,
  };
}

/** As a hinted fetch returns `base`: only 5 read teams' members; the others are carried. */
export function hintedFetch(base: Roster): { roster: Roster; hints: NonNullable<FetchedRoster['hints']> } {
  const read = new Set(base.teams.slice(0, 5).map((t) => t.slug));
  return {
    roster: { ...base, memberships: base.memberships.filter((m) => read.has(m.teamSlug)) },
    hints: {
      listed: base.teams.map((t) => ({ slug: t.slug, version: 1, memberCount: null })),
      read: [...read],
      carried: base.teams.map((t) => t.slug).filter((slug) => !read.has(slug)),
      verified: [],
    },
  };
}

function cpuSeconds(fn: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  return fn().then(() => {
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1e6;
  });
}

interface BenchOrg {
  roster: Roster;
  policies: FetchedPolicies;
}

/** The generated org as roster-watch would read it: roster, escalation policies and schedules. */
export function buildOrg(options: { users: number; teams: number }): BenchOrg {
  const org = generateOrg({ users: options.users, teams: options.teams, seed: 7 });
  const roster = normaliseRoster({
    users: org.users.map((u) => ({ ...u, displayName: null })),
    teams: org.teams.map((t) => ({ slug: t.slug, name: t.name })),
    memberships: org.memberships,
  });
  const policies: Policy[] = org.policies.map((p) => ({
    slug: p.slug,
    name: p.name,
    teamSlug: p.teamSlug,
    steps: p.steps.map((step, i) => ({
      index: i + 1,
      timeout: step.timeout,
      entries: step.entries.map(
        (e): PolicyEntry =>
          e.executionType === 'user'
            ? { kind: 'user', username: e.username }
            : e.executionType === 'rotation_group'
              ? {
                  kind: 'rotation',
                  executionType: e.executionType,
                  rotationSlug: e.rotationSlug,
                  rotationLabel: e.rotationLabel ?? e.rotationSlug,
                }
              : { kind: 'other', executionType: e.executionType, target: '' },
      ),
    })),
  }));
  const policyName = new Map(policies.map((p) => [p.slug, p.name]));
  const schedules: TeamSchedule[] = roster.teams.map((team) => ({
    team,
    shifts: org.shifts
      .filter((shift) => shift.teamSlug === team.slug)
      .map((shift) => ({
        policySlug: shift.policySlug,
        policyName: policyName.get(shift.policySlug) ?? shift.policySlug,
        rotationName: shift.rotationName,
        shiftName: shift.shiftName,
        username: shift.username,
        start: shift.start,
        end: shift.end,
      })),
  }));
  const now = new Date().toISOString();
  return {
    roster,
    policies: {
      policies,
      schedules,
      failedScopes: [],
      stats: { requests: 0, retries: 0, rateLimited: 0 },
      startedAt: now,
      finishedAt: now,
    },
  };
}

/**
 * 10% of users change: 1,000 change their email, 800 leave every team they were on, and 200 are
 * deleted outright (which leaves dangling policy references and orphaned shifts to find).
 */
export function changeTenPercent(base: Roster): Roster {
  const count = base.users.length;
  const emailChanges = Math.floor(count * 0.05);
  const leavers = new Set(
    base.users
      .filter((_, i) => i % 10 === 5)
      .slice(0, Math.floor(count * 0.04))
      .map((u) => u.username),
  );
  const deleted = new Set(
    base.users
      .filter((_, i) => i % 10 === 7)
      .slice(0, Math.floor(count * 0.01))
      .map((u) => u.username),
  );
  const users = base.users
    .filter((u) => !deleted.has(u.username))
    .map((u, i) => (i % 10 === 0 && i / 10 < emailChanges ? { ...u, email: `changed.${i}@example.com` } : u));
  return normaliseRoster({
    users,
    teams: base.teams,
    memberships: base.memberships.filter((m) => !leavers.has(m.username) && !deleted.has(m.username)),
  });
}

/** Polls per unchanged stage; BENCH_PERSIST_POLLS lowers it for a quick profile (bytes are then noisier). */
const UNCHANGED_POLLS = Math.max(1, Number(process.env.BENCH_PERSIST_POLLS) || 20);

export async function benchPersist(options: { users: number; teams: number }): Promise<PersistBenchResult> {
  const stages: Record<string, number> = {};
  const org = buildOrg(options);
  const base = org.roster;
  stages.org = peakRssMb();
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-'));
  const path = join(dir, 'bench.db');
  const store = openStore(path);
  let next: Roster = base;
  let hints: FetchedRoster['hints'];
  const deps = benchPollDeps(store, () => ({ roster: next, ...(hints ? { hints } : {}) }));
  const signal = new AbortController().signal;
  try {
    const baselineCpuSeconds = await cpuSeconds(() => runPollCycle(deps, signal));
    stages.baseline = peakRssMb();
    // Policies and schedules recorded once, so every roster poll below also recomputes coverage.
    await runPolicyPollCycle(benchPolicyDeps(store, org.policies), signal);
    stages.policies = peakRssMb();
    const bytesBefore = databaseBytes(path, store);
    const unchangedCpuSeconds = await cpuSeconds(() => runPollCycle(deps, signal));
    for (let i = 1; i < UNCHANGED_POLLS; i++) await runPollCycle(deps, signal);
    const bytesAfter = databaseBytes(path, store);
    // Averaged over many polls: one run row rarely needs a page of its own.
    const unchangedBytesAdded = (bytesAfter.file - bytesBefore.file) / UNCHANGED_POLLS;
    const unchangedUsedBytesAdded = (bytesAfter.used - bytesBefore.used) / UNCHANGED_POLLS;
    stages.unchanged = peakRssMb();
    ({ roster: next, hints } = hintedFetch(base));
    const hintedCpuSeconds = await cpuSeconds(() => runPollCycle(deps, signal));
    for (let i = 1; i < UNCHANGED_POLLS; i++) await runPollCycle(deps, signal);
    stages.hinted = peakRssMb();
    hints = undefined;
    next = changeTenPercent(base);
    let changedEvents = 0;
    const changedCpuSeconds = await cpuSeconds(async () => {
      changedEvents = (await runPollCycle(deps, signal)).events.length;
    });
    stages.changed = peakRssMb();
    return {
      ...orgSize(org),
      baselineCpuSeconds,
      unchangedCpuSeconds,
      changedCpuSeconds,
      changedEvents,
      hintedCpuSeconds,
      unchangedBytesAdded,
      unchangedUsedBytesAdded,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      peakRssByStageMb: stages,
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

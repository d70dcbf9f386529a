/**
 * The poll alone (issue 21): each stage of the persist benchmark in a fresh process of its own, so
 * its peak RSS is that poll's and not the generator's. The persist benchmark generates the org in
 * the process it measures (the generated org and the rosters built from it peak at ~130 MB before
 * the first poll); here one process generates the org and writes what the fetch would hand the
 * cycle to JSON files, and every stage after it is a new `node` that reads its file, opens the
 * database the stage before left, runs one `runPollCycle` (or `runPolicyPollCycle`) and reports:
 *
 * - the cycle's CPU (user + system), as the persist benchmark reports it;
 * - the process's CPU from start to end (module loading, reading and parsing the ~5 MB fetched
 *   roster, opening the database, the cycle);
 * - the process's peak RSS (everything a `roster-watch poll` holds, less the HTTP client).
 *
 * The stages run in order on one database: baseline (empty database), policies, unchanged (the
 * first poll is timed; then more in the same process for the bytes an unchanged poll adds to the
 * database and appends to its WAL, by table: wal-written.ts),
 * hinted, changed. run.ts runs the sequence once per V8 setting (Node's defaults,
 * `--optimize-for-size`, the CLI's), side by side in one run; poll-alone-child.ts is the stage's
 * process.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPolicyPollCycle } from '../cycles/policy-cycle.js';
import { runPollCycle } from '../cycles/poll-cycle.js';
import type { FetchedPolicies } from '../roster/policy-types.js';
import type { FetchedRoster, Roster } from '../roster/types.js';
import { openStore } from '../store/db.js';
import {
  benchPolicyDeps,
  benchPollDeps,
  buildOrg,
  changeTenPercent,
  databaseBytes,
  hintedFetch,
  orgSize,
} from './persist-bench.js';
import { resetWal, type WalWritten, walWritten } from './wal-written.js';

export const POLL_ALONE_STAGES = ['baseline', 'policies', 'unchanged', 'hinted', 'changed'] as const;
export type PollAloneStage = (typeof POLL_ALONE_STAGES)[number];

export interface PollAloneStageResult {
  stage: PollAloneStage;
  /** CPU of the cycle itself (user + system). */
  cycleCpuSeconds: number;
  /** CPU of the whole process up to the end of the cycle: start-up, the file's parse, the cycle. */
  processCpuSeconds: number;
  peakRssMb: number;
  events: number;
  /** Unchanged stage only: bytes the database grew per poll (file / pages used), mean over the polls. */
  bytesAdded?: { file: number; used: number; polls: number };
  /**
   * Unchanged stage only: what each poll appended to the WAL (pages rewritten in place included),
   * mean over the same polls; frames by table or index.
   */
  walWritten?: WalWritten & { polls: number };
}

const fileOf = (dir: string, stage: PollAloneStage): string =>
  join(dir, stage === 'policies' ? 'policies.json' : `${stage}.json`);

/**
 * Generates the org (a process of its own) and writes one JSON file per stage: what the fetch of
 * that poll hands the cycle.
 */
export function preparePollAlone(options: {
  dir: string;
  users: number;
  teams: number;
}): ReturnType<typeof orgSize> {
  const org = buildOrg(options);
  const base = org.roster;
  const roster = (r: Roster, hints?: FetchedRoster['hints']) => JSON.stringify({ roster: r, hints });
  writeFileSync(fileOf(options.dir, 'baseline'), roster(base));
  writeFileSync(fileOf(options.dir, 'unchanged'), roster(base));
  writeFileSync(fileOf(options.dir, 'changed'), roster(changeTenPercent(base)));
  const hinted = hintedFetch(base);
  writeFileSync(fileOf(options.dir, 'hinted'), roster(hinted.roster, hinted.hints));
  writeFileSync(fileOf(options.dir, 'policies'), JSON.stringify(org.policies));
  return orgSize(org);
}

function cpuNow(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1e6;
}

/** One stage, in the process that calls it (run.ts starts a fresh one per stage). */
export async function runPollAloneStage(options: {
  dir: string;
  database: string;
  stage: PollAloneStage;
  /** Unchanged stage: how many polls in all (the first is timed), for the bytes figure. */
  polls: number;
}): Promise<PollAloneStageResult> {
  const { stage } = options;
  const text = readFileSync(fileOf(options.dir, stage), 'utf8');
  const store = openStore(options.database);
  const signal = new AbortController().signal;
  try {
    if (stage === 'policies') {
      const deps = benchPolicyDeps(store, JSON.parse(text) as FetchedPolicies);
      const before = cpuNow();
      const result = await runPolicyPollCycle(deps, signal);
      if (result.status !== 'baseline')
        throw new Error(`policy poll: ${result.status} ${result.error ?? ''}`);
      return finish(stage, before, result.events.length);
    }
    const fetched = JSON.parse(text) as { roster: Roster; hints?: FetchedRoster['hints'] };
    const deps = benchPollDeps(store, () => fetched);
    const bytesBefore = stage === 'unchanged' ? databaseBytes(options.database, store) : null;
    const before = cpuNow();
    const result = await runPollCycle(deps, signal);
    const expected = stage === 'baseline' ? 'baseline' : 'ok';
    if (result.status !== expected || (stage === 'changed') !== result.changes > 0)
      throw new Error(
        `${stage} poll: expected ${expected}, got ${result.status} with ${result.changes} changes ${result.error ?? ''}`,
      );
    const done = finish(stage, before, result.events.length);
    if (bytesBefore !== null) {
      // databaseBytes truncated the WAL before the timed poll, so it holds that poll's frames only.
      const written = [walWritten(options.database, store)];
      for (let i = 1; i < options.polls; i++) {
        resetWal(store);
        await runPollCycle(deps, signal);
        written.push(walWritten(options.database, store));
      }
      done.walWritten = meanWritten(written);
      const after = databaseBytes(options.database, store);
      done.bytesAdded = {
        file: (after.file - bytesBefore.file) / options.polls,
        used: (after.used - bytesBefore.used) / options.polls,
        polls: options.polls,
      };
    }
    return done;
  } finally {
    store.close();
  }
}

function meanWritten(all: readonly WalWritten[]): WalWritten & { polls: number } {
  const byName: Record<string, number> = {};
  for (const w of all)
    for (const [name, frames] of Object.entries(w.byName))
      byName[name] = (byName[name] ?? 0) + frames / all.length;
  const mean = (pick: (w: WalWritten) => number) => all.reduce((sum, w) => sum + pick(w), 0) / all.length;
  return { bytes: mean((w) => w.bytes), frames: mean((w) => w.frames), byName, polls: all.length };
}

function finish(stage: PollAloneStage, cycleStart: number, events: number): PollAloneStageResult {
  const end = cpuNow();
  return {
    stage,
    cycleCpuSeconds: end - cycleStart,
    processCpuSeconds: end,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    events,
  };
}

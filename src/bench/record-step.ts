/**
 * What the changed poll's record step writes and what each part of the schema costs it (issue 21,
 * twenty-eighth part of docs/benchmarks.md). Run on its own: `node dist/bench/record-step.js
 * [rounds]` (default 3).
 *
 * The persist benchmark's org (20,000 users / 500 teams, seed 7) is recorded once as a baseline;
 * then, per round and per variant, a copy of that database takes the CLI rows' 10% change
 * (changeAsTheCliRows) through runPollCycle with the one-off CLI poll's 2 MB page cache, and the
 * cycle's CPU and the WAL it wrote are measured. A reader holds a snapshot open meanwhile, so no
 * checkpoint can reuse the WAL and every frame the poll wrote stays in the file to be counted.
 * Every variant runs the same decide step, so the differences between variants are the record
 * step's.
 *
 * The variants drop one structure each (an index, the search trigger) or raise the page cache: they
 * say what that structure costs a changed poll, not that it can go (the reads that need it are
 * named in the docs part).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runPollCycle } from '../cycles/poll-cycle.js';
import { normaliseRoster } from '../roster/normalise.js';
import type { Roster } from '../roster/types.js';
import { generateOrg } from '../simulator/generate.js';
import { openStore } from '../store/db.js';
import { benchPollDeps, buildOrg } from './persist-bench.js';

interface Variant {
  name: string;
  sql: string;
  cacheKib: number;
}

/** The one-off CLI poll's page cache (src/app.ts POLL_PAGE_CACHE_KIB). */
const CLI_CACHE_KIB = 2000;

const VARIANTS: Variant[] = [
  { name: 'as recorded', sql: '', cacheKib: CLI_CACHE_KIB },
  { name: 'page cache 16 MB', sql: '', cacheKib: 16_000 },
  { name: 'without users_key_from_idx', sql: 'DROP INDEX users_key_from_idx', cacheKib: CLI_CACHE_KIB },
  { name: 'without events_type_idx', sql: 'DROP INDEX events_type_idx', cacheKib: CLI_CACHE_KIB },
  { name: 'without events_time_idx', sql: 'DROP INDEX events_time_idx', cacheKib: CLI_CACHE_KIB },
  {
    name: 'without memberships_current_team_idx',
    sql: 'DROP INDEX memberships_current_team_idx',
    cacheKib: CLI_CACHE_KIB,
  },
  { name: 'without the user search trigger', sql: 'DROP TRIGGER search_users_ai', cacheKib: CLI_CACHE_KIB },
];

/**
 * The CLI rows' 10% change (poll-cli-bench.ts makes it in the simulator's org, whose users are in
 * the order the generator made them): 5% a new email, 4% leave every team, 1% deleted, picked by
 * position in that order, so the changes are spread over the whole history as a real change is.
 * (The persist benchmark's changeTenPercent picks by position in username order: its leavers and
 * deleted users are all in the first 40% of the keys, and it rewrites a third fewer pages.)
 */
function changeAsTheCliRows(base: Roster, generated: readonly string[]): Roster {
  const picked = (rest: number, count: number) =>
    new Set(generated.filter((_, i) => i % 10 === rest).slice(0, count));
  const newEmail = picked(0, generated.length * 0.05);
  const leavers = picked(5, generated.length * 0.04);
  const deleted = picked(7, generated.length * 0.01);
  return normaliseRoster({
    users: base.users
      .filter((u) => !deleted.has(u.username))
      .map((u) => (newEmail.has(u.username) ? { ...u, email: `changed.${u.username}@example.com` } : u)),
    teams: base.teams,
    memberships: base.memberships.filter((m) => !leavers.has(m.username) && !deleted.has(m.username)),
  });
}

interface Measured {
  cpuSeconds: number;
  walBytes: number;
  changes: number;
}

/**
 * Pages of the WAL by the table or index they belong to, with each one's pages in all (dbstat of
 * the database with that WAL).
 */
function walPagesByStructure(
  dbPath: string,
  walCopy: string,
  dir: string,
): Map<string, { written: number; all: number }> {
  const wal = readFileSync(walCopy);
  const pageSize = wal.readUInt32BE(8);
  const pages = new Set<number>();
  // A 32-byte header, then frames of a 24-byte header (page number first) and the page.
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) pages.add(wal.readUInt32BE(at));
  const copy = join(dir, 'pages.db');
  copyFileSync(dbPath, copy);
  copyFileSync(walCopy, `${copy}-wal`);
  const db = new Database(copy, { readonly: true });
  try {
    const owner = new Map<number, string>();
    for (const row of db.prepare('SELECT name, pageno FROM dbstat').iterate() as Iterable<{
      name: string;
      pageno: number;
    }>)
      owner.set(row.pageno, row.name);
    const counts = new Map<string, { written: number; all: number }>();
    for (const name of owner.values()) {
      const count = counts.get(name) ?? { written: 0, all: 0 };
      count.all += 1;
      counts.set(name, count);
    }
    for (const page of pages) {
      const name = owner.get(page) ?? '(free)';
      const count = counts.get(name) ?? { written: 0, all: 0 };
      count.written += 1;
      counts.set(name, count);
    }
    return counts;
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  const rounds = Math.max(1, Number(process.argv[2]) || 3);
  const org = buildOrg({ users: 20_000, teams: 500 });
  const generated = generateOrg({ users: 20_000, teams: 500, seed: 7 }).users.map((u) => u.username);
  const changed = changeAsTheCliRows(org.roster, generated);
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-record-'));
  const signal = new AbortController().signal;
  try {
    const baseline = join(dir, 'baseline.db');
    const store = openStore(baseline);
    await runPollCycle(
      benchPollDeps(store, () => ({ roster: org.roster })),
      signal,
    );
    store.close();
    const results = new Map<string, Measured[]>(VARIANTS.map((v) => [v.name, []]));
    let pages: Map<string, { written: number; all: number }> | null = null;
    for (let round = 0; round < rounds; round++) {
      for (const variant of VARIANTS) {
        const path = join(dir, 'poll.db');
        for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
        copyFileSync(baseline, path);
        const poll = openStore(path);
        if (variant.sql !== '') poll.sqlite.exec(variant.sql);
        poll.sqlite.pragma('wal_checkpoint(TRUNCATE)');
        poll.sqlite.pragma(`cache_size = ${-variant.cacheKib}`);
        const reader = new Database(path, { readonly: true });
        reader.exec('BEGIN');
        reader.prepare('SELECT count(*) FROM runs').get();
        const before = process.cpuUsage();
        const result = await runPollCycle(
          benchPollDeps(poll, () => ({ roster: changed })),
          signal,
        );
        const used = process.cpuUsage(before);
        const walBytes = statSync(`${path}-wal`).size;
        if (pages === null && variant.name === 'as recorded') {
          copyFileSync(`${path}-wal`, join(dir, 'kept.wal'));
          copyFileSync(path, join(dir, 'kept.db'));
        }
        reader.exec('COMMIT');
        reader.close();
        poll.close();
        if (pages === null && variant.name === 'as recorded') {
          pages = walPagesByStructure(join(dir, 'kept.db'), join(dir, 'kept.wal'), dir);
        }
        results.get(variant.name)?.push({
          cpuSeconds: (used.user + used.system) / 1e6,
          walBytes,
          changes: result.events.length,
        });
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
    const base = median((results.get('as recorded') ?? []).map((m) => m.cpuSeconds));
    const lines = [
      `The changed poll's cycle (decide + record), ${rounds} rounds, variants alternated:`,
      '',
      '| variant | cycle CPU s: range (median) | vs as recorded, median s | WAL MB | events |',
      '|---|---|---|---|---|',
    ];
    for (const variant of VARIANTS) {
      const runs = results.get(variant.name) ?? [];
      const cpu = runs.map((m) => m.cpuSeconds);
      lines.push(
        `| ${variant.name} | ${Math.min(...cpu).toFixed(3)}–${Math.max(...cpu).toFixed(3)} (${median(cpu).toFixed(3)}) | ${(median(cpu) - base).toFixed(3)} | ${(median(runs.map((m) => m.walBytes)) / 1e6).toFixed(1)} | ${runs[0]?.changes ?? 0} |`,
      );
    }
    if (pages !== null) {
      const total = [...pages.values()].reduce((a, b) => a + b.written, 0);
      lines.push('', `Pages the as-recorded poll wrote to the WAL (${total} in all), by table or index:`, '');
      lines.push('| table or index | pages written | of its pages |', '|---|---|---|');
      for (const [name, count] of [...pages].sort((a, b) => b[1].written - a[1].written)) {
        if (count.written === 0) continue;
        lines.push(`| ${name} | ${count.written} | ${count.all} |`);
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

/**
 * Upgrading a database written before the on-call tables (migrations up to 0007): each team's
 * schedule snapshot becomes its first recorded read, which the report (stored parts), oncall-at
 * (reads) and the next poll's recorder all see.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listOncallAt, listOncallIntervals } from '../../../src/roster/oncall-intervals.js';
import type { Shift } from '../../../src/roster/policy-types.js';
import { inTransaction, MIGRATIONS_FOLDER, openStore } from '../../../src/store/db.js';
import { loadOncallIntervals, loadOncallReads, recordOncallReads } from '../../../src/store/oncall-reads.js';
import * as schema from '../../../src/store/schema.js';

const H = 3_600_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const shift = (username: string, fromH: number, toH: number, overrideFor?: string): Shift => ({
  policySlug: 'pol-a',
  policyName: 'Primary',
  rotationName: 'Rota',
  shiftName: '12h',
  username,
  start: iso(T0 + fromH * H),
  end: iso(T0 + toH * H),
  ...(overrideFor === undefined ? {} : { overrideFor }),
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-oncall-upgrade-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A database at migration 0007 with one policy run and these schedule snapshots. */
function databaseBeforeOncall(path: string, snapshots: [string, Shift[]][]): void {
  const old = join(dir, 'migrations');
  cpSync(MIGRATIONS_FOLDER, old, { recursive: true });
  const journalPath = join(old, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { idx: number }[] };
  journal.entries = journal.entries.filter((e) => e.idx <= 7);
  writeFileSync(journalPath, JSON.stringify(journal));
  const sqlite = new Database(path);
  migrate(drizzle(sqlite, { schema }), { migrationsFolder: old });
  expect(sqlite.prepare(`SELECT name FROM sqlite_master WHERE name = 'oncall_reads'`).get()).toBeUndefined();
  const runId = sqlite
    .prepare(
      `INSERT INTO runs (kind, started_at, finished_at, status, change_count) VALUES ('policy', ?, ?, 'ok', 0)`,
    )
    .run(iso(T0), iso(T0)).lastInsertRowid;
  for (const [slug, shifts] of snapshots) {
    sqlite
      .prepare(
        'INSERT INTO team_schedules (team_slug, team_name, shifts, fetched_at, run_id) VALUES (?, ?, ?, ?, ?)',
      )
      .run(slug, slug.toUpperCase(), JSON.stringify(shifts), iso(T0 + 2 * H), runId);
  }
  sqlite.close();
}

describe('upgrading to the on-call tables', () => {
  it('makes each schedule snapshot the first read, for the report, oncall-at and the next poll', () => {
    const path = join(dir, 'db.sqlite');
    databaseBeforeOncall(path, [
      ['team-a', [shift('ann', -4, 8), shift('cy', 8, 10, 'bob'), shift('bob', 10, 20)]],
      ['team-b', []],
    ]);
    const store = openStore(path);
    try {
      const window = [T0 - 10 * H, T0 + 30 * H] as const;
      const reads = loadOncallReads(store, iso(window[0]), iso(window[1]));
      expect(reads.map((r) => [r.teamSlug, r.readAt, r.first, r.shifts.length])).toEqual([
        ['team-a', iso(T0 + 2 * H), true, 3],
        ['team-b', iso(T0 + 2 * H), true, 0],
      ]);
      // The first read answers also for the past it showed.
      const fromReads = listOncallIntervals(reads, ...window);
      expect(fromReads.map((i) => [i.username, (i.startMs - T0) / H, (i.endMs - T0) / H])).toEqual([
        ['ann', -4, 8],
        ['cy', 8, 10],
        ['bob', 10, 20],
      ]);
      expect(loadOncallIntervals(store, ...window)).toEqual(fromReads);
      expect(listOncallAt(reads, T0 + 9 * H).map((e) => [e.username, e.overrideFor])).toEqual([
        ['cy', 'bob'],
      ]);

      // The next poll sees the snapshot as the latest read: bob's roll handed to dan from 12 h.
      inTransaction(store, () => {
        const runId = Number(
          store.sqlite
            .prepare(
              `INSERT INTO runs (kind, started_at, finished_at, status, change_count) VALUES ('policy', ?, ?, 'ok', 0)`,
            )
            .run(iso(T0 + 12 * H), iso(T0 + 12 * H)).lastInsertRowid,
        );
        recordOncallReads(store, runId, iso(T0 + 12 * H), [
          {
            team: { slug: 'team-a', name: 'TEAM-A' },
            shifts: [shift('dan', 10, 20)],
            fetchedAt: iso(T0 + 12 * H),
          },
        ]);
      });
      const after = loadOncallIntervals(store, ...window);
      expect(after.map((i) => [i.username, (i.startMs - T0) / H, (i.endMs - T0) / H])).toEqual([
        ['ann', -4, 8],
        ['cy', 8, 10],
        ['bob', 10, 12],
        ['dan', 12, 20],
      ]);
      expect(after).toEqual(
        listOncallIntervals(loadOncallReads(store, iso(window[0]), iso(window[1])), ...window),
      );
    } finally {
      store.close();
    }
  });
});

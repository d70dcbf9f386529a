/**
 * The recorded schedule reads in a real SQLite file: a read that shows nothing new is not stored,
 * one that differs supersedes the latest and leaves it only the time it answered for, so the
 * past stays as it was read after the schedule changes. The report's stored parts answer as the
 * reads do, and upgrading from 0007 turns each schedule snapshot into the team's first read. A
 * poll's reads recorded in one call leave the rows that recording them one call each leaves.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordPolicyRead } from '../../../src/bench/policy-reads.js';
import {
  listOncallAt,
  listOncallIntervals,
  mergeOncallIntervals,
} from '../../../src/roster/oncall-intervals.js';
import type { Shift } from '../../../src/roster/policy-types.js';
import { inTransaction, MIGRATIONS_FOLDER, openStore, type Store } from '../../../src/store/db.js';
import { loadOncallIntervals, loadOncallReads, recordOncallReads } from '../../../src/store/oncall-reads.js';
import * as schema from '../../../src/store/schema.js';

const H = 3_600_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const shift = (username: string, fromH: number, toH: number): Shift => ({
  policySlug: 'pol-a',
  policyName: 'Primary',
  rotationName: 'Rota',
  shiftName: '12h',
  username,
  start: iso(T0 + fromH * H),
  end: iso(T0 + toH * H),
});

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-oncall-reads-'));
  store = openStore(join(dir, 'db.sqlite'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function readAt(hours: number, shifts: Shift[]) {
  recordPolicyRead(store, iso(T0 + hours * H), [
    { team: { slug: 'team-a', name: 'A' }, shifts, fetchedAt: iso(T0 + hours * H) },
  ]);
}

const hours = (fromH: number, toH: number) =>
  Object.fromEntries(
    mergeOncallIntervals(
      listOncallIntervals(
        loadOncallReads(store, iso(T0 + fromH * H), iso(T0 + toH * H)),
        T0 + fromH * H,
        T0 + toH * H,
      ),
    ).map((p) => [p.username, p.intervals.reduce((s, [a, b]) => s + b - a, 0) / H]),
  );

describe('recorded on-call reads', () => {
  it('stores only reads that change an answer, and keeps the past as it was read', () => {
    readAt(0, [shift('ann', 0, 12), shift('bob', 12, 24)]);
    // Nothing new from 1 h on (the current roll reported from the read time): not stored.
    readAt(1, [shift('ann', 1, 12), shift('bob', 12, 24)]);
    expect(store.sqlite.prepare('SELECT count(*) AS n FROM oncall_reads').get()).toEqual({ n: 1 });
    // At 6 h, bob takes over the rest of ann's day.
    readAt(6, [shift('bob', 6, 24)]);
    const rows = store.sqlite
      .prepare('SELECT read_at, superseded_at, first, shifts FROM oncall_reads ORDER BY id')
      .all() as { read_at: string; superseded_at: string | null; first: number; shifts: string }[];
    expect(rows.map((r) => [r.read_at, r.superseded_at, r.first])).toEqual([
      [iso(T0), iso(T0 + 6 * H), 1],
      [iso(T0 + 6 * H), null, 0],
    ]);
    expect(JSON.parse(rows[0]!.shifts)).toEqual([shift('ann', 0, 6)]);
    expect(hours(0, 24)).toEqual({ ann: 6, bob: 18 });
    // A window wholly in the past reads only the superseded row.
    expect(hours(0, 5)).toEqual({ ann: 5 });
    expect(loadOncallReads(store, iso(T0), iso(T0 + 5 * H))).toHaveLength(1);
  });
});

describe('stored on-call parts', () => {
  const over = (username: string, forWhom: string, fromH: number, toH: number): Shift => ({
    ...shift(username, fromH, toH),
    overrideFor: forWhom,
  });
  const reportBy = (fromH: number, toH: number, teamSlug?: string) => {
    const [fromMs, toMs] = [T0 + fromH * H, T0 + toH * H];
    const reads = loadOncallReads(store, iso(fromMs), iso(toMs)).filter(
      (r) => teamSlug === undefined || r.teamSlug === teamSlug,
    );
    return {
      fromReads: mergeOncallIntervals(listOncallIntervals(reads, fromMs, toMs)),
      fromParts: mergeOncallIntervals(loadOncallIntervals(store, fromMs, toMs, teamSlug)),
    };
  };

  it('answer every window as the reads do, and a roll seen by many reads stays one row', () => {
    // The first read also shows the past of the current roll.
    readAt(2, [shift('ann', -4, 8), shift('bob', 8, 20), shift('ann', 20, 32)]);
    // The forecast grows at the end: superseded, the current roll goes on in the new read.
    readAt(3, [shift('ann', -4, 8), shift('bob', 8, 20), shift('ann', 20, 32), shift('bob', 32, 44)]);
    // An override for part of bob's roll, then bob's roll moved later, then the rest of it handed to
    // dan under a renamed policy: the read shows the whole roll as dan's, the past stays bob's.
    readAt(9, [shift('bob', 8, 12), over('cy', 'bob', 12, 14), shift('bob', 14, 20), shift('ann', 20, 32)]);
    readAt(13, [over('cy', 'bob', 13, 14), shift('bob', 14, 22), shift('ann', 22, 32)]);
    readAt(21, [{ ...shift('dan', 14, 22), policyName: 'Renamed' }, shift('ann', 22, 40)]);
    const parts = store.sqlite.prepare('SELECT count(*) AS n FROM oncall_parts').get() as { n: number };
    // ann -4..8, bob 8..12 (three reads), cy 12..14, bob 14..21, dan 21..22, ann 22..40.
    expect(parts.n).toBe(6);
    for (const [fromH, toH] of [
      [-10, 50],
      [0, 24],
      [2.5, 9.5],
      [12.25, 13.5],
      [21, 22],
      [30, 45],
    ] as const) {
      const { fromReads, fromParts } = reportBy(fromH, toH);
      expect(fromParts).toEqual(fromReads);
      expect(fromParts.length).toBeGreaterThan(0);
    }
    expect(reportBy(0, 24, 'team-a').fromParts).toEqual(reportBy(0, 24).fromReads);
    expect(reportBy(0, 24, 'team-b').fromParts).toEqual([]);
  });
});

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
    const path = join(dir, 'old.sqlite');
    databaseBeforeOncall(path, [
      ['team-a', [shift('ann', -4, 8), { ...shift('cy', 8, 10), overrideFor: 'bob' }, shift('bob', 10, 20)]],
      ['team-b', []],
    ]);
    const upgraded = openStore(path);
    try {
      const window = [T0 - 10 * H, T0 + 30 * H] as const;
      const reads = loadOncallReads(upgraded, iso(window[0]), iso(window[1]));
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
      expect(loadOncallIntervals(upgraded, ...window)).toEqual(fromReads);
      expect(listOncallAt(reads, T0 + 9 * H).map((e) => [e.username, e.overrideFor])).toEqual([
        ['cy', 'bob'],
      ]);

      // The next poll sees the snapshot as the latest read: bob's roll handed to dan from 12 h.
      inTransaction(upgraded, () => {
        const runId = Number(
          upgraded.sqlite
            .prepare(
              `INSERT INTO runs (kind, started_at, finished_at, status, change_count) VALUES ('policy', ?, ?, 'ok', 0)`,
            )
            .run(iso(T0 + 12 * H), iso(T0 + 12 * H)).lastInsertRowid,
        );
        recordOncallReads(upgraded, runId, iso(T0 + 12 * H), [
          {
            team: { slug: 'team-a', name: 'TEAM-A' },
            shifts: [shift('dan', 10, 20)],
            fetchedAt: iso(T0 + 12 * H),
          },
        ]);
      });
      const after = loadOncallIntervals(upgraded, ...window);
      expect(after.map((i) => [i.username, (i.startMs - T0) / H, (i.endMs - T0) / H])).toEqual([
        ['ann', -4, 8],
        ['cy', 8, 10],
        ['bob', 10, 12],
        ['dan', 12, 20],
      ]);
      expect(after).toEqual(
        listOncallIntervals(loadOncallReads(upgraded, iso(window[0]), iso(window[1])), ...window),
      );
    } finally {
      upgraded.close();
    }
  });
});

describe('a poll’s reads recorded together', () => {
  const STRAY_ROW = `INSERT INTO oncall_latest (rowid, team_slug, read_id, shifts)
    SELECT (SELECT coalesce(min(rowid), 1) - 1 FROM oncall_latest), 'team-z', id, '[]'
    FROM oncall_reads WHERE superseded_at IS NULL AND team_slug <> 'team-z'
      AND NOT EXISTS (SELECT 1 FROM oncall_latest WHERE team_slug = 'team-z')
    ORDER BY id LIMIT 1`;
  const dump = (s: Store) => ({
    reads: s.sqlite.prepare('SELECT * FROM oncall_reads ORDER BY id').all(),
    latest: s.sqlite.prepare('SELECT rowid, * FROM oncall_latest ORDER BY rowid').all(),
    parts: s.sqlite.prepare('SELECT * FROM oncall_parts ORDER BY id').all(),
  });
  const arbitraryPoll = fc.array(
    fc.record({
      team: fc.constantFrom('team-a', 'team-b', 'team-c', 'team-z'),
      shifts: fc.array(
        fc.record({ who: fc.constantFrom('ann', 'bob', 'cy'), fromH: fc.integer({ min: -6, max: 24 }) }),
        { maxLength: 4 },
      ),
    }),
    { maxLength: 5 },
  );

  // recordOncallReads finds each team's latest read once for the whole poll and keeps what it
  // found as it writes: recording a poll's schedules in one call must leave exactly the rows that
  // recording them one call each (every lookup made afresh in the database) leaves, also when a
  // team's schedule comes twice in one poll.
  it('leave the rows that recording them one at a time leaves (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 8 }), arbitraryPoll, fc.boolean()), { maxLength: 6 }),
        (polls) => {
          const other = openStore(join(dir, `one-at-a-time-${Math.random()}.sqlite`));
          const together = openStore(join(dir, `together-${Math.random()}.sqlite`));
          try {
            let hour = 0;
            for (const [step, poll, stray] of polls) {
              hour += step;
              // A row of team-z (before any row, no read of its own yet) naming another team's
              // current read: no poll writes one, a hand-edited database may hold one.
              if (stray) for (const db of [together, other]) db.sqlite.prepare(STRAY_ROW).run();
              const at = iso(T0 + hour * H);
              const schedules = poll.map((p) => ({
                team: { slug: p.team, name: p.team.toUpperCase() },
                shifts: p.shifts.map((s) => shift(s.who, hour + s.fromH, hour + s.fromH + 12)),
                fetchedAt: at,
              }));
              recordPolicyRead(together, at, schedules);
              const runId = recordPolicyRead(other, at, []);
              inTransaction(other, () => {
                for (const s of schedules) recordOncallReads(other, runId, at, [s]);
              });
            }
            expect(dump(together)).toEqual(dump(other));
          } finally {
            other.close();
            together.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('find a read again when the poll rewrote the first row naming it (another team’s row)', () => {
    readAt(0, [shift('ann', 0, 12)]);
    const { id } = store.sqlite.prepare('SELECT id FROM oncall_reads').get() as { id: number };
    const own = store.sqlite.prepare('SELECT shifts FROM oncall_latest').pluck().get() as string;
    // team-z's row (first) names team-a's read, and team-a's own row comes after it.
    store.sqlite.prepare('DELETE FROM oncall_latest').run();
    const row = store.sqlite.prepare(
      'INSERT INTO oncall_latest (team_slug, read_id, shifts) VALUES (?, ?, ?)',
    );
    row.run('team-z', id, JSON.stringify([shift('bob', 0, 12)]));
    row.run('team-a', id, own);
    // One poll: team-z first (its row now names its own read), then team-a as it was.
    const at = iso(T0 + H);
    recordPolicyRead(store, at, [
      { team: { slug: 'team-z', name: 'Z' }, shifts: [shift('cy', 1, 12)], fetchedAt: at },
      { team: { slug: 'team-a', name: 'A' }, shifts: [shift('ann', 0, 12)], fetchedAt: at },
    ]);
    // As the join found it: team-a's read is its own row's, unchanged, so nothing new for team-a.
    expect(
      store.sqlite.prepare('SELECT id, team_slug, superseded_at FROM oncall_reads ORDER BY id').all(),
    ).toEqual([
      { id, team_slug: 'team-a', superseded_at: null },
      { id: id + 1, team_slug: 'team-z', superseded_at: null },
    ]);
  });

  it('compare each team’s read with the first latest row naming that read, as the join did', () => {
    readAt(0, [shift('ann', 0, 12)]);
    const { id } = store.sqlite.prepare('SELECT id FROM oncall_reads').get() as { id: number };
    // A later row naming the same read (no poll writes one): the join took the first, team-a's own.
    store.sqlite
      .prepare('INSERT INTO oncall_latest (team_slug, read_id, shifts) VALUES (?, ?, ?)')
      .run('team-z', id, JSON.stringify([shift('bob', 0, 12)]));
    readAt(1, [shift('ann', 1, 12)]);
    expect(store.sqlite.prepare('SELECT count(*) AS n FROM oncall_reads').get()).toEqual({ n: 1 });
  });
});

/**
 * Rows older versions recorded with lone surrogates (issue 21): better-sqlite3 wrote each as bytes
 * that are not UTF-8 (ED A0..BF xx), and JSON columns kept it as an escape. Written here the same
 * way (the strings bound as they were fetched), the database is closed and opened again, which
 * rewrites them once (store/stored-text.ts); then they equal what a poll now fetches, so the first
 * poll after the upgrade reports no change and a running shift is not split.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { recordPolicyRead } from '../../../src/bench/policy-reads.js';
import { compareText } from '../../../src/roster/normalise.js';
import {
  diffPolicies,
  normalisePolicies,
  normaliseSchedules,
  unreadPoliciesOf,
} from '../../../src/roster/policies.js';
import { entryKey, normaliseEntry, type PolicyEntry } from '../../../src/roster/policy-entries.js';
import type { Policy, Shift, TeamSchedule } from '../../../src/roster/policy-types.js';
import { diffRoutingKeys, normaliseRoutingKeys, type RoutingKey } from '../../../src/roster/routing-keys.js';
import { wellFormed } from '../../../src/roster/well-formed.js';
import { loadContactReadTimes, loadPersonContacts } from '../../../src/store/contacts-store.js';
import { inTransaction, openStore, type Store } from '../../../src/store/db.js';
import { loadOpenFindings } from '../../../src/store/findings.js';
import { loadOncallIntervals } from '../../../src/store/oncall-reads.js';
import {
  applyPolicyHistory,
  loadCurrentPolicies,
  loadTeamSchedules,
  saveTeamSchedules,
} from '../../../src/store/policies.js';
import { applyRoutingKeyHistory, loadCurrentRoutingKeys } from '../../../src/store/routing-keys.js';
import { insertRun } from '../../../src/store/runs.js';
import { repairStoredText } from '../../../src/store/stored-text.js';
import { searchEntities } from '../../../src/store/ui-search.js';
import { quietRun } from '../../helpers/run-record.js';

/** A history file; `store` is replaced when it is opened again. */
interface TempStore {
  store: Store;
  path: string;
  dir: string;
}

let t: TempStore | undefined;
afterEach(() => {
  cleanup();
});

function cleanup(): void {
  if (t === undefined) return;
  t.store.close();
  rmSync(t.dir, { recursive: true, force: true });
  t = undefined;
}

function newStore(): TempStore {
  cleanup();
  const dir = mkdtempSync(join(tmpdir(), 'rw-lone-surrogate-'));
  const path = join(dir, 'roster-watch.db');
  t = { store: openStore(path), path, dir };
  return t;
}

/**
 * Opens the file again as this version does after `older` wrote it: before the fix neither meta
 * row exists; the version before this one (`rosterDone`) rewrote the roster's tables only.
 */
function reopen(older: { rosterDone: boolean } = { rosterDone: false }): Store {
  const temp = t as TempStore;
  temp.store.sqlite
    .prepare('DELETE FROM meta WHERE key IN (?, ?)')
    .run('victorops_text_well_formed', ...(older.rosterDone ? [''] : ['roster_text_well_formed']));
  temp.store.close();
  temp.store = openStore(temp.path);
  return temp.store;
}

const hex = (store: Store, sql: string) => store.sqlite.prepare(sql).pluck().all();
const rowsOf = (store: Store, sql: string) => store.sqlite.prepare(sql).raw().all();

const AT = '2026-03-01T10:00:00.000Z';

/** Text of a few units: plain, lone halves, U+FFFD, a pair, and a unit that sorts after U+D800. */
const text = fc
  .array(fc.constantFrom('a', 'B', '-', '\ud800', '\udc00', '\ufffd', '\ue000', '\ud83d\ude00'), {
    minLength: 1,
    maxLength: 4,
  })
  .map((units) => units.join(''));

const entry: fc.Arbitrary<PolicyEntry> = fc.oneof(
  text.map((username) => ({ kind: 'user' as const, username })),
  fc.tuple(text, text).map(([rotationSlug, rotationLabel]) => ({
    kind: 'rotation' as const,
    executionType: 'rotation_group' as const,
    rotationSlug,
    rotationLabel,
  })),
  text.map((address) => ({ kind: 'email' as const, address })),
  text.map((webhookSlug) => ({ kind: 'webhook' as const, webhookSlug })),
);

/**
 * An entry's key as versions before the fix built it, from the text as fetched: they sorted and
 * folded a step's entries by it.
 */
function olderKey(e: PolicyEntry): string {
  if (e.kind === 'user') return `u\u0000${e.username.toLowerCase()}`;
  if (e.kind === 'rotation') return `r\u0000${e.executionType}\u0000${e.rotationSlug}`;
  if (e.kind === 'email') return `e\u0000${e.address.toLowerCase()}`;
  if (e.kind === 'webhook') return `w\u0000${e.webhookSlug}`;
  throw new Error('not generated');
}

/** A policy as older versions recorded it: each step's entries folded and sorted by `olderKey`. */
function olderRecord(p: Policy): Policy {
  return {
    ...p,
    steps: p.steps.map((s, i) => {
      const byKey = new Map<string, PolicyEntry>();
      for (const e of s.entries) if (!byKey.has(olderKey(e))) byKey.set(olderKey(e), e);
      const entries = [...byKey.entries()].sort((a, b) => compareText(a[0], b[0])).map(([, e]) => e);
      return { index: i + 1, timeout: s.timeout, entries };
    }),
  };
}

/**
 * Two entries of a step (or two targets of a key) that differ only in their lone surrogates are one
 * once well-formed, and which of them is kept depends on the order they were read in: that fold
 * is not generated (the entries and targets are distinct as they are now read).
 */
const policy: fc.Arbitrary<Policy> = fc.record({
  slug: text,
  name: text,
  teamSlug: text,
  steps: fc.array(
    fc.record({
      index: fc.constant(0),
      timeout: fc.nat(30),
      entries: fc.uniqueArray(entry, { selector: (e) => entryKey(normaliseEntry(e)), maxLength: 5 }),
    }),
    { maxLength: 3 },
  ),
});

function record(write: (runId: number) => void, at = AT): number {
  const store = (t as TempStore).store;
  return inTransaction(store, () => {
    const runId = insertRun(store, quietRun('policy', at));
    write(runId);
    return runId;
  });
}

interface Diff<T> {
  added: T[];
  removed: T[];
  changed: unknown[];
}

/**
 * `older(fetched)` recorded as an older version did reads back, once the file is opened again, as
 * `fetched` normalised now, with nothing to report; and once gone from VictorOps its row is closed,
 * not found again every poll. Whether the version before this one opened the file makes no difference.
 */
function readsBackAsFetched<T, D extends Diff<T>>(kind: {
  arbitrary: fc.Arbitrary<T>;
  /** What identifies a row once well-formed: rows distinct by it are generated. */
  keyOf: (item: T) => string;
  older: (fetched: T) => T;
  write: (store: Store, runId: number, at: string, diff: D) => void;
  normalise: (raw: readonly T[]) => T[];
  load: (store: Store) => T[];
  diff: (before: readonly T[], after: readonly T[]) => D;
}): void {
  fc.assert(
    // Several rows, so the order they load in is held to the normaliser's too.
    fc.property(
      fc.uniqueArray(kind.arbitrary, { minLength: 1, maxLength: 3, selector: kind.keyOf }),
      fc.boolean(),
      (fetched, rosterDone) => {
        const older = newStore().store;
        record((runId) =>
          kind.write(older, runId, AT, { ...kind.diff([], []), added: fetched.map(kind.older) }),
        );
        const store = reopen({ rosterDone });
        const now = kind.normalise(fetched);
        const loaded = kind.load(store);
        expect(loaded).toEqual(now);
        expect(kind.diff(loaded, now)).toEqual({ added: [], removed: [], changed: [] });
        record((runId) => kind.write(store, runId, AT, kind.diff(loaded, [])));
        expect(kind.load(store)).toEqual([]);
      },
    ),
    { numRuns: 40 },
  );
}

describe('rows recorded with lone surrogates by older versions', () => {
  it('a policy reads back as the same policy fetched now, so no change is reported', () => {
    readsBackAsFetched({
      arbitrary: policy,
      keyOf: (p) => wellFormed(p.slug.trim()),
      older: olderRecord,
      write: applyPolicyHistory,
      normalise: normalisePolicies,
      load: loadCurrentPolicies,
      diff: diffPolicies,
    });
  }, 60_000);

  it('a routing key reads back as the same key fetched now, so no change is reported', () => {
    readsBackAsFetched({
      arbitrary: fc.record({
        routingKey: text,
        isDefault: fc.boolean(),
        targets: fc.uniqueArray(fc.record({ policySlug: text, policyName: text }), {
          selector: (target) => wellFormed(target.policySlug),
          maxLength: 4,
        }),
      }),
      keyOf: (k) => wellFormed(k.routingKey.trim()),
      // Older versions sorted the targets by the slug as fetched.
      older: (fetched: RoutingKey) => ({
        ...fetched,
        targets: [...fetched.targets].sort((a, b) => compareText(a.policySlug, b.policySlug)),
      }),
      write: applyRoutingKeyHistory,
      normalise: normaliseRoutingKeys,
      load: (store) => loadCurrentRoutingKeys(store) ?? [],
      diff: diffRoutingKeys,
    });
  }, 60_000);

  it('a failed scope an older run recorded as fetched is not unread when its policy is recorded', () => {
    const scopes = [
      { kind: 'policy' as const, slug: 'pol-\ud800', reason: 'HTTP 500', name: 'Db \udc00' },
      {
        kind: 'policy' as const,
        slug: 'web-\udc00',
        reason: 'HTTP 500',
        name: 'Web \udc00',
        teamSlug: 't\ud800',
      },
    ];
    expect(unreadPoliciesOf(scopes, new Set(['pol-\ufffd']))).toEqual([
      { slug: 'web-\ufffd', name: 'Web \ufffd', teamSlug: 't\ufffd', reason: 'HTTP 500' },
    ]);
  });
});

const H = 3_600_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** The rotation a shift belongs to, with lone surrogates as the API may give them. */
const ROTATION = { policySlug: 'pol-\ud800', policyName: 'Primary \udc00', rotationName: 'Rota \ud800' };

/** A shift as the API gives it; older versions recorded its text as fetched. */
function shiftOf(username: string, fromH: number, toH: number, extra: Partial<Shift> = {}): Shift {
  const [start, end] = [fromH, toH].map((h) => iso(T0 + h * H)) as [string, string];
  return { ...ROTATION, shiftName: '12h', username, start, end, ...extra };
}

const scheduleOf = (slug: string, name: string, shifts: Shift[], atH: number): TeamSchedule => ({
  team: { slug, name },
  shifts,
  fetchedAt: iso(T0 + atH * H),
});

describe('the one rewrite at open', () => {
  it('rewrites team schedules, their text and their JSON, as a fetch now spells them', () => {
    newStore();
    const raw: TeamSchedule = {
      ...scheduleOf('team-\ud800', 'Team \udc00', [shiftOf('bob', 0, 12), shiftOf('ann\ud800', 0, 12)], 0),
      rotations: [
        { policySlug: 'pol-\ud800', policyName: 'Primary \udc00', rotationName: 'Z\udc00', shiftName: 's' },
        { policySlug: 'pol-\ud800', policyName: 'Primary \udc00', rotationName: 'A', shiftName: 's' },
      ],
    };
    record((runId) => saveTeamSchedules((t as TempStore).store, runId, raw.fetchedAt as string, [raw]));
    const store = reopen({ rosterDone: true });
    expect(loadTeamSchedules(store)).toEqual(normaliseSchedules([raw]));
    expect(hex(store, 'SELECT hex(team_slug) FROM team_schedules')).toEqual(['7465616D2DEFBFBD']);
  });

  it('leaves Hangul, which also begins with the byte ED, as it is', () => {
    newStore();
    const fetched = normalisePolicies([{ slug: '한글', name: '한', teamSlug: '팀', steps: [] }]);
    record((runId) =>
      applyPolicyHistory((t as TempStore).store, runId, AT, { ...diffPolicies([], fetched) }),
    );
    record((runId) =>
      saveTeamSchedules((t as TempStore).store, runId, AT, [
        scheduleOf(
          '팀',
          '한글 팀',
          [shiftOf('한', 0, 1, { policySlug: '정책', policyName: '한', rotationName: '돌' })],
          0,
        ),
      ]),
    );
    const before = [
      hex(t!.store, 'SELECT hex(slug) || hex(name) || hex(team_slug) FROM policies'),
      hex(t!.store, 'SELECT hex(team_slug) || hex(team_name) || hex(shifts) FROM team_schedules'),
    ];
    const store = reopen();
    expect(loadCurrentPolicies(store)).toEqual(fetched);
    expect([
      hex(store, 'SELECT hex(slug) || hex(name) || hex(team_slug) FROM policies'),
      hex(store, 'SELECT hex(team_slug) || hex(team_name) || hex(shifts) FROM team_schedules'),
    ]).toEqual(before);
  });

  it('does the roster once: again for a file the version before this one never opened, not for one it did', () => {
    for (const rosterDone of [false, true]) {
      newStore();
      const runId = record(() => undefined);
      t!.store.sqlite
        .prepare("INSERT INTO teams (slug, name, valid_from, from_run_id) VALUES ('t\ud800', 'T', ?, ?)")
        .run(AT, runId);
      const fetched = normalisePolicies([{ slug: 'p\ud800', name: 'P', teamSlug: 't\ud800', steps: [] }]);
      record((id) =>
        applyPolicyHistory(t!.store, id, AT, diffPolicies([], [{ ...fetched[0]!, slug: 'p\ud800' }])),
      );
      const store = reopen({ rosterDone });
      // The version before this one rewrote the roster: what is left there is not its to redo.
      expect(hex(store, 'SELECT hex(slug) FROM teams')).toEqual([rosterDone ? '74EDA080' : '74EFBFBD']);
      expect(loadCurrentPolicies(store)).toEqual(fetched);
      expect(
        store.sqlite
          .prepare("SELECT key FROM meta WHERE key LIKE '%text_well_formed' ORDER BY key")
          .pluck()
          .all(),
      ).toEqual(['roster_text_well_formed', 'victorops_text_well_formed']);
      // Done: text written the old way now (as by a build from before the fix) is not looked at again.
      store.sqlite.prepare("UPDATE teams SET name = 'T\ud800'").run();
      store.close();
      t!.store = openStore(t!.path);
      expect(hex(t!.store, 'SELECT hex(name) FROM teams')).toEqual(['54EDA080']);
    }
  });
});

describe('the roster caches an older version wrote', () => {
  it('are rewritten too: a poll finds their rows by the team slug it fetched', () => {
    newStore();
    const runId = record(() => undefined);
    t!.store.sqlite
      .prepare(
        "INSERT INTO team_hints (team_slug, version, member_count, read_at_ms, run_id) VALUES ('t\ud800', 1, 1, 0, ?)",
      )
      .run(runId);
    t!.store.sqlite
      .prepare(
        "INSERT INTO team_fingerprints (team_slug, members, member_keys) VALUES ('t\ud800', 'h', 'a\udc00')",
      )
      .run();
    const store = reopen();
    expect(hex(store, 'SELECT hex(team_slug) FROM team_hints')).toEqual(['74EFBFBD']);
    expect(hex(store, 'SELECT hex(team_slug) || hex(member_keys) FROM team_fingerprints')).toEqual([
      '74EFBFBD61EFBFBD',
    ]);
  });
});

describe('contacts an older version recorded', () => {
  it('are found by the username key a poll now builds', () => {
    newStore();
    const runId = record(() => undefined);
    const sqlite = t!.store.sqlite;
    sqlite
      .prepare(
        "INSERT INTO person_contacts (username_key, username, methods, paging_policy, valid_from, from_run_id) VALUES ('ann\ud800', 'Ann\ud800', '[]', '[]', ?, ?)",
      )
      .run(AT, runId);
    sqlite.prepare("INSERT INTO contact_reads (username_key, read_at_ms) VALUES ('ann\ud800', 5)").run();
    const store = reopen({ rosterDone: true });
    expect(loadPersonContacts(store, 'Ann\ud800')).toEqual({
      username: 'Ann\ufffd',
      methods: [],
      pagingPolicy: [],
    });
    expect([...loadContactReadTimes(store)]).toEqual([['ann\ufffd', 5]]);
  });
});

describe('coverage findings an older version recorded', () => {
  it('keep the key a poll now computes, so it neither resolves nor opens them again', () => {
    newStore();
    const runId = record(() => undefined);
    const insert = t!.store.sqlite.prepare(
      "INSERT INTO findings (key, kind, data, first_seen, first_run_id, last_run_id) VALUES (?, 'unstaffed_policy', ?, ?, ?, ?)",
    );
    const finding = (key: string) => JSON.stringify({ key, kind: 'unstaffed_policy', policy: { slug: key } });
    insert.run('p:\ud800', finding('p:\ud800'), AT, runId, runId);
    // Beside a genuine finding whose key the old one's becomes: the later opened stays open.
    insert.run('q:\ud800', finding('q:\ud800'), AT, runId, runId);
    const later = '2026-03-02T10:00:00.000Z';
    const laterRun = record(() => undefined, later);
    insert.run('q:\ufffd', finding('q:\ufffd'), later, laterRun, laterRun);
    const store = reopen({ rosterDone: true });
    expect(
      loadOpenFindings(store).map((f) => [f.finding.key, (f.finding as { policy?: unknown }).policy]),
    ).toEqual([
      ['p:\ufffd', { slug: 'p:\ufffd' }],
      ['q:\ufffd', { slug: 'q:\ufffd' }],
    ]);
    expect(
      store.sqlite
        .prepare('SELECT resolved_at, last_run_id FROM findings WHERE resolved_at IS NOT NULL')
        .raw()
        .all(),
    ).toEqual([[later, laterRun]]);
  });
});

describe('an on-call shift recorded by an older version', () => {
  it('goes on as one row after the upgrade: the first read after it does not split the shift', () => {
    newStore();
    const shifts = [shiftOf('Ann\ud800', 0, 12, { overrideFor: 'bob\udc00' }), shiftOf('cy', 12, 24)];
    recordPolicyRead(t!.store, iso(T0), [scheduleOf('team-\ud800', 'Team \udc00', shifts, 0)]);
    const store = reopen({ rosterDone: true });
    // The same schedule an hour later, as a poll now normalises it.
    const later = shifts.map((s, i) => (i === 0 ? { ...s, start: iso(T0 + H) } : s));
    recordPolicyRead(
      store,
      iso(T0 + H),
      normaliseSchedules([scheduleOf('team-\ud800', 'Team \udc00', later, 1)]),
    );
    expect(store.sqlite.prepare('SELECT count(*) FROM oncall_reads').pluck().get()).toBe(1);
    expect(
      store.sqlite
        .prepare(
          'SELECT team_slug, team_name, policy_slug, policy_name, username, override_for, start_ms, end_ms FROM oncall_parts ORDER BY start_ms',
        )
        .raw()
        .all(),
    ).toEqual([
      [
        'team-\ufffd',
        'Team \ufffd',
        'pol-\ufffd',
        'Primary \ufffd',
        'Ann\ufffd',
        'bob\ufffd',
        T0,
        T0 + 12 * H,
      ],
      ['team-\ufffd', 'Team \ufffd', 'pol-\ufffd', 'Primary \ufffd', 'cy', null, T0 + 12 * H, T0 + 24 * H],
    ]);
    expect(loadOncallIntervals(store, T0, T0 + 24 * H, 'team-\ufffd').map((i) => i.username)).toEqual([
      'Ann\ufffd',
      'cy',
    ]);
    // A read that differs supersedes it, and the team keeps one whole latest read.
    const changed = normaliseSchedules([
      scheduleOf('team-\ud800', 'Team \udc00', [shiftOf('dee', 2, 24)], 2),
    ]);
    recordPolicyRead(store, iso(T0 + 2 * H), changed);
    expect(store.sqlite.prepare('SELECT team_slug FROM oncall_latest').pluck().all()).toEqual([
      'team-\ufffd',
    ]);
  });
});

describe('a repair that makes two rows one key', () => {
  // An older build's `x\ud800` (bytes) beside a genuine `x\ufffd`: both current until the rewrite.
  it('closes the older history version where the other begins, once, with no event', () => {
    newStore();
    const add = (slug: string, at: string) =>
      record(
        (runId) =>
          applyPolicyHistory(t!.store, runId, at, {
            added: [{ slug, name: slug, teamSlug: 't', steps: [] }],
            removed: [],
            changed: [],
          }),
        at,
      );
    add('x\ud800', AT);
    const later = '2026-03-02T10:00:00.000Z';
    const genuineRun = add('x\ufffd', later);
    const store = reopen({ rosterDone: true });
    expect(
      store.sqlite
        .prepare('SELECT hex(slug), valid_from, valid_to, to_run_id FROM policies ORDER BY row_id')
        .raw()
        .all(),
    ).toEqual([
      ['78EFBFBD', AT, later, genuineRun],
      ['78EFBFBD', later, null, null],
    ]);
    expect(loadCurrentPolicies(store).map((p) => p.slug)).toEqual(['x\ufffd']);
    expect(store.sqlite.prepare('SELECT count(*) FROM events').pluck().get()).toBe(0);
  });

  it('does so under a key of two columns (memberships)', () => {
    newStore();
    const first = record(() => undefined, AT);
    const later = '2026-03-02T10:00:00.000Z';
    const second = record(() => undefined, later);
    const insert = t!.store.sqlite.prepare(
      'INSERT INTO memberships (username_key, username, team_slug, valid_from, from_run_id) VALUES (?, ?, ?, ?, ?)',
    );
    // The genuine row first: the older build's row begins later, and the genuine one ends there.
    insert.run('ann', 'ann', 't\ufffd', AT, first);
    insert.run('ann', 'ann', 't\ud800', later, second);
    insert.run('bob', 'bob', 't\ud800', later, second);
    const store = reopen();
    expect(
      store.sqlite
        .prepare(
          'SELECT username_key, team_slug, valid_from, valid_to, to_run_id FROM memberships ORDER BY row_id',
        )
        .raw()
        .all(),
    ).toEqual([
      ['ann', 't\ufffd', AT, later, second],
      ['ann', 't\ufffd', later, null, null],
      ['bob', 't\ufffd', later, null, null],
    ]);
  });

  it('keeps the row polls keep up to date of a snapshot by team (team_schedules)', () => {
    newStore();
    record((runId) =>
      saveTeamSchedules(t!.store, runId, AT, [
        scheduleOf('t\ud800', 'Old', [], 0),
        scheduleOf('t\ufffd', 'Genuine', [], 0),
      ]),
    );
    const store = reopen();
    expect(loadTeamSchedules(store).map((s) => [s.team.slug, s.team.name])).toEqual([['t\ufffd', 'Genuine']]);
  });

  it('lets the later of two latest on-call reads of a team supersede the earlier', () => {
    newStore();
    // The version before this one read the team again after the upgrade under the well-formed
    // slug, found no latest read and took its read for the team's first.
    recordPolicyRead(t!.store, iso(T0), [scheduleOf('t\ud800', 'T', [shiftOf('ann', 0, 12)], 0)]);
    recordPolicyRead(t!.store, iso(T0 + 2 * H), [
      scheduleOf(
        't\ufffd',
        'T',
        normaliseSchedules([scheduleOf('t', 'T', [shiftOf('ann', 0, 12)], 2)])[0]!.shifts,
        2,
      ),
    ]);
    const store = reopen({ rosterDone: true });
    expect(
      store.sqlite
        .prepare('SELECT team_slug, read_at, superseded_at, first FROM oncall_reads ORDER BY id')
        .raw()
        .all(),
    ).toEqual([
      ['t\ufffd', iso(T0), iso(T0 + 2 * H), 1],
      ['t\ufffd', iso(T0 + 2 * H), null, 0],
    ]);
    expect(store.sqlite.prepare('SELECT team_slug FROM oncall_latest').pluck().all()).toEqual(['t\ufffd']);
    // Each read answers for its own time: no hour is recorded twice.
    expect(
      store.sqlite.prepare('SELECT read_id, start_ms, end_ms FROM oncall_parts ORDER BY read_id').raw().all(),
    ).toEqual([
      [1, T0, T0 + 2 * H],
      [2, T0 + 2 * H, T0 + 12 * H],
    ]);
  });
});

describe('a repair that makes a row one key with a longer history', () => {
  // The version before this one did not rewrite contacts, findings or policies at open: a poll
  // opened a well-formed row beside the older build's, and later polls may have changed it.

  /** Pairs of versions of one key whose times overlap (`to` NULL: still current). */
  const overlapping = (store: Store, table: string, key: string, from: string, to: string) =>
    store.sqlite
      .prepare(
        `SELECT a.rowid, b.rowid FROM ${table} a JOIN ${table} b ON a.rowid < b.rowid AND a.${key} = b.${key}
         AND a.${from} < coalesce(b.${to}, '9999') AND b.${from} < coalesce(a.${to}, '9999')`,
      )
      .raw()
      .all();
  const [JAN, FEB, MAR] = [
    '2026-01-01T00:00:00.000Z',
    '2026-02-01T00:00:00.000Z',
    '2026-03-01T00:00:00.000Z',
  ];

  it('ends the older row where the first later version of the key begins (contacts)', () => {
    newStore();
    const [one, two, three] = [JAN, FEB, MAR].map((at) => record(() => undefined, at));
    const insert = t!.store.sqlite.prepare(
      "INSERT INTO person_contacts (username_key, username, methods, paging_policy, valid_from, valid_to, from_run_id, to_run_id) VALUES (?, ?, ?, '[]', ?, ?, ?, ?)",
    );
    insert.run('ann\ud800', 'Ann\ud800', '[]', JAN, null, one, null);
    insert.run('ann\ufffd', 'Ann\ufffd', '[]', FEB, MAR, two, three);
    insert.run('ann\ufffd', 'Ann\ufffd', '["x"]', MAR, null, three, null);
    const store = reopen({ rosterDone: true });
    expect(
      rowsOf(
        store,
        'SELECT username_key, valid_from, valid_to, to_run_id FROM person_contacts ORDER BY row_id',
      ),
    ).toEqual([
      ['ann\ufffd', JAN, FEB, two],
      ['ann\ufffd', FEB, MAR, three],
      ['ann\ufffd', MAR, null, null],
    ]);
    expect(overlapping(store, 'person_contacts', 'username_key', 'valid_from', 'valid_to')).toEqual([]);
  });

  it('so too a policy, and one the older build closed keeps its time up to the later version', () => {
    newStore();
    const [one, two, three] = [JAN, FEB, MAR].map((at) => record(() => undefined, at));
    const insert = t!.store.sqlite.prepare(
      "INSERT INTO policies (slug, name, team_slug, steps, valid_from, valid_to, from_run_id, to_run_id) VALUES (?, 'P', 't', ?, ?, ?, ?, ?)",
    );
    insert.run('p\ud800', '[]', JAN, null, one, null);
    insert.run('q\ud800', '[]', JAN, MAR, one, three);
    for (const slug of ['p\ufffd', 'q\ufffd']) {
      insert.run(slug, '[]', FEB, MAR, two, three);
      insert.run(slug, '[1]', MAR, null, three, null);
    }
    const store = reopen({ rosterDone: true });
    expect(
      rowsOf(store, 'SELECT slug, valid_from, valid_to FROM policies ORDER BY slug, valid_from'),
    ).toEqual([
      ['p\ufffd', JAN, FEB],
      ['p\ufffd', FEB, MAR],
      ['p\ufffd', MAR, null],
      ['q\ufffd', JAN, FEB],
      ['q\ufffd', FEB, MAR],
      ['q\ufffd', MAR, null],
    ]);
    expect(overlapping(store, 'policies', 'slug', 'valid_from', 'valid_to')).toEqual([]);
  });

  it('keeps a repaired row that began after the current one current, and ends the other there', () => {
    newStore();
    const [one, two] = [JAN, FEB].map((at) => record(() => undefined, at));
    const insert = t!.store.sqlite.prepare(
      "INSERT INTO policies (slug, name, team_slug, steps, valid_from, from_run_id) VALUES (?, 'P', 't', ?, ?, ?)",
    );
    insert.run('p\ufffd', '[]', JAN, one);
    insert.run('p\ud800', '[1]', FEB, two);
    const store = reopen({ rosterDone: true });
    expect(
      rowsOf(store, 'SELECT steps, valid_from, valid_to, to_run_id FROM policies ORDER BY row_id'),
    ).toEqual([
      ['[]', JAN, FEB, two],
      ['[1]', FEB, null, null],
    ]);
  });

  it('lets the first later read of the team supersede an on-call read, and no longer be the first', () => {
    newStore();
    const ann = [shiftOf('ann', 0, 12)];
    recordPolicyRead(t!.store, iso(T0), [scheduleOf('t\ud800', 'T', ann, 0)]);
    // The version before this one found no latest read under the well-formed slug: a first read.
    recordPolicyRead(t!.store, iso(T0 + 2 * H), normaliseSchedules([scheduleOf('t\ufffd', 'T', ann, 2)]));
    recordPolicyRead(
      t!.store,
      iso(T0 + 4 * H),
      normaliseSchedules([scheduleOf('t\ufffd', 'T', [shiftOf('ann', 0, 6), shiftOf('bob', 6, 12)], 4)]),
    );
    const store = reopen({ rosterDone: true });
    expect(
      rowsOf(store, 'SELECT id, team_slug, read_at, superseded_at, first FROM oncall_reads ORDER BY id'),
    ).toEqual([
      [1, 't\ufffd', iso(T0), iso(T0 + 2 * H), 1],
      [2, 't\ufffd', iso(T0 + 2 * H), iso(T0 + 4 * H), 0],
      [3, 't\ufffd', iso(T0 + 4 * H), null, 0],
    ]);
    expect(store.sqlite.prepare('SELECT read_id FROM oncall_latest').pluck().all()).toEqual([3]);
    // Each hour is answered for once (ann's shift went on into the third read, which holds it).
    expect(
      rowsOf(store, 'SELECT read_id, username, start_ms, end_ms FROM oncall_parts ORDER BY start_ms'),
    ).toEqual([
      [1, 'ann', T0, T0 + 2 * H],
      [3, 'ann', T0 + 2 * H, T0 + 6 * H],
      [3, 'bob', T0 + 6 * H, T0 + 12 * H],
    ]);
  });
});

describe('two processes opening a file the rewrite has not yet run on', () => {
  /** A policy an older version recorded with a lone surrogate in its steps only (JSON, no byte ED). */
  function olderPolicyFile(): string {
    newStore();
    const steps = [{ index: 1, timeout: 5, entries: [{ kind: 'user' as const, username: 'ann\ud800' }] }];
    record((runId) =>
      applyPolicyHistory(t!.store, runId, AT, {
        added: [{ slug: 'p', name: 'P', teamSlug: 't', steps }],
        removed: [],
        changed: [],
      }),
    );
    t!.store.sqlite.prepare('DELETE FROM meta WHERE key LIKE ?').run('%text_well_formed');
    return JSON.stringify(steps);
  }

  it('take turns: the rewrite holds the write lock from its start, so the other waits, not fails', () => {
    // Deferred, the other process could commit after this one read (here: its own rewrite done),
    // and this one's first write would fail with SQLITE_BUSY_SNAPSHOT, not wait for busy_timeout.
    const steps = olderPolicyFile();
    const other = openStore(t!.path, { migrate: false });
    other.sqlite.pragma('busy_timeout = 0');
    const tries: string[] = [];
    const parse = JSON.parse.bind(JSON);
    const spy = vi.spyOn(JSON, 'parse').mockImplementation((text: string, reviver) => {
      if (text === steps && tries.length === 0)
        try {
          other.sqlite
            .prepare("INSERT INTO meta (key, value) VALUES ('victorops_text_well_formed', '1')")
            .run();
          tries.push('written');
        } catch (error) {
          tries.push((error as { code?: string }).code ?? String(error));
        }
      return parse(text, reviver);
    });
    try {
      t!.store.close();
      t!.store = openStore(t!.path);
    } finally {
      spy.mockRestore();
      other.close();
    }
    expect(tries).toEqual(['SQLITE_BUSY']);
    expect(hex(t!.store, 'SELECT steps FROM policies')).toEqual([steps.replace('\\ud800', '\ufffd')]);
  });

  it('reads the meta row again under the lock: the one that waited finds the rewrite done', () => {
    const steps = olderPolicyFile();
    const waiter = openStore(t!.path, { migrate: false });
    const read: string[] = [];
    // The other process's rewrite commits between this one's first look and its transaction.
    const sqlite = new Proxy(waiter.sqlite, {
      get(target, name) {
        if (name === 'transaction')
          return (fn: () => void) => {
            openStore(t!.path).close();
            return target.transaction(fn);
          };
        if (name === 'prepare')
          return (sql: string) => {
            read.push(sql);
            return target.prepare(sql);
          };
        const value = Reflect.get(target, name);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    try {
      read.length = 0;
      repairStoredText(sqlite);
    } finally {
      waiter.close();
    }
    expect(read.filter((sql) => !sql.includes('FROM meta'))).toEqual([]);
    expect(hex(t!.store, 'SELECT steps FROM policies')).toEqual([steps.replace('\\ud800', '\ufffd')]);
  });
});

describe('JSON columns an older version wrote with no lone surrogate', () => {
  // Each matches the escape's pattern: an escaped backslash before `ud..`, or an escaped pair as a
  // writer other than JSON.stringify spells it. Numbers and order are as an older build wrote them.
  const WRITTEN: Record<string, string> = {
    steps:
      '[{"index":1,"timeout":5,"entries":[{"kind":"user","username":"zed"},{"kind":"user","username":"C:\\\\udemo"},{"kind":"user","username":"\\ud83d\\ude00"}],"extra":1.50}]',
    targets:
      '[{"policySlug":"z","policyName":"C:\\\\udemo"},{"policySlug":"a","policyName":"\\ud83d\\ude00"}]',
    shifts:
      '[{"start":"2026-01-02T00:00:00.000Z","end":"2026-01-03T00:00:00.000Z","policySlug":"p","policyName":"\\ud83d\\ude00","rotationName":"C:\\\\udemo","shiftName":"s","username":"u"},{"start":"2026-01-01T00:00:00.000Z","end":"2026-01-02T00:00:00.000Z","policySlug":"p","policyName":"n","rotationName":"r","shiftName":"s","username":"a"}]',
    rotations:
      '[{"policySlug":"z","policyName":"C:\\\\udemo","rotationName":"r","shiftName":"s"},{"policySlug":"a","policyName":"\\ud83d\\ude00","rotationName":"r","shiftName":"s"}]',
    data: '{"z":1, "a":"C:\\\\udemo","p":"\\ud83d\\ude00","n":1.50,"big":12345678901234567890}',
  };
  const TABLES = ['policies', 'routing_keys', 'team_schedules', 'oncall_reads', 'oncall_latest', 'findings'];

  it('are left byte for byte as they were; a lone surrogate escape beside them is still rewritten', () => {
    const store = newStore().store;
    store.sqlite.pragma('foreign_keys = OFF');
    for (const table of TABLES) {
      const columns = (
        store.sqlite.prepare(`PRAGMA table_info(${table})`).all() as {
          name: string;
          type: string;
          notnull: number;
          pk: number;
        }[]
      ).filter((c) => !(c.pk && c.type === 'INTEGER'));
      const value = (c: (typeof columns)[number]) =>
        WRITTEN[c.name] ?? (c.notnull ? (c.type === 'INTEGER' ? 1 : 'x') : null);
      store.sqlite
        .prepare(
          `INSERT INTO ${table} (${columns.map((c) => c.name).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
        )
        .run(...columns.map(value));
    }
    const lone = JSON.stringify([
      { index: 1, timeout: 5, entries: [{ kind: 'user', username: 'ann\ud800' }] },
    ]);
    store.sqlite
      .prepare(
        "INSERT INTO policies (slug, name, team_slug, steps, valid_from, from_run_id) VALUES ('y', 'Y', 't', ?, 'x', 1)",
      )
      .run(lone);
    const rows = (s: Store) => TABLES.map((table) => rowsOf(s, `SELECT * FROM ${table} ORDER BY rowid`));
    const before = rows(store);
    const after = rows(reopen());
    // Only the second policy, the one with a lone surrogate, is rewritten.
    expect(after[0]?.[0]).toEqual(before[0]?.[0]);
    expect(after.slice(1)).toEqual(before.slice(1));
    expect(JSON.parse(hex(t!.store, "SELECT steps FROM policies WHERE slug = 'y'")[0] as string)).toEqual([
      { index: 1, timeout: 5, entries: [{ kind: 'user', username: 'ann\ufffd' }] },
    ]);
  });
});

describe('a JSON column that does not parse', () => {
  it('is left as it was, and the database still opens', () => {
    const store = newStore().store;
    store.sqlite.pragma('foreign_keys = OFF');
    const broken = '[{"entries":[{"kind":"user","username":"ann\\ud800"}]';
    store.sqlite
      .prepare(
        "INSERT INTO policies (slug, name, team_slug, steps, valid_from, from_run_id) VALUES ('b', 'B', 't', ?, 'x', 1)",
      )
      .run(broken);
    expect(reopen().sqlite.prepare("SELECT steps FROM policies WHERE slug = 'b'").pluck().get()).toBe(broken);
  });
});

describe('search entities an older version recorded', () => {
  it('take the key a poll now records, one entity a key, their trigrams in step', () => {
    newStore();
    const [one, two] = [AT, '2026-03-02T10:00:00.000Z'].map((at) => record(() => undefined, at));
    const insert = t!.store.sqlite.prepare(
      'INSERT INTO users (username_key, username, valid_from, from_run_id) VALUES (?, ?, ?, ?)',
    );
    insert.run('bob\ud800', 'bob\ud800', AT, one);
    // An older build's key beside the well-formed one a poll of the version before this one added.
    insert.run('ann\ud800', 'ann\ud800', AT, one);
    insert.run('ann\ufffd', 'ann\ufffd', '2026-03-02T10:00:00.000Z', two);
    const store = reopen();
    expect(hex(store, "SELECT key FROM search_entities WHERE kind = 'user' ORDER BY key")).toEqual([
      'ann\ufffd',
      'bob\ufffd',
    ]);
    // Checks the index against the entities' text (rank 1): no trigrams of a deleted entity.
    store.sqlite.prepare("INSERT INTO search_text (search_text, rank) VALUES ('integrity-check', 1)").run();
    expect(searchEntities(store, 'ann', 10).map((hit) => hit.ref)).toEqual(['ann\ufffd']);
    // The next version of bob updates his entity, not a second one.
    const later = '2026-03-03T10:00:00.000Z';
    const three = record(() => undefined, later);
    store.sqlite.prepare('UPDATE users SET valid_to = ?, to_run_id = ? WHERE row_id = 1').run(later, three);
    store.sqlite
      .prepare(
        "INSERT INTO users (username_key, username, email, valid_from, from_run_id) VALUES (?, ?, 'b@x', ?, ?)",
      )
      .run('bob\ufffd', 'bob\ufffd', later, three);
    expect(hex(store, "SELECT count(*) FROM search_entities WHERE kind = 'user'")).toEqual([2]);
  });
});

/**
 * The key's shared send schedule, through two connections to the rate budget's file beside one
 * history (two processes), and with the history's write lock held by a third (a poll recording).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openRateBudgetFile, openStore, rateBudgetPathFor, type Store } from '../../../src/store/db.js';
import {
  holdSharedSlots,
  recentTexts,
  reserveSharedSlot,
  reserveSlot,
  type SlotState,
  stateText,
  withdrawSharedWaiter,
  withdrawWaiter,
} from '../../../src/store/rate-budget.js';

const opened: Store[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function historyPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rw-budget-'));
  dirs.push(dir);
  const path = join(dir, 'db.sqlite');
  opened.push(openStore(path));
  return path;
}

function twoConnections(path = historyPath()): [Store, Store] {
  const a = openRateBudgetFile(path);
  const b = openRateBudgetFile(path);
  opened.push(a, b);
  return [a, b];
}

const request = (nowMs: number, lastOkMs: number | null = null) => ({
  nowMs,
  capacity: 1,
  windowMs: 582,
  lastOkMs,
  maxAheadMs: 31_000,
});

describe('the shared rate budget in the file beside the database', () => {
  it('gives two processes asking at once slots a window apart, and each key a schedule of its own', () => {
    const [daemon, oneShot] = twoConnections();
    expect(reserveSharedSlot(daemon, 'key-a', request(1_000)).slotMs).toBe(1_000);
    expect(reserveSharedSlot(oneShot, 'key-a', request(1_000)).slotMs).toBe(1_582);
    expect(reserveSharedSlot(daemon, 'key-a', request(1_100)).slotMs).toBe(2_164);
    expect(reserveSharedSlot(oneShot, 'key-b', request(1_100)).slotMs).toBe(1_100);
  });

  it('shares a hold after a rate-limited answer and the newest success', () => {
    const [daemon, oneShot] = twoConnections();
    reserveSharedSlot(daemon, 'key', request(1_000, 900));
    holdSharedSlots(daemon, 'key', 5_000, 1_200, 31_000);
    const seen = reserveSharedSlot(oneShot, 'key', request(1_300));
    expect(seen).toEqual({ slotMs: 5_000, lastOkMs: 900, yielded: 0 });
  });

  it('stores no key, only the schedule under the key id', () => {
    const [daemon] = twoConnections();
    reserveSharedSlot(daemon, '0123456789abcdef', request(1_000));
    const rows = daemon.sqlite
      .prepare("SELECT key, value FROM meta WHERE key LIKE 'victorops.rate_budget.%'")
      .all();
    expect(rows).toEqual([
      {
        key: 'victorops.rate_budget.0123456789abcdef',
        value: '{"recent":[1000],"holdUntilMs":0,"lastOkMs":null}',
      },
    ]);
  });

  it("keeps each process's waiting rank in the row, so a less urgent one yields until the more urgent withdraws", () => {
    const [daemon, oneShot] = twoConnections();
    const waiter = (id: string, rank: number) => ({ id, rank, turns: 3, ttlMs: 3_000 });
    expect(reserveSharedSlot(daemon, 'key', { ...request(1_000), waiter: waiter('d', 0) }).slotMs).toBe(
      1_000,
    );
    expect(
      reserveSharedSlot(oneShot, 'key', { ...request(1_100), waiter: waiter('o', 3) }).slotMs,
    ).toBeNull();
    withdrawSharedWaiter(daemon, 'key', 'd');
    expect(reserveSharedSlot(oneShot, 'key', { ...request(1_200), waiter: waiter('o', 3) }).slotMs).toBe(
      1_582,
    );
    withdrawSharedWaiter(oneShot, 'key', 'o');
    const row = daemon.sqlite.prepare("SELECT value FROM meta WHERE key = 'victorops.rate_budget.key'").get();
    expect(row).toEqual({ value: '{"recent":[1582],"holdUntilMs":0,"lastOkMs":null}' });
  });

  it('tells the daemon, through the file, of a turn a one-shot took ahead of its roster poll', () => {
    const [daemon, oneShot] = twoConnections();
    const waiter = (id: string, rank: number, insist = false) => ({
      id,
      rank,
      turns: 3,
      ttlMs: 3_000,
      insist,
    });
    reserveSharedSlot(daemon, 'key', { ...request(1_000), waiter: waiter('d', 0) });
    // the one-shot has yielded long enough: it takes a turn ahead of the daemon's waiting roster poll
    expect(
      reserveSharedSlot(oneShot, 'key', { ...request(1_100), waiter: waiter('o', 1, true) }).slotMs,
    ).toBe(1_582);
    expect(reserveSharedSlot(daemon, 'key', { ...request(1_200), waiter: waiter('d', 0) }).yielded).toBe(1);
    expect(reserveSharedSlot(daemon, 'key', { ...request(1_300), waiter: waiter('d', 0) }).yielded).toBe(0);
  });

  it("reserves while another connection holds the history's write lock (a poll recording its roster)", () => {
    const path = historyPath();
    const [daemon] = twoConnections(path);
    const recording = openStore(path);
    opened.push(recording);
    recording.sqlite.prepare('BEGIN IMMEDIATE').run();
    try {
      // In the history this waited for the lock (busy_timeout) and then failed with SQLITE_BUSY.
      expect(reserveSharedSlot(daemon, 'key', request(1_000)).slotMs).toBe(1_000);
    } finally {
      recording.sqlite.prepare('ROLLBACK').run();
    }
    expect(daemon.path).toBe(rateBudgetPathFor(path));
    // the history holds no schedule
    expect(
      recording.sqlite
        .prepare("SELECT count(*) AS n FROM meta WHERE key LIKE 'victorops.rate_budget.%'")
        .get(),
    ).toEqual({ n: 0 });
  });

  it('reads and writes the row as JSON.stringify would, its remembered text or not, beside another process', () => {
    // The connection remembers the row it last wrote and the texts of its sends (issue 21,
    // twentieth part); whatever the other connection writes between its turns must be what it reads.
    const [daemon, oneShot] = twoConnections();
    const rowOf = (store: Store) =>
      store.sqlite.prepare("SELECT value FROM meta WHERE key = 'victorops.rate_budget.key'").get() as {
        value: string;
      };
    const turn = (nowMs: number, id: string, rank: number) => ({
      nowMs,
      capacity: 5,
      windowMs: 582,
      lastOkMs: nowMs - 10,
      maxAheadMs: 31_000,
      waiter: { id, rank, turns: 3, ttlMs: 3_000 },
    });
    // The reference: the same turns on one state in memory (the pure functions).
    let model: SlotState | null = null;
    const both = (store: Store, request: ReturnType<typeof turn>) => {
      const reserved = reserveSlot(model, request);
      model = reserved.state;
      expect(reserveSharedSlot(store, 'key', request).slotMs).toBe(reserved.slotMs);
    };
    for (let i = 0; i < 12; i++) {
      const nowMs = 1_000 + i * 100;
      both(daemon, turn(nowMs, 'daemon', 0));
      // the one-shot's turn only every third: the daemon reads its own row twice in a row then
      if (i % 3 === 2) both(oneShot, turn(nowMs + 1, 'one-shot', 3));
      if (i % 4 === 3) {
        withdrawSharedWaiter(daemon, 'key', 'daemon');
        model = withdrawWaiter(model, 'daemon');
      }
      const text = rowOf(daemon).value;
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(model)));
      expect(text).toBe(JSON.stringify(JSON.parse(text)));
    }
    expect((model as SlotState | null)?.recent).toHaveLength(5);
  });

  it("writes a send's text as JSON.stringify does, reusing the texts of the sends it kept", () => {
    const send = fc.integer({ min: 0, max: 4_102_444_800_000 });
    fc.assert(
      fc.property(
        fc.array(send, { maxLength: 30 }),
        fc.nat(31),
        fc.array(send, { maxLength: 3 }),
        fc.boolean(),
        (old, dropped, added, stale) => {
          const recent = [...old.slice(dropped), ...added];
          const oldTexts = old.map((t) => (stale ? `${t}` : String(t)));
          const texts = recentTexts(recent, { recent: old, texts: oldTexts });
          expect(texts).toEqual(recent.map((t) => JSON.stringify(t)));
          const state: SlotState = {
            recent,
            holdUntilMs: added[0] ?? 0,
            lastOkMs: old[0] ?? null,
            ...(dropped % 2 === 0 ? { waiters: { a: { rank: 1, untilMs: 5 } }, streak: dropped } : {}),
          };
          const expected = JSON.stringify(
            state.waiters === undefined
              ? { recent, holdUntilMs: state.holdUntilMs, lastOkMs: state.lastOkMs }
              : state,
          );
          expect(stateText(state, texts)).toBe(expected);
        },
      ),
    );
  });

  it('reuses no text when the new schedule only looks like a continuation (the clock stepped back)', () => {
    // A reset schedule whose one slot equals an earlier send: the old run does not end where the
    // match ends, so the texts after it are not this schedule's.
    expect(recentTexts([5], { recent: [5, 6], texts: ['5', '6'] })).toEqual(['5']);
    expect(recentTexts([5, 9], { recent: [5, 6, 7], texts: ['5', '6', '7'] })).toEqual(['5', '9']);
    expect(recentTexts([6, 7, 8], { recent: [5, 6, 7], texts: ['5', '6', '7'] })).toEqual(['6', '7', '8']);
  });

  it('does not parse again the row this connection wrote itself, and does parse one another process wrote', () => {
    const [daemon, oneShot] = twoConnections();
    const rowText = () =>
      (
        daemon.sqlite.prepare("SELECT value FROM meta WHERE key = 'victorops.rate_budget.key'").get() as {
          value: string;
        }
      ).value;
    reserveSharedSlot(daemon, 'key', request(1_000));
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const ownRow = rowText();
      reserveSharedSlot(daemon, 'key', request(1_100));
      expect(parse.mock.calls.filter(([text]) => text === ownRow)).toEqual([]);
      // The other connection's turn rewrites the row: the daemon's next turn reads it.
      reserveSharedSlot(oneShot, 'key', request(1_200));
      const othersRow = rowText();
      parse.mockClear();
      expect(reserveSharedSlot(daemon, 'key', request(1_300)).slotMs).toBe(2_746);
      expect(parse.mock.calls.filter(([text]) => text === othersRow)).toHaveLength(1);
    } finally {
      parse.mockRestore();
    }
  });

  it('goes only beside an existing history: a command without one paces alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-budget-'));
    dirs.push(dir);
    expect(() => openRateBudgetFile(join(dir, 'none.sqlite'))).toThrow(/no database at .*none\.sqlite/);
    expect(() => openRateBudgetFile(':memory:')).toThrow(/no database/);
    expect(existsSync(rateBudgetPathFor(join(dir, 'none.sqlite')))).toBe(false);
  });
});

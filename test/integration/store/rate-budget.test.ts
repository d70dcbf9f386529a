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
  holdSlots,
  recentSection,
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

/** The text of key `key`'s row, as every process reads it. */
const keyRow = (store: Store) =>
  (
    store.sqlite.prepare("SELECT value FROM meta WHERE key = 'victorops.rate_budget.key'").get() as
      | { value: string }
      | undefined
  )?.value;

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

  it('writes the sends as JSON.stringify does, reusing the text of the sends it kept', () => {
    const send = fc.oneof(
      fc.integer({ min: 0, max: 4_102_444_800_000 }),
      fc.double({ min: 0, max: 4e12, noNaN: true }),
    );
    fc.assert(
      fc.property(
        fc.array(send, { maxLength: 30 }),
        fc.nat(31),
        fc.array(send, { maxLength: 3 }),
        (old, dropped, added) => {
          const recent = [...old.slice(dropped), ...added];
          const section = old.map((t) => JSON.stringify(t)).join(',');
          expect(recentSection(recent, { recent: old, section })).toBe(
            recent.map((t) => JSON.stringify(t)).join(','),
          );
          expect(recentSection(old, { recent: old, section })).toBe(section);
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
          expect(stateText(state, recent.map((t) => JSON.stringify(t)).join(','))).toBe(expected);
        },
      ),
    );
  });

  it('reuses no text when the new schedule only looks like a continuation (the clock stepped back)', () => {
    // A reset schedule whose one slot equals an earlier send: the old run does not end where the
    // match ends, so the texts after it are not this schedule's.
    expect(recentSection([5], { recent: [5, 6], section: '5,6' })).toBe('5');
    expect(recentSection([5, 9], { recent: [5, 6, 7], section: '5,6,7' })).toBe('5,9');
    expect(recentSection([6, 7, 8], { recent: [5, 6, 7], section: '5,6,7' })).toBe('6,7,8');
    expect(recentSection([], { recent: [5, 6, 7], section: '5,6,7' })).toBe('');
    // a section holding fewer sends than it was given with is not cut past its end: written afresh
    expect(recentSection([2, 3], { recent: [1, 2], section: '' })).toBe('2,3');
    expect(recentSection([3, 4], { recent: [1, 2, 3], section: '1,2' })).toBe('3,4');
  });

  it("writes JSON.stringify's row after another writer's, whatever that writer's spacing", () => {
    const [a] = twoConnections();
    a.sqlite
      .prepare("INSERT INTO meta (key, value) VALUES ('victorops.rate_budget.key', ?)")
      .run('{"recent":[ 1000, 1000.0],"holdUntilMs":0,"lastOkMs":null}');
    expect(reserveSharedSlot(a, 'key', { ...request(1_500), capacity: 3, windowMs: 1_000 }).slotMs).toBe(
      1_500,
    );
    expect(keyRow(a)).toBe('{"recent":[1000,1000,1500],"holdUntilMs":0,"lastOkMs":null}');
  });

  it('keeps the sends JSON.parse reads in a row that names `recent` twice, one spelt with an escape', () => {
    // JSON.parse takes the last `recent`, here spelt `rec\u0065nt`: the three sends it holds fill
    // the window, whatever the first one's text says.
    const [a, b] = twoConnections();
    a.sqlite
      .prepare("INSERT INTO meta (key, value) VALUES ('victorops.rate_budget.key', ?)")
      .run('{"recent":[1,2,3,4,5],"holdUntilMs":0,"lastOkMs":null,"rec\\u0065nt":[1000,1100,1200]}');
    const turn = { ...request(1_300), capacity: 3, windowMs: 1_000 };
    expect(reserveSharedSlot(a, 'key', turn).slotMs).toBe(2_000);
    expect(reserveSharedSlot(b, 'key', turn).slotMs).toBe(2_100);
    expect(keyRow(a)).toBe('{"recent":[1200,2000,2100],"holdUntilMs":0,"lastOkMs":null}');
  });

  it('gives exactly the reservations, and writes exactly the row, of the pure schedule an earlier build wrote whole, whatever the turns (issue 21, thirty-third part)', () => {
    // The reference: one state in memory through the pure functions, its row written whole as
    // every earlier build did (JSON.stringify, keys in this order). The file is shared by three
    // connections (processes) of their own rates, waiters and clocks stepping back and ahead; a
    // fourth writer puts the row in another valid form now and then (spaced, keys reordered).
    const referenceText = (state: SlotState) => {
      const { recent, holdUntilMs, lastOkMs, waiters, streak } = state;
      return JSON.stringify(
        waiters !== undefined && Object.keys(waiters).length > 0
          ? { recent, holdUntilMs, lastOkMs, waiters, streak: streak ?? 0 }
          : { recent, holdUntilMs, lastOkMs },
      );
    };
    const op = fc.oneof(
      {
        weight: 8,
        arbitrary: fc.record({
          kind: fc.constant('reserve' as const),
          who: fc.nat(2),
          stepMs: fc.oneof(fc.integer({ min: 0, max: 700 }), fc.integer({ min: -40_000, max: 40_000 })),
          capacity: fc.constantFrom(1, 2, 3, 7),
          windowMs: fc.oneof(
            fc.constantFrom(1_035, 2_565, 582),
            fc.double({ min: 1, max: 3_000, noNaN: true }),
          ),
          lastOkMs: fc.option(fc.integer({ min: 0, max: 2_000_000 })),
          waiter: fc.option(
            fc.record({
              rank: fc.nat(5),
              turns: fc.constantFrom(1, 3, Number.POSITIVE_INFINITY),
              insist: fc.boolean(),
              yieldsAlwaysBelow: fc.option(fc.constant(2), { nil: undefined }),
            }),
          ),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('hold' as const),
          who: fc.nat(2),
          untilAheadMs: fc.integer({ min: 0, max: 60_000 }),
        }),
      },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('withdraw' as const), who: fc.nat(2) }) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('foreign' as const),
          form: fc.constantFrom('spaced', 'reordered', 'inner'),
        }),
      },
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => {
        const path = historyPath();
        const stores = [0, 1, 2].map(() => openRateBudgetFile(path));
        opened.push(...stores);
        const writer = openRateBudgetFile(path);
        opened.push(writer);
        const rowText = () =>
          (
            writer.sqlite.prepare("SELECT value FROM meta WHERE key = 'victorops.rate_budget.key'").get() as
              | { value: string }
              | undefined
          )?.value;
        let model: SlotState | null = null;
        let expectedText: string | undefined;
        let nowMs = 1_000_000;
        for (const o of ops) {
          if (o.kind === 'reserve') {
            nowMs += o.stepMs;
            const request = {
              nowMs,
              capacity: o.capacity,
              windowMs: o.windowMs,
              lastOkMs: o.lastOkMs,
              maxAheadMs: 30_000 + o.windowMs,
              ...(o.waiter === null ? {} : { waiter: { id: `p${o.who}`, ttlMs: 3_000, ...o.waiter } }),
            };
            const expected = reserveSlot(model, request);
            model = expected.state;
            expect(reserveSharedSlot(stores[o.who]!, 'key', request)).toEqual({
              slotMs: expected.slotMs,
              lastOkMs: expected.state.lastOkMs,
              yielded: expected.yielded,
            });
          } else if (o.kind === 'hold') {
            model = holdSlots(model, nowMs + o.untilAheadMs, nowMs, 31_000);
            holdSharedSlots(stores[o.who]!, 'key', nowMs + o.untilAheadMs, nowMs, 31_000);
          } else if (o.kind === 'withdraw') {
            const after = withdrawWaiter(model, `p${o.who}`);
            // Nothing to withdraw: the row is left as it is.
            if (after === model) {
              withdrawSharedWaiter(stores[o.who]!, 'key', `p${o.who}`);
              expect(rowText()).toBe(expectedText);
              continue;
            }
            model = after;
            withdrawSharedWaiter(stores[o.who]!, 'key', `p${o.who}`);
          } else if (model !== null) {
            // Another writer's valid form of the same state: every reader must read the same numbers.
            const { recent, ...rest } = JSON.parse(referenceText(model)) as SlotState;
            const text =
              o.form === 'spaced'
                ? JSON.stringify({ recent, ...rest }, null, 1)
                : o.form === 'reordered'
                  ? JSON.stringify({ ...rest, recent })
                  : `{"recent":[${recent.map((t) => ` ${t}`).join(',')}],${JSON.stringify(rest).slice(1)}`;
            writer.sqlite
              .prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('victorops.rate_budget.key', ?)")
              .run(text);
            model = { waiters: {}, streak: 0, ...(JSON.parse(text) as SlotState) };
            expectedText = text;
            continue;
          }
          // The row every process reads: an earlier build's text for the same state, byte for byte,
          // whoever wrote the row before.
          expectedText = model === null ? undefined : referenceText(model);
          expect(rowText()).toBe(expectedText);
        }
      }),
      { numRuns: 60 },
    );
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

  it('takes the write lock at BEGIN: no other process writes between its read of the row and its write', () => {
    // Deferred, another process could write after the read: its turn lost, or this one's write
    // refused (the snapshot stale). Each call parses the row another process wrote, and there,
    // inside the transaction, that process tries to write without waiting.
    const [mine, other] = twoConnections();
    other.sqlite.pragma('busy_timeout = 0');
    const put = (text: string) =>
      other.sqlite
        .prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('victorops.rate_budget.key', ?)")
        .run(text);
    const parse = JSON.parse.bind(JSON);
    let watched = '';
    const tries: string[] = [];
    const spy = vi.spyOn(JSON, 'parse').mockImplementation((text: string, reviver) => {
      if (text === watched) {
        try {
          put('{"recent":[],"holdUntilMs":0,"lastOkMs":null}');
          tries.push('written');
        } catch (error) {
          tries.push((error as { code?: string }).code ?? String(error));
        }
      }
      return parse(text, reviver);
    });
    try {
      const turns = [
        () => reserveSharedSlot(mine, 'key', request(2_000)),
        () => holdSharedSlots(mine, 'key', 5_000, 2_000, 31_000),
        () => withdrawSharedWaiter(mine, 'key', 'p1'),
      ];
      for (const [i, turn] of turns.entries()) {
        watched = `{"recent":[${1_000 + i}],"holdUntilMs":0,"lastOkMs":null}`;
        put(watched);
        turn();
      }
    } finally {
      spy.mockRestore();
    }
    expect(tries).toEqual(['SQLITE_BUSY', 'SQLITE_BUSY', 'SQLITE_BUSY']);
  });

  it('goes only beside an existing history: a command without one paces alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-budget-'));
    dirs.push(dir);
    expect(() => openRateBudgetFile(join(dir, 'none.sqlite'))).toThrow(/no database at .*none\.sqlite/);
    expect(() => openRateBudgetFile(':memory:')).toThrow(/no database/);
    expect(existsSync(rateBudgetPathFor(join(dir, 'none.sqlite')))).toBe(false);
  });
});

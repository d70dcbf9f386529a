import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/clock.js';
import { holdSlots, reserveSlot, type SlotState, withdrawWaiter } from '../../../src/store/rate-budget.js';
import type { RequestPriority } from '../../../src/victorops/job-context.js';
import {
  createLocalSlots,
  createRateBudget,
  crossProcessRank,
  MAX_YIELD_MS,
  OWN_TURNS_WINDOW_MS,
  owesTurnBelow,
  pickLevel,
  type RateBudget,
  rateBudgetKeyId,
  SHARE_WINDOW_MS,
  type SharedSlots,
  shortOfOwnTurns,
  type TurnRecord,
  turnsBeforeYielding,
  waitingBits,
} from '../../../src/victorops/rate-budget.js';
import { createFakeClock } from '../../helpers/fake-clock.js';

/** A clock that only moves when someone sleeps on it. */
function fakeClock(): Clock & { sleeps: number[] } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

/** A daemon (leading) and a one-shot on one key's schedule, 2 a second paced at 0.8, on a fake clock. */
function daemonAndOneShot(backgroundShare: number) {
  const clock = createFakeClock();
  const shared = createLocalSlots();
  const budget = (lead: boolean) =>
    createRateBudget({ maxRps: 2, pace: 0.8, backgroundShare, clock, shared, lead: () => lead });
  return { clock, daemon: budget(true), oneShot: budget(false) };
}

describe('reserveSlot', () => {
  const request = { nowMs: 10_000, capacity: 1, windowMs: 600, lastOkMs: null, maxAheadMs: 30_000 };

  it('gives the first send now, the next one a window later', () => {
    const first = reserveSlot(null, request);
    expect(first.slotMs).toBe(10_000);
    const second = reserveSlot(first.state, request);
    expect(second.slotMs).toBe(10_600);
    // a third process asking at the same instant queues behind both
    expect(reserveSlot(second.state, request).slotMs).toBe(11_200);
  });

  it('lets a late sender catch up inside the window instead of pushing every later slot back', () => {
    const state: SlotState = { recent: [9_000, 9_400], holdUntilMs: 0, lastOkMs: null };
    const two = { ...request, capacity: 2, windowMs: 1_035 };
    expect(reserveSlot(state, two).slotMs).toBe(10_035);
    expect(reserveSlot(state, { ...two, nowMs: 10_500 }).slotMs).toBe(10_500);
  });

  it('waits out a hold, and starts afresh when the wall clock stepped back', () => {
    const held = holdSlots(null, 11_000, 10_000, 30_000);
    expect(reserveSlot(held, request).slotMs).toBe(11_000);
    // a hold is capped: one answer cannot stop the key for a day
    expect(holdSlots(null, 10_000 + 86_400_000, 10_000, 30_000).holdUntilMs).toBe(40_000);
    const fromTheFuture: SlotState = { recent: [10_000 + 3_600_000], holdUntilMs: 0, lastOkMs: 5 };
    const fresh = reserveSlot(fromTheFuture, request);
    expect(fresh.slotMs).toBe(10_000);
    expect(fresh.state.lastOkMs).toBe(5);
  });

  it('keeps the newest success any process reported', () => {
    const state: SlotState = { recent: [], holdUntilMs: 0, lastOkMs: 9_000 };
    expect(reserveSlot(state, { ...request, lastOkMs: 8_000 }).state.lastOkMs).toBe(9_000);
    expect(reserveSlot(state, { ...request, lastOkMs: 9_500 }).state.lastOkMs).toBe(9_500);
  });
});

describe('reserveSlot across processes', () => {
  const ask = (nowMs: number, id: string, rank: number) => ({
    nowMs,
    capacity: 1,
    windowMs: 600,
    lastOkMs: null,
    maxAheadMs: 30_000,
    waiter: { id, rank, turns: 3, ttlMs: 3_000 },
  });

  it('yields a turn to more urgent work elsewhere, and takes one after `turns` turns in a row', () => {
    let state: SlotState | null = null;
    // the daemon's roster poll (rank 0) and a one-shot's bulk work (rank 5) both wait
    state = reserveSlot(state, ask(10_000, 'daemon', 0)).state;
    const yielded = reserveSlot(state, ask(10_010, 'one-shot', 5));
    expect(yielded.slotMs).toBeNull();
    expect(yielded.state.recent).toEqual(state.recent); // nothing reserved
    state = yielded.state;
    const order: string[] = [];
    for (let t = 10_100; order.length < 8; t += 100) {
      for (const [id, rank] of [
        ['one-shot', 5],
        ['daemon', 0],
      ] as const) {
        const r = reserveSlot(state, ask(t, id, rank));
        state = r.state;
        if (r.slotMs !== null) order.push(id === 'daemon' ? 'D' : 'o');
      }
    }
    // three turns for the roster poll, then one for the waiting bulk work, and so on
    expect(order.join('').slice(0, 8)).toBe('DDDoDDDo');
  });

  it('counts a turn taken ahead of more urgent work for each process that waited with it, once', () => {
    // the daemon's roster poll (rank 0), a one-shot's read (rank 1), a policy poll elsewhere (rank 4)
    let state: SlotState | null = reserveSlot(null, ask(10_000, 'daemon', 0)).state;
    state = reserveSlot(state, ask(10_000, 'policy', 4)).state;
    const insisting = { ...ask(10_100, 'one-shot', 1) };
    insisting.waiter = { ...insisting.waiter, insist: true } as typeof insisting.waiter;
    const taken = reserveSlot(state, insisting);
    expect(taken.slotMs).not.toBeNull();
    expect(taken.yielded).toBe(0);
    state = taken.state;
    expect(state.waiters?.daemon?.yielded).toBe(1);
    // not counted for less urgent work, nor for the taker
    expect(state.waiters?.policy?.yielded).toBeUndefined();
    expect(state.waiters?.['one-shot']?.yielded).toBeUndefined();
    // the daemon learns of it with its next reservation, and only then
    const next = reserveSlot(state, ask(10_200, 'daemon', 0));
    expect(next.yielded).toBe(1);
    expect(reserveSlot(next.state, ask(10_300, 'daemon', 0)).yielded).toBe(0);
    // a turn the daemon took itself, and one taken by equal rank, count for nobody
    const equal = reserveSlot(reserveSlot(null, ask(10_000, 'a', 1)).state, ask(10_000, 'b', 1));
    expect(equal.state.waiters?.a?.yielded).toBeUndefined();
  });

  it('never hands a turn to bulk work that is owed no share while a roster poll elsewhere waits', () => {
    const bulk = (t: number) => ({
      ...ask(t, 'one-shot', 5),
      waiter: { ...ask(t, 'one-shot', 5).waiter, yieldsAlwaysBelow: 2 },
    });
    let state: SlotState | null = reserveSlot(null, ask(10_000, 'daemon', 0)).state;
    const order: string[] = [];
    for (let t = 10_100; t < 12_000; t += 100) {
      const o = reserveSlot(state, bulk(t));
      state = o.state;
      if (o.slotMs !== null) order.push('o');
      const d = reserveSlot(state, ask(t, 'daemon', 0));
      state = d.state;
      if (d.slotMs !== null) order.push('D');
    }
    expect(order.join('')).toMatch(/^D+$/);
    // a policy poll elsewhere (rank 2) still owes it its share
    let policy: SlotState | null = reserveSlot(null, ask(10_000, 'daemon', 2)).state;
    const shared: string[] = [];
    for (let t = 10_100; shared.length < 8; t += 100) {
      for (const [id, r] of [
        ['one-shot', bulk(t)],
        ['daemon', ask(t, 'daemon', 2)],
      ] as const) {
        const x = reserveSlot(policy, r);
        policy = x.state;
        if (x.slotMs !== null) shared.push(id === 'daemon' ? 'D' : 'o');
      }
    }
    expect(shared.join('')).toContain('o');
  });

  it('lets a process that has yielded too long take the turn, unless it is owed no share at all', () => {
    const daemon = reserveSlot(null, ask(10_000, 'daemon', 0)).state;
    // a one-shot's read (rank 1) yields to the daemon's roster poll while the share is not due...
    expect(reserveSlot(daemon, ask(10_100, 'one-shot', 1)).slotMs).toBeNull();
    // ...but takes the turn once it has yielded for too long
    const insisting = { ...ask(10_100, 'one-shot', 1) };
    insisting.waiter = { ...insisting.waiter, insist: true } as typeof insisting.waiter;
    expect(reserveSlot(daemon, insisting).slotMs).toBe(10_600);
    // bulk work owed no share by a roster poll still waits, however long
    const bulk = { ...ask(10_100, 'one-shot', 5) };
    bulk.waiter = { ...bulk.waiter, yieldsAlwaysBelow: 2, insist: true } as typeof bulk.waiter;
    expect(reserveSlot(daemon, bulk).slotMs).toBeNull();
  });

  it('serves equal ranks first come, first served, and forgets a crashed process', () => {
    const first = reserveSlot(null, ask(10_000, 'a', 1));
    expect(reserveSlot(first.state, ask(10_000, 'b', 1)).slotMs).toBe(10_600);
    // `a` waits at rank 0 and then stops without withdrawing: its entry lapses after the ttl
    const crashed = reserveSlot(null, ask(10_000, 'a', 0)).state;
    expect(reserveSlot(crashed, ask(12_000, 'b', 4)).slotMs).toBeNull();
    expect(reserveSlot(crashed, ask(13_001, 'b', 4)).slotMs).toBe(13_001);
    // one that withdraws goes at once
    expect(reserveSlot(withdrawWaiter(crashed, 'a'), ask(10_100, 'b', 4)).slotMs).toBe(10_600);
  });

  it("ranks the daemon's work ahead of a one-shot's of the same kind, and a one-shot's ahead of less urgent kinds", () => {
    expect(crossProcessRank(0, true)).toBeLessThan(crossProcessRank(0, false));
    expect(crossProcessRank(0, false)).toBeLessThan(crossProcessRank(1, true));
    expect(crossProcessRank(1, false)).toBeLessThan(crossProcessRank(2, true));
  });
});

describe('pickLevel', () => {
  it.each([
    [0.25, 3],
    [0.5, 1],
    [0.1, 9],
    [0, Number.POSITIVE_INFINITY],
  ])('a background share of %f yields after %f turns across processes', (share, turns) => {
    expect(turnsBeforeYielding(share)).toBe(turns);
  });

  const R = (n: number): TurnRecord[] => Array.from({ length: n }, () => ({ level: 0 }));
  const P = (n: number): TurnRecord[] => Array.from({ length: n }, () => ({ level: 1 }));
  const B = (n: number): TurnRecord[] => Array.from({ length: n }, () => ({ level: 2 }));
  const E = (n: number, level = 0): TurnRecord[] =>
    Array.from({ length: n }, () => ({ level, elsewhere: true }));

  it.each<[string, TurnRecord[], number, boolean]>([
    ["an empty window: the first turn is the urgent level's", [], 0, false],
    ['three roster turns: the fourth is owed', R(3), 0, true],
    ['one in four already taken', [...R(3), ...P(1), ...R(2)], 0, false],
    ['one in four taken, three roster turns since', [...R(3), ...P(1), ...R(3)], 0, true],
    ['the policy poll took the turns between two roster polls', [...P(16), ...R(6)], 0, false],
    ['bulk turns count as background for roster too', [...B(16), ...R(6)], 0, false],
    ['turns taken elsewhere count no more than the own background took', [...E(8), ...R(3)], 0, true],
    ['turns taken elsewhere and as many own: half the share is left', [...E(2), ...P(2), ...R(8)], 0, false],
    ['half the share taken elsewhere, half own', [...E(2), ...P(1), ...R(9)], 0, true],
    ['policy versus bulk: roster turns are not counted', [...R(20), ...P(3)], 1, true],
    ['policy versus bulk: bulk had its quarter', [...R(20), ...P(3), ...B(1)], 1, false],
  ])('owes background a turn: %s', (_name, recent, level, owed) => {
    expect(owesTurnBelow(recent, level, 0.25)).toBe(owed);
  });

  /** `n` picks with `waiting`, each recorded in `recent` as the budget does. */
  const picks = (waiting: boolean[], n: number, recent: TurnRecord[], share = 0.25) =>
    Array.from({ length: n }, () => {
      const level = pickLevel(waiting, recent, share);
      if (level >= 0) recent.push({ level });
      return 'RPB'[level] ?? '-';
    }).join('');

  it('serves roster first, gives background one turn in four while both wait from the start, and policy before bulk', () => {
    expect(picks([true, false, false], 4, [])).toBe('RRRR');
    expect(picks([true, true, false], 8, [])).toBe('RRRPRRRP');
    expect(picks([false, true, true], 8, [])).toBe('PPPBPPPB');
    // bulk work is owed no share by a roster poll (issue 18): it takes the idle turns between them
    expect(picks([true, false, true], 8, [])).toBe('RRRRRRRR');
    expect(picks([false, false, true], 2, [])).toBe('BB');
    expect(pickLevel([false, false, false], [], 0.25)).toBe(-1);
    // all three waiting: roster keeps three of four turns and the policy poll the rest; bulk work
    // gets none while a roster poll waits, not even through the policy poll's share (issue 18)
    expect(picks([true, true, true], 64, [])).toBe('RRRP'.repeat(16));
  });

  /** As `picks`, recording which levels waited, as the budget does. */
  const picksWaiting = (waiting: boolean[], n: number, recent: TurnRecord[], share = 0.25) =>
    Array.from({ length: n }, () => {
      const level = pickLevel(waiting, recent, share);
      if (level >= 0) recent.push({ level, waiting: waitingBits(waiting) });
      return 'RPB'[level] ?? '-';
    }).join('');

  it('owes the policy poll nothing for roster turns taken while it was not waiting: no burst when it starts', () => {
    const recent: TurnRecord[] = [];
    picksWaiting([true, false, false], 34, recent);
    expect(picksWaiting([true, true, false], 16, recent)).toBe('RRRP'.repeat(4));
  });

  it('gives a share turn at most once in a row while roster work waits, however far behind the share is', () => {
    // 30 roster turns the policy poll waited through with no share (as if the share had been 0)
    const recent: TurnRecord[] = Array.from({ length: 30 }, () => ({
      level: 0,
      waiting: waitingBits([true, true, false]),
    }));
    const order = picksWaiting([true, true, false], 16, recent);
    expect(order).not.toContain('PP');
    expect(order).toBe('PR'.repeat(8));
  });

  it('leaves a roster poll every turn when the policy poll took the turns between roster polls', () => {
    const recent: TurnRecord[] = [];
    // a 15-s tick at 1.6/s: a roster poll of 7 requests, then 17 turns the policy poll has alone
    let rosterPolls = '';
    for (let tick = 0; tick < 6; tick++) {
      rosterPolls += `${picks([true, true, false], 7, recent)} `;
      picks([false, true, false], 17, recent);
      recent.splice(0, recent.length - 32); // the window: ~20 s of turns
    }
    // the first roster poll came on an empty window (the policy poll had just started); after it, none pays a turn
    expect(rosterPolls.trim().split(' ').slice(1)).toEqual(Array(5).fill('RRRRRRR'));
  });

  it('gives the policy poll at least its share when roster work waits throughout, over any window', () => {
    fc.assert(
      fc.property(
        // the policy poll waits, or not, in runs of 1–80 turns
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 80 })), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 8, max: 48 }),
        fc.constantFrom(0.1, 0.25, 0.5),
        (runs, windowTurns, share) => {
          const policyWaits = runs.flatMap(([waits, n]) => Array<boolean>(n).fill(waits));
          const recent: TurnRecord[] = [];
          const taken: string[] = [];
          for (const policy of policyWaits) {
            const level = pickLevel([true, policy, false], recent, share);
            recent.push({ level });
            if (recent.length > windowTurns) recent.shift();
            taken.push('RP'[level]!);
            // never more than its share plus one turn while roster work waits
            const inWindow = recent.filter((t) => t.level === 1).length;
            expect(inWindow).toBeLessThanOrEqual(Math.floor(share * recent.length) + 1);
          }
          // and whenever it waited through a whole window, at least its share of that window
          for (let end = windowTurns; end <= policyWaits.length; end++) {
            if (!policyWaits.slice(end - windowTurns, end).every(Boolean)) continue;
            const got = taken.slice(end - windowTurns, end).filter((c) => c === 'P').length;
            expect(got).toBeGreaterThanOrEqual(Math.floor(share * windowTurns) - 1);
          }
        },
      ),
    );
  });

  it('keeps the policy poll half its share while other processes take the other half ahead of the roster poll', () => {
    const recent: TurnRecord[] = [];
    let order = '';
    // one-shots run back to back: another process takes a turn ahead of the roster poll every fourth turn
    for (let i = 0; i < 160; i++) {
      if (i % 4 === 3) recent.push(...E(1));
      else order += picks([true, true, false], 1, recent);
      recent.splice(0, recent.length - 32);
    }
    const policy = [...order].filter((c) => c === 'P').length / order.length;
    // of this process's 120 turns: ~1/6 for the policy poll (1/8 of the key's), roster the rest
    expect(policy).toBeGreaterThanOrEqual(0.14);
    expect(policy).toBeLessThanOrEqual(0.2);
    expect(order).not.toMatch(/R{10}/);
  });
});

describe('createRateBudget', () => {
  /** A budget at VictorOps' 2 req/s (paced at `pace`) on `clock`, sharing `shared` if given. */
  const budgetOn = (clock: Clock, pace = 0.9, shared: SharedSlots = createLocalSlots()) =>
    createRateBudget({ maxRps: 2, pace, backgroundShare: 0.25, clock, shared });

  const grantOrder = async (budget: ReturnType<typeof createRateBudget>, asks: RequestPriority[]) => {
    const order: RequestPriority[] = [];
    const signal = new AbortController().signal;
    await Promise.all(asks.map((p) => budget.acquire(p, signal).then(() => order.push(p))));
    return order;
  };

  it('hands the turn to the most urgent waiter when the turn comes, not to the first to ask', async () => {
    const clock = fakeClock();
    const budget = budgetOn(clock);
    const order = await grantOrder(budget, [...Array(6).fill('policy'), ...Array(6).fill('roster')]);
    expect(order.slice(0, 8)).toEqual([
      'roster',
      'roster',
      'roster',
      'policy',
      'roster',
      'roster',
      'roster',
      'policy',
    ]);
    expect(order.slice(8)).toEqual(['policy', 'policy', 'policy', 'policy']);
  });

  it("counts a turn taken elsewhere only up to its own background's turns: the policy poll's share turn is still its own", async () => {
    const clock = fakeClock();
    const local = createLocalSlots();
    let first = true;
    // the schedule reports one turn a one-shot took ahead of this process's first request
    const shared: SharedSlots = {
      reserve: (request) => {
        const reserved = local.reserve(request);
        const yielded = first ? 1 : 0;
        first = false;
        return { ...reserved, yielded };
      },
      hold: local.hold,
      withdraw: local.withdraw,
    };
    const budget = budgetOn(clock, 0.9, shared);
    expect(await grantOrder(budget, ['roster'])).toEqual(['roster']);
    const order = await grantOrder(budget, [...Array(4).fill('policy'), ...Array(4).fill('roster')]);
    // this process's background took no turn in the window, so the one taken elsewhere is not
    // counted: the policy poll's turn comes after three roster turns taken while it waited (the
    // first one, taken alone, owes it nothing)
    expect(order.slice(0, 4)).toEqual(['roster', 'roster', 'roster', 'policy']);
  });

  it('gives a roster poll every turn after the policy poll had the turns before it, and one in four once those are older than the window', async () => {
    const clock = createFakeClock();
    const budget = createRateBudget({
      maxRps: 2,
      pace: 0.8,
      backgroundShare: 0.25,
      clock,
      shared: createLocalSlots(),
    });
    const signal = new AbortController().signal;
    const run = async (asks: RequestPriority[]) => {
      const order: string[] = [];
      const done = asks.map((p) => budget.acquire(p, signal).then(() => order.push(p[0]!.toUpperCase())));
      await clock.runUntilSettled(Promise.all(done));
      return order.join('');
    };
    // the policy poll alone between roster ticks: 16 turns (~10 s at 1.6/s)
    expect(await run(Array(16).fill('policy'))).toBe('P'.repeat(16));
    // a roster poll of 7 requests with the policy poll still waiting: no turn for it inside
    expect((await run([...Array(7).fill('roster'), ...Array(7).fill('policy')])).slice(0, 7)).toBe('RRRRRRR');
    // once those turns are older than the window, the policy poll is owed one in four again
    await clock.runUntilSettled(clock.sleep(SHARE_WINDOW_MS + 1));
    expect((await run([...Array(8).fill('roster'), ...Array(4).fill('policy')])).slice(0, 8)).toBe(
      'RRRPRRRP',
    );
  });

  it('never lets two processes sharing the key put more than its paced rate into any window', async () => {
    const clock = fakeClock();
    const starts: number[] = [];
    const shared = createLocalSlots(); // what the database row is to two processes
    const log: SharedSlots = {
      reserve: (request) => {
        const reserved = shared.reserve(request);
        if (reserved.slotMs !== null) starts.push(reserved.slotMs);
        return reserved;
      },
      hold: shared.hold,
      withdraw: shared.withdraw,
    };
    const a = budgetOn(clock, 0.9, log);
    const b = budgetOn(clock, 0.9, log);
    await Promise.all([grantOrder(a, Array(10).fill('roster')), grantOrder(b, Array(10).fill('roster'))]);
    expect(starts).toHaveLength(20);
    // never more than the key's 2 in any second, and 1.8 a second or less over the run
    const sorted = [...starts].sort((x, y) => x - y);
    for (let i = 2; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 2]!).toBeGreaterThanOrEqual(1_000);
    expect(sorted.at(-1)! - sorted[0]!).toBeGreaterThanOrEqual((19 / 1.8) * 1000 - 1_000);
  });

  it('pauses every process sharing the key after a rate-limited answer', async () => {
    const clock = fakeClock();
    const shared = createLocalSlots();
    const a = budgetOn(clock, 0.9, shared);
    const b = budgetOn(clock, 0.9, shared);
    await grantOrder(a, ['roster']);
    const heldFrom = clock.now();
    a.onRateLimited();
    expect(a.effectiveRps()).toBeCloseTo(0.9);
    await grantOrder(b, ['roster']);
    expect(clock.now()).toBeGreaterThanOrEqual(heldFrom + 1_000);
  });

  it('learns of a success in another process through the shared schedule', async () => {
    const clock = fakeClock();
    const shared = createLocalSlots();
    const a = budgetOn(clock, 0.9, shared);
    const b = budgetOn(clock, 0.9, shared);
    await grantOrder(a, ['roster']);
    a.onSuccess();
    const okAt = clock.now();
    await grantOrder(a, ['roster']); // a reports its success with its next reservation
    expect(b.lastSuccessMs()).toBeNull();
    await grantOrder(b, ['roster']);
    expect(b.lastSuccessMs()).toBe(okAt);
  });

  it("serves a roster poll in one process ahead of another process's bulk work, past one request", async () => {
    const clock = createFakeClock();
    const shared = createLocalSlots();
    const order: string[] = [];
    const signal = new AbortController().signal;
    const oneShot = createRateBudget({ maxRps: 2, pace: 0.9, backgroundShare: 0.25, clock, shared });
    const daemon = createRateBudget({
      maxRps: 2,
      pace: 0.9,
      backgroundShare: 0.25,
      clock,
      shared,
      lead: () => true,
    });
    const bulk = Array.from({ length: 12 }, () =>
      oneShot.acquire('bulk', signal).then(() => order.push('b')),
    );
    // the roster poll starts once the bulk work has taken two turns
    const roster = clock.runUntilSettled(
      (async () => {
        while (order.length < 2) await clock.sleep(50);
        await Promise.all(
          Array.from({ length: 6 }, () => daemon.acquire('roster', signal).then(() => order.push('R'))),
        );
      })(),
    );
    await roster;
    await clock.runUntilSettled(Promise.all(bulk));
    const during = order.join('').slice(2, order.lastIndexOf('R') + 1);
    // 6 roster turns; bulk keeps its share (one turn in four) and at most one turn already reserved
    expect(during.replace(/b/g, '').length).toBe(6);
    expect(during.length).toBeLessThanOrEqual(6 + 3);
    expect(order).toHaveLength(18);
    // the bulk process left the key's waiters when it had nothing more to wait for
    const last = { id: 'x', rank: 9, turns: 3, ttlMs: 0 };
    const after = { nowMs: clock.now(), capacity: 1, windowMs: 600, lastOkMs: null, maxAheadMs: 30_000 };
    expect(shared.reserve({ ...after, waiter: last }).slotMs).not.toBeNull();
  });

  it('tallies how long each priority waited for its turns and how long the shared schedule took', async () => {
    const clock = fakeClock();
    const shared = createLocalSlots();
    // A monotonic clock of the test's own: each call to the shared schedule "takes" 150 ms, as a
    // reservation waiting for another process's write lock would.
    let mono = 0;
    const slow: SharedSlots = {
      reserve: (request) => {
        mono += 150;
        return shared.reserve(request);
      },
      hold: (...args) => {
        mono += 20;
        shared.hold(...args);
      },
      withdraw: shared.withdraw,
    };
    const budget = createRateBudget({
      maxRps: 2,
      pace: 0.5,
      backgroundShare: 0.25,
      clock,
      shared: slow,
      monotonicMs: () => mono,
    });
    const t0 = clock.now();
    await grantOrder(budget, ['roster', 'roster', 'policy']);
    budget.onRateLimited();
    const timings = budget.timings();
    // 3 reservations of 150 ms, the withdrawal once nothing waited (0 ms) and one hold of 20 ms
    expect(timings.shared).toEqual({ calls: 5, totalMs: 470, maxMs: 150, callsOver100Ms: 3 });
    expect(timings.turns.roster.granted).toBe(2);
    expect(timings.turns.policy.granted).toBe(1);
    expect(timings.turns.bulk).toEqual({ granted: 0, waitedMs: 0, maxMs: 0 });
    // at 1 request a second (pace 0.5 of 2, bursts of 2): the third request waited for the next window
    expect(timings.turns.policy.waitedMs).toBe(clock.now() - t0);
    expect(timings.turns.policy.waitedMs).toBeGreaterThan(0);
    expect(timings.turns.roster.maxMs).toBeLessThan(timings.turns.policy.maxMs);
  });

  it("gives a one-shot beside a daemon polling back to back a turn within MAX_YIELD_MS, behind the daemon's roster polls", async () => {
    // background share 0: without the bounded yield the one-shot would get no turn at all
    const { clock, daemon, oneShot } = daemonAndOneShot(0);
    const signal = new AbortController().signal;
    const grants: { who: string; atMs: number }[] = [];
    const t0 = clock.now();
    const daemonPolls = Array.from({ length: 30 }, () =>
      daemon.acquire('roster', signal).then(() => grants.push({ who: 'D', atMs: clock.now() - t0 })),
    );
    const oneShotReads = (async () => {
      await clock.sleep(10);
      for (let i = 0; i < 3; i++) {
        await oneShot.acquire('roster', signal);
        grants.push({ who: 'o', atMs: clock.now() - t0 });
      }
    })();
    await clock.runUntilSettled(Promise.all([...daemonPolls, oneShotReads]));
    const order = grants.map((g) => g.who).join('');
    // the daemon's roster turns come first: the one-shot's reads are spread among them, not ahead
    expect(order.startsWith('DD')).toBe(true);
    const oneShotAt = grants.filter((g) => g.who === 'o').map((g) => g.atMs);
    expect(oneShotAt).toHaveLength(3);
    // each of its reads waited at most the bound plus the turn it then reserved (2 per 1.25 s)
    let previous = 10;
    for (const at of oneShotAt) {
      expect(at - previous).toBeLessThanOrEqual(MAX_YIELD_MS + 1_250 + 700);
      previous = at;
    }
    // and it was served well before the daemon's 30 turns were over
    expect(oneShotAt.at(-1)!).toBeLessThan(grants.at(-1)!.atMs);
  });

  it("lets a one-shot that just had its turns take none inside the daemon's roster poll that follows", async () => {
    const { clock, daemon, oneShot } = daemonAndOneShot(0.25);
    const signal = new AbortController().signal;
    const order: string[] = [];
    // the one-shot reads all along; the daemon's roster poll (6 requests) comes after its 4th turn
    const reads = Array.from({ length: 12 }, () =>
      oneShot.acquire('roster', signal).then(() => order.push('o')),
    );
    const rosterPoll = (async () => {
      while (order.length < 4) await clock.sleep(50);
      await Promise.all(
        Array.from({ length: 6 }, () => daemon.acquire('roster', signal).then(() => order.push('R'))),
      );
    })();
    await clock.runUntilSettled(Promise.all([...reads, rosterPoll]));
    const text = order.join('');
    // the roster poll's 6 turns in a row (a turn already reserved by the one-shot may come first)
    expect(text.slice(text.indexOf('R'), text.lastIndexOf('R') + 1)).toBe('RRRRRR');
    expect(text.indexOf('R')).toBeLessThanOrEqual(5);
    expect(order).toHaveLength(18);
  });

  it('gives a one-shot whose turns came in a burst its next turn within OWN_TURNS_WINDOW_MS beside a daemon polling back to back', async () => {
    const { clock, daemon, oneShot } = daemonAndOneShot(0);
    const signal = new AbortController().signal;
    const t0 = clock.now();
    const oneShotAt: number[] = [];
    const grants: string[] = [];
    // four reads alone, then the daemon's roster work all along while it reads three more
    const reads = (async () => {
      for (let i = 0; i < 7; i++) {
        await oneShot.acquire('roster', signal);
        oneShotAt.push(clock.now() - t0);
        grants.push('o');
      }
    })();
    const daemonPolls = (async () => {
      while (oneShotAt.length < 4) await clock.sleep(10);
      await Promise.all(
        Array.from({ length: 40 }, () => daemon.acquire('roster', signal).then(() => grants.push('D'))),
      );
    })();
    await clock.runUntilSettled(Promise.all([reads, daemonPolls]));
    for (let i = 4; i < oneShotAt.length; i++)
      expect(oneShotAt[i]! - oneShotAt[i - 1]!).toBeLessThanOrEqual(OWN_TURNS_WINDOW_MS + 1_250 + 700);
    // served well before the daemon's 40 turns were over
    expect(grants.lastIndexOf('o')).toBeLessThan(grants.lastIndexOf('D'));
  });

  it("keeps about two turns in three for the daemon's roster polls while its policy poll and a one-shot share the rest", async () => {
    const { clock, daemon, oneShot } = daemonAndOneShot(0.25);
    const order: string[] = [];
    const ask = (b: RateBudget, p: RequestPriority, n: number, mark: string) =>
      Array.from({ length: n }, () =>
        b.acquire(p, new AbortController().signal).then(() => order.push(mark)),
      );
    // all waiting throughout: a roster poll, a policy poll and a one-shot's reads
    const all = [
      ...ask(daemon, 'roster', 60, 'R'),
      ...ask(daemon, 'policy', 40, 'P'),
      ...ask(oneShot, 'roster', 40, 'o'),
    ];
    await clock.runUntilSettled(Promise.all(all));
    const whileRosterWaited = order.slice(0, order.lastIndexOf('R') + 1);
    const count = (c: string) => whileRosterWaited.filter((x) => x === c).length;
    // one background share for the key: ~65 % roster (it was ~56 %: the one-shot's share came on
    // top of the policy poll's); the one-shot still gets turns all along, and the policy poll half
    // its share (one turn in eight of the daemon's), since credit never takes two share turns in a row
    expect(count('R') / whileRosterWaited.length).toBeGreaterThanOrEqual(0.62);
    expect(count('P') / whileRosterWaited.length).toBeGreaterThanOrEqual(0.08);
    expect(count('o')).toBeGreaterThanOrEqual(10);
    expect(whileRosterWaited.slice(0, 20)).toContain('o');
    expect(order).toHaveLength(140);
  });

  it('stops waiting for a slot once its last waiter gave up: no call to the shared schedule after, and later work is still served', async () => {
    const clock = createFakeClock();
    const local = createLocalSlots();
    const calls: string[] = [];
    let open = true;
    // the schedule in the database; a command closes it once its poll failed
    const shared: SharedSlots = {
      reserve: (request) => {
        if (!open) throw new Error('The database connection is not open');
        calls.push('reserve');
        return local.reserve(request);
      },
      hold: (...args) => local.hold(...args),
      withdraw: (id) => {
        if (!open) throw new Error('The database connection is not open');
        calls.push('withdraw');
        local.withdraw(id);
      },
    };
    const sharedErrors: unknown[] = [];
    const budget = createRateBudget({
      maxRps: 2,
      pace: 0.9,
      backgroundShare: 0.25,
      clock,
      shared,
      onSharedError: (error) => sharedErrors.push(error),
    });
    // a rate-limited answer holds the key: the next slot is seconds away
    budget.onRateLimited(5_000);
    const controller = new AbortController();
    const waiting = budget.acquire('roster', controller.signal);
    await clock.nextSleepDue();
    expect(calls).toEqual(['reserve']);
    controller.abort(new Error('the poll failed'));
    await expect(waiting).rejects.toThrow('the poll failed');
    // left the key's waiters at once, and nothing is left sleeping to keep the process alive
    expect(calls).toEqual(['reserve', 'withdraw']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(clock.pendingSleeps()).toBe(0);
    open = false;
    await clock.advance(60_000);
    expect(sharedErrors).toEqual([]);
    // a waiter that gives up at once, before its turn came: no slot booked for nobody
    open = true;
    for (const ticks of [0, 1, 2]) {
      const quick = new AbortController();
      const gone = budget.acquire('roster', quick.signal).catch(() => 'gave up');
      for (let i = 0; i < ticks; i++) await Promise.resolve();
      quick.abort(new Error('cancelled'));
      expect(await gone).toBe('gave up');
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.filter((c) => c === 'reserve')).toHaveLength(1);
    // the budget still serves work that comes later
    await clock.runUntilSettled(budget.acquire('roster', new AbortController().signal));
    expect(calls.slice(2)).toContain('reserve');
  });

  it('rejects an aborted waiter and serves the others', async () => {
    const clock = fakeClock();
    const budget = budgetOn(clock, 1);
    const controller = new AbortController();
    const gone = budget.acquire('bulk', controller.signal);
    controller.abort(new Error('stop'));
    await expect(gone).rejects.toThrow('stop');
    expect(await grantOrder(budget, ['policy'])).toEqual(['policy']);
    expect(budget.waiting()).toEqual({ roster: 0, policy: 0, bulk: 0 });
  });
});

describe('shortOfOwnTurns', () => {
  it("counts only this process's own turns at the level, over the last OWN_TURNS_WINDOW_MS", () => {
    const now = 100_000;
    const at = (ago: number, level = 0, elsewhere = false) => ({ level, atMs: now - ago, elsewhere });
    expect(shortOfOwnTurns([], 0, now)).toBe(true);
    expect(shortOfOwnTurns([at(100)], 0, now)).toBe(true);
    expect(shortOfOwnTurns([at(3_000), at(100)], 0, now)).toBe(false);
    // one of the two left the window
    expect(shortOfOwnTurns([at(OWN_TURNS_WINDOW_MS), at(100)], 0, now)).toBe(true);
    // another level's turns, and turns taken elsewhere, are not this level's own
    expect(shortOfOwnTurns([at(200, 1), at(100, 1)], 0, now)).toBe(true);
    expect(shortOfOwnTurns([at(200, 0, true), at(100)], 0, now)).toBe(true);
  });
});

describe('rateBudgetKeyId', () => {
  it('names a key without holding it', () => {
    const id = rateBudgetKeyId('org-id', 'secret-key-123');
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(id).not.toContain('secret');
    expect(rateBudgetKeyId('org-id', 'other-key')).not.toBe(id);
  });
});

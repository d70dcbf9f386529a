/** The key's shared send schedule, through two connections to one database file (two processes). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/db.js';
import { holdSharedSlots, reserveSharedSlot, withdrawSharedWaiter } from '../../../src/store/rate-budget.js';

const opened: Store[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function twoConnections(): [Store, Store] {
  const dir = mkdtempSync(join(tmpdir(), 'rw-budget-'));
  dirs.push(dir);
  const path = join(dir, 'db.sqlite');
  const a = openStore(path);
  const b = openStore(path);
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

describe('the shared rate budget in the database', () => {
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
    expect(seen).toEqual({ slotMs: 5_000, lastOkMs: 900 });
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
});

/**
 * withPageCache (store/db.ts): a poll or a sync holds the connection's SQLite page cache small and
 * gives it back its size afterwards. The daemon runs a roster poll, a policy poll and an identity
 * sync on one connection, each awaiting its fetches, so holds overlap: the cache stays held while
 * any runs, and the size from before the first comes back when the last ends, in whatever order
 * they end (issue 21, forty-seventh part).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { withPageCache } from '../../../src/store/db.js';
import { createTempStore, type TempStore } from '../../helpers/delivery-fixtures.js';

let temp: TempStore | undefined;
afterEach(() => {
  temp?.cleanup();
  temp = undefined;
});

/** A fresh store with better-sqlite3's own page cache (16 MB: cache_size -16000). */
function freshStore() {
  temp = createTempStore();
  return temp.store;
}

const cacheSize = (store: ReturnType<typeof freshStore>) =>
  store.sqlite.pragma('cache_size', { simple: true });

/** A hold whose work waits until `release` is called, noting the cache size it ran on. */
function pendingHold(store: ReturnType<typeof freshStore>, kib: number) {
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const done = withPageCache(store, kib, async () => {
    const during = cacheSize(store);
    await gate;
    return during;
  });
  return { release, done };
}

describe('withPageCache', () => {
  it('holds the cache while its work runs and gives the size back after', async () => {
    const store = freshStore();
    expect(cacheSize(store)).toBe(-16000);
    const during = await withPageCache(store, 2000, async () => cacheSize(store));
    expect(during).toBe(-2000);
    expect(cacheSize(store)).toBe(-16000);
  });

  it('gives the size back after work that throws', async () => {
    const store = freshStore();
    await expect(
      withPageCache(store, 2000, async () => {
        throw new Error('the poll failed');
      }),
    ).rejects.toThrow('the poll failed');
    expect(cacheSize(store)).toBe(-16000);
  });

  it('keeps overlapping holds held until the last ends, when the first ends first', async () => {
    const store = freshStore();
    const first = pendingHold(store, 2000);
    const second = pendingHold(store, 2000);
    first.release();
    expect(await first.done).toBe(-2000);
    // The second hold still runs: the first one's end must not give the 16 MB back under it.
    expect(cacheSize(store)).toBe(-2000);
    second.release();
    expect(await second.done).toBe(-2000);
    expect(cacheSize(store)).toBe(-16000);
  });

  it('gives back the size from before the first hold when the first ends last', async () => {
    const store = freshStore();
    const first = pendingHold(store, 2000);
    const second = pendingHold(store, 2000);
    second.release();
    await second.done;
    expect(cacheSize(store)).toBe(-2000);
    first.release();
    await first.done;
    // The size from before the first hold, whichever hold ends last.
    expect(cacheSize(store)).toBe(-16000);
  });

  it('holds the smallest size asked for while holds overlap', async () => {
    const store = freshStore();
    const large = pendingHold(store, 4000);
    const small = pendingHold(store, 1000);
    expect(cacheSize(store)).toBe(-1000);
    large.release();
    small.release();
    expect(await Promise.all([large.done, small.done])).toEqual([-4000, -1000]);
    expect(cacheSize(store)).toBe(-16000);
  });

  it('holds the smallest size when the smaller hold comes first', async () => {
    const store = freshStore();
    const small = pendingHold(store, 1000);
    const large = pendingHold(store, 4000);
    expect(cacheSize(store)).toBe(-1000);
    small.release();
    await small.done;
    expect(cacheSize(store)).toBe(-1000);
    large.release();
    expect(await large.done).toBe(-1000);
    expect(cacheSize(store)).toBe(-16000);
  });

  it('starts afresh after every hold has ended', async () => {
    const store = freshStore();
    await withPageCache(store, 2000, async () => {});
    store.sqlite.pragma('cache_size = -8000');
    const during = await withPageCache(store, 1000, async () => cacheSize(store));
    expect(during).toBe(-1000);
    expect(cacheSize(store)).toBe(-8000);
  });

  it("keeps the work's own error when the store was closed under it", async () => {
    const store = freshStore();
    await expect(
      withPageCache(store, 2000, async () => {
        store.close();
        throw new Error('stopped by shutdown');
      }),
    ).rejects.toThrow('stopped by shutdown');
  });
});

/**
 * A one-off roster or policy poll (`roster-watch poll` and `policy-poll`, the App's pollRoster and
 * pollPolicies) runs with SQLite's page cache held at 2 MB and gives the connection its size back
 * afterwards (issue 21: the 16 MB cache a one-off poll fills once only adds to its peak RSS). The
 * daemon's roster and policy polls (`daemonParts`) likewise: its 10% changed roster poll of a
 * 20,000-user org peaked at 135–142 MiB with the full cache, 119–125 with 2 MB (forty-seventh part).
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { App } from '../../../src/app/types.js';
import type { PollCycleDeps } from '../../../src/cycles/poll-cycle.js';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';
import { tempDatabase } from '../../helpers/cli.js';
import { simConfig, withApp } from '../../helpers/sim-app.js';

/** The page cache size (PRAGMA cache_size) of the store each poll cycle ran on, when it started. */
const seen = vi.hoisted(() => {
  type Store = PollCycleDeps['store'];
  const state = { sizes: [] as number[], policySizes: [] as number[], store: null as Store | null };
  /** `run` with the cache size of its deps' store noted in `sizes` before it starts. */
  const noting =
    <D extends { store: Store }, R>(run: (deps: D, signal: AbortSignal) => R, sizes: number[]) =>
    (deps: D, signal: AbortSignal): R => {
      sizes.push(deps.store.sqlite.pragma('cache_size', { simple: true }) as number);
      state.store = deps.store;
      return run(deps, signal);
    };
  return Object.assign(state, { noting });
});

vi.mock('../../../src/cycles/poll-cycle.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../src/cycles/poll-cycle.js')>();
  return { ...original, runPollCycle: seen.noting(original.runPollCycle, seen.sizes) };
});

vi.mock('../../../src/cycles/policy-cycle.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../src/cycles/policy-cycle.js')>();
  return { ...original, runPolicyPollCycle: seen.noting(original.runPolicyPollCycle, seen.policySizes) };
});

let sim: Simulator | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  seen.sizes.length = 0;
  seen.policySizes.length = 0;
  seen.store = null;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** `use` on an App over a fresh simulated org and database (both ended after each test). */
async function onFreshApp<T>(use: (app: App) => Promise<T>): Promise<T> {
  sim = await startSimulator({ users: 8, teams: 3, seed: 5 });
  const db = tempDatabase();
  dirs.push(dirname(db));
  return withApp(simConfig(sim, db), use);
}

/** The page cache size of the store the last poll cycle ran on, now. */
const cacheSize = () => seen.store?.sqlite.pragma('cache_size', { simple: true });

describe("a one-off poll's page cache", () => {
  it('is 2 MB while the poll runs, and the size it had before afterwards', async () => {
    const got = await onFreshApp(async (app) => {
      const first = await app.pollRoster(new AbortController().signal);
      const between = cacheSize();
      const second = await app.pollRoster(new AbortController().signal);
      return { statuses: [first.status, second.status], between, after: cacheSize() };
    });
    expect(got.statuses).toEqual(['baseline', 'ok']);
    expect(seen.sizes).toEqual([-2000, -2000]);
    // better-sqlite3's own default (16 MB), given back between and after the polls.
    expect(got.between).toBe(-16000);
    expect(got.after).toBe(-16000);
  });

  it('is 2 MB while a one-off policy poll runs too, and the size it had before afterwards', async () => {
    const got = await onFreshApp(async (app) => {
      const roster = await app.pollRoster(new AbortController().signal);
      const policies = await app.pollPolicies(new AbortController().signal);
      return { statuses: [roster.status, policies.status], after: cacheSize() };
    });
    expect(got.statuses).toEqual(['baseline', 'baseline']);
    expect(seen.policySizes).toEqual([-2000]);
    expect(got.after).toBe(-16000);
  });
});

describe("the daemon's polls' page cache", () => {
  it('is 2 MB while its roster and policy polls run, and the size it had before afterwards', async () => {
    const got = await onFreshApp(async (app) => {
      const parts = await app.daemonParts();
      const roster = await parts.pollRoster(new AbortController().signal);
      const between = cacheSize();
      const policies = await parts.pollPolicies(new AbortController().signal);
      const again = await parts.pollRoster(new AbortController().signal);
      return { statuses: [roster.status, policies.status, again.status], between, after: cacheSize() };
    });
    expect(got.statuses).toEqual(['baseline', 'baseline', 'ok']);
    expect(seen.sizes).toEqual([-2000, -2000]);
    expect(seen.policySizes).toEqual([-2000]);
    expect(got.between).toBe(-16000);
    expect(got.after).toBe(-16000);
  });
});

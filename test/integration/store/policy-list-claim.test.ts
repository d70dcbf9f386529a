/**
 * The policy list's once-a-minute claim, shared by every process on the database: it is made
 * before the request waits for its turn, then moved to when the request was really sent, and given
 * back when the request never was (issue 27: a waiting process held it for seconds).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.js';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';
import { openStore, type Store } from '../../../src/store/db.js';
import {
  claimPolicyListCall,
  markPolicyListSent,
  releasePolicyListClaim,
} from '../../../src/store/policies.js';
import { createLocalSlots, createRateBudget, type RateBudget } from '../../../src/victorops/rate-budget.js';
import { policyListSchema } from '../../../src/victorops/schemas.js';
import { clientFor } from '../../helpers/client.js';

const MINUTE = 60_000;
const opened: Store[] = [];
const dirs: string[] = [];
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  for (const store of opened.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function twoConnections(): [Store, Store] {
  const dir = mkdtempSync(join(tmpdir(), 'rw-policy-claim-'));
  dirs.push(dir);
  const a = openStore(join(dir, 'db.sqlite'));
  const b = openStore(join(dir, 'db.sqlite'));
  opened.push(a, b);
  return [a, b];
}

describe('the policy list claim', () => {
  it('counts the interval from when the request was sent, not from the claim made before its wait', () => {
    const [daemon, oneShot] = twoConnections();
    const permit = claimPolicyListCall(daemon, 100_000, MINUTE);
    expect(permit.ok).toBe(true);
    // the request waited 5 s for its turn behind roster polls, then went out
    markPolicyListSent(daemon, 105_000);
    expect(claimPolicyListCall(oneShot, 161_000, MINUTE)).toEqual({
      ok: false,
      lastCallMs: 105_000,
      retryInMs: 4_000,
    });
    expect(claimPolicyListCall(oneShot, 165_000, MINUTE).ok).toBe(true);
    // a call that was sent keeps its claim even when it then failed
    releasePolicyListClaim(daemon, permit);
    expect(claimPolicyListCall(daemon, 166_000, MINUTE).ok).toBe(false);
  });

  it('gives back a claim whose request was never sent, and only that claim', () => {
    const [daemon, oneShot] = twoConnections();
    markPolicyListSent(daemon, 10_000);
    const waited = claimPolicyListCall(daemon, 100_000, MINUTE);
    // stopped while it waited for a turn: the other process need not wait a minute for nothing
    releasePolicyListClaim(daemon, waited);
    const next = claimPolicyListCall(oneShot, 101_000, MINUTE);
    expect(next.ok).toBe(true);
    // an older claim given back late does not undo the newer one
    releasePolicyListClaim(daemon, waited);
    expect(claimPolicyListCall(daemon, 102_000, MINUTE).ok).toBe(false);
    // a first claim ever given back leaves no record at all
    const [fresh] = twoConnections();
    const first = claimPolicyListCall(fresh, 5_000, MINUTE);
    releasePolicyListClaim(fresh, first);
    expect(claimPolicyListCall(fresh, 5_001, MINUTE)).toEqual({
      ok: true,
      claimedMs: 5_001,
      previousMs: null,
    });
  });

  it('hears of the send from the client only once the request has its turn', async () => {
    sim = await startSimulator({ users: 5, teams: 2, seed: 1 });
    const real = createRateBudget({
      maxRps: 100,
      pace: 1,
      backgroundShare: 0.25,
      clock: systemClock,
      shared: createLocalSlots(),
    });
    let letThrough: () => void = () => undefined;
    const turn = new Promise<void>((resolve) => {
      letThrough = resolve;
    });
    const budget: RateBudget = { ...real, acquire: async (p, s) => turn.then(() => real.acquire(p, s)) };
    const sends: string[] = [];
    const client = clientFor(sim, { budget, onSend: (endpoint) => sends.push(endpoint) });
    const list = client.get('/v1/policies', policyListSchema);
    await new Promise((r) => setTimeout(r, 50));
    expect(sends).toEqual([]); // waiting for its turn: not sent, so not recorded as a call
    letThrough();
    await list;
    expect(sends).toEqual(['v1/policies']);
    await client.close();
  });
});

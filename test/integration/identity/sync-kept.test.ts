/**
 * The identity cycle itself (runIdentitySync on a store of its own, a source handed in): its
 * sources keep only the identities the recorded users can match (issue 21). A user recorded by a
 * poll that finished while the sources were read was not wanted by the read; the sync must not
 * call them unmatched for it, but run again over the whole read. The sync reads the memberships of
 * the users with a finding only, and holds SQLite's page cache small while it runs.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.js';
import { runIdentitySync } from '../../../src/cycles/identity-cycle.js';
import { emptyStats, type IdentitySource, keptOf } from '../../../src/identity/source.js';
import { createSilentLogger } from '../../../src/logger.js';
import { computeIdentityFindings } from '../../../src/roster/identity-findings.js';
import type { Identity } from '../../../src/roster/identity-types.js';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';
import { openStore, type Store, withPageCache } from '../../../src/store/db.js';
import {
  loadCurrentMembershipsOf,
  loadCurrentRoster,
  loadCurrentUsersAndTeams,
} from '../../../src/store/history.js';
import { matchSettings } from '../../helpers/identity-unit.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { pollOnce, simConfig } from '../../helpers/sim-app.js';

let sim: Simulator | null = null;
let store: Store | null = null;
afterEach(async () => {
  store?.close();
  await sim?.close();
  store = null;
  sim = null;
});

function anIdentity(id: string, email: string, active: boolean): Identity {
  return {
    source: 'file',
    id,
    emails: [email],
    displayName: null,
    active,
    status: active ? 'active' : 'terminated',
    statusChangedAt: null,
  };
}

describe('an identity sync whose sources keep only what the recorded users can match', () => {
  it('runs again over the whole read when a poll records a new user while the sources are read', async () => {
    sim = await startSimulator({ users: 4, teams: 1, seed: 5 });
    const config = simConfig(sim, join(scratchDir('rw-sync-kept-'), 'history.db'));
    await pollOnce(config);
    const identities = [
      ...sim.org.listUsers().map((u, i) => anIdentity(`E${i}`, u.email ?? `${u.username}@x.example`, true)),
      anIdentity('E-new', 'newbie@corp.example', false),
      anIdentity('E-other', 'stranger@corp.example', true),
    ];
    const calls: string[] = [];
    const s = sim;
    const source: IdentitySource = {
      name: 'file',
      kind: 'file',
      async read() {
        calls.push('whole');
        return identities;
      },
      async readKept(_signal, wanted) {
        calls.push('kept');
        if (calls.length === 1) {
          // A roster poll finishes meanwhile and records a user the read was not asked to keep.
          s.org.addUser({
            username: 'newbie',
            firstName: 'New',
            lastName: 'Bie',
            email: 'newbie@corp.example',
          });
          await pollOnce(config);
        }
        return keptOf(identities, wanted);
      },
      stats: emptyStats,
      async close() {},
    };
    store = openStore(config.databasePath);
    const result = await runIdentitySync(
      {
        store,
        clock: systemClock,
        logger: createSilentLogger(),
        source: 'urn:test',
        guard: { maxFraction: 0.5, min: 10, confirmations: 2 },
        settings: matchSettings(),
        sources: [source],
        destinations: [],
      },
      new AbortController().signal,
    );
    expect(calls).toEqual(['kept', 'whole']);
    expect(result.status).toBe('ok');
    expect(result.sources).toEqual([expect.objectContaining({ verdict: 'ok', read: identities.length })]);
    expect(result.diff.appeared.map((f) => f.key)).toEqual(['identity.inactive:newbie']);
  });
});

describe('what an identity sync reads of the recorded org', () => {
  it('gives every finding the exposure the whole roster gives, reading only the memberships of users with one', async () => {
    sim = await startSimulator({ users: 40, teams: 4, seed: 11 });
    const config = simConfig(sim, join(scratchDir('rw-sync-kept-'), 'history.db'));
    await pollOnce(config);
    store = openStore(config.databasePath, { readonly: true });
    const users = sim.org.listUsers();
    // Every third user has left, every fifth has no identity: findings with teams to show.
    const identities = users
      .filter((_, i) => i % 5 !== 0)
      .map((u, i) => anIdentity(`E${i}`, u.email ?? `${u.username}@x.example`, i % 3 !== 0));
    const full = loadCurrentRoster(store);
    const lean = loadCurrentUsersAndTeams(store);
    if (full === null || lean === null) throw new Error('no roster recorded');
    expect(lean.memberships).toEqual([]);
    const asked: number[] = [];
    const s = store;
    const input = {
      policies: [],
      schedules: [],
      now: '2026-12-06T12:00:00.000Z',
      identities,
      settings: matchSettings(),
      sources: ['file'],
    };
    const expected = computeIdentityFindings({ ...input, roster: full });
    const got = computeIdentityFindings({
      ...input,
      roster: lean,
      membershipsOf: (keys) => {
        asked.push(keys.size);
        return loadCurrentMembershipsOf(s, keys);
      },
    });
    expect(got).toEqual(expected);
    expect(expected.filter((f) => 'exposure' in f && f.exposure.teams.length > 0).length).toBeGreaterThan(5);
    expect(asked).toEqual([expected.length]);
    expect(expected.length).toBeLessThan(users.length);
  });

  it('holds the page cache small while it runs and gives it back its size, even after a failure', async () => {
    store = openStore(join(scratchDir('rw-page-cache-'), 'history.db'));
    const s = store;
    const size = () => s.sqlite.pragma('cache_size', { simple: true });
    const before = size();
    expect(before).not.toBe(-2000);
    expect(await withPageCache(s, 2000, async () => size())).toBe(-2000);
    await expect(
      withPageCache(s, 2000, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(size()).toBe(before);
  });
});

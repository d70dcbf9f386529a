/**
 * A change made while a poll runs, after its team list was read and before a verification read of
 * that team: a second team-list read tells it apart from a swap the hints cannot show (counted) and
 * from the API contradicting its own member count (hints unreliable). A proxy in front of the
 * simulator makes the change at exactly that moment.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../../src/clock.js';
import { type Config, loadConfig } from '../../../src/config/load-config.js';
import type { PollResult } from '../../../src/cycles/poll-cycle.js';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { pollOnce, withApp } from '../../helpers/sim-app.js';

let sim: Simulator;
let proxy: Server;
let proxyUrl: string;
let databasePath: string;
/** Runs once, just before the next `/members` request is passed on. */
let beforeNextMembersRead: ((slug: string) => void) | null = null;
let nowMs = Date.parse('2026-06-01T12:00:00Z');
// Wall time (what is recorded) moves when the test says; request pacing runs on real time.
const clock: Clock = { now: () => nowMs, monotonicMs: () => performance.now(), sleep: systemClock.sleep };

beforeEach(async () => {
  sim = await startSimulator({ users: 40, teams: 6, seed: 31 });
  proxy = createServer((req, res) => {
    const match = /\/v1\/team\/([^/]+)\/members$/.exec(req.url ?? '');
    if (match?.[1] && beforeNextMembersRead) {
      const hook = beforeNextMembersRead;
      beforeNextMembersRead = null;
      hook(decodeURIComponent(match[1]));
    }
    const target = sim.url.replace(/\/api-public$/, '') + (req.url ?? '');
    fetch(target, { headers: req.headers as Record<string, string> })
      .then(async (answer) => {
        res.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'application/json',
        });
        res.end(Buffer.from(await answer.arrayBuffer()));
      })
      .catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/api-public`;
  databasePath = join(scratchDir('rw-midpoll-'), 'roster-watch.db');
});
afterEach(async () => {
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
  await sim.close();
});

function configFor(): Config {
  return loadConfig(
    {
      VO_API_ID: 'sim-api-id',
      VO_API_KEY: 'sim-api-key',
      VO_BASE_URL: proxyUrl,
      VO_MAX_RPS: '500',
      DATABASE_PATH: databasePath,
    },
    { requireVictorOps: true },
  );
}

/** One poll through the proxy, a minute (or `afterMs`) after the previous one, by an App of its own. */
function poll(afterMs = 60_000): Promise<PollResult> {
  nowMs += afterMs;
  return pollOnce(configFor(), { clock });
}

/** The stored "hints unreliable" mark, read by an App of its own (as `roster-watch hints` does). */
function hintsMark() {
  return withApp(configFor(), (app) => app.hintsState().unreliable);
}

/**
 * 6 teams read together at the baseline: the first of them is behind an even spread over the
 * 54-min round (90% of the hour) once they are 9 min old, so a poll 10 min after the baseline
 * verifies exactly one team.
 */
const UNTIL_ONE_VERIFICATION_MS = 10 * 60_000;

/** Swaps one member of the team about to be verified, mid-poll. */
function swapOnVerification(): { slug: string | null; changes: string[] } {
  const seen = { slug: null as string | null, changes: [] as string[] };
  beforeNextMembersRead = (slug) => {
    seen.slug = slug;
    const members = sim.org.membersOfTeam(slug);
    const outsider = sim.org.listUsers().find((u) => !members.includes(u))!;
    if (members[0]) {
      sim.org.removeMember(slug, members[0].username);
      seen.changes.push(`removed ${members[0].username}`);
    }
    sim.org.addMember(slug, outsider.username);
    seen.changes.push(`added ${outsider.username}`);
  };
  return seen;
}

const membershipEvents = (r: PollResult) => r.events.filter((e) => e.type.startsWith('victorops.membership'));
/** The membership events of a poll as `added|removed <username>`, sorted, to compare with what the test did. */
const membershipChanges = (r: PollResult) =>
  membershipEvents(r)
    .map(
      (e) =>
        `${e.type.split('.').at(-1)} ${(JSON.parse(e.envelope) as { data: { username: string } }).data.username}`,
    )
    .sort();
const notices = (r: PollResult) => r.events.filter((e) => e.type === 'rosterwatch.hints.unreliable');

/** Adds an outsider to the team about to be verified, mid-poll: its count moves. */
function joinOnVerification(): { slug: string | null; changes: string[] } {
  const seen = { slug: null as string | null, changes: [] as string[] };
  beforeNextMembersRead = (slug) => {
    seen.slug = slug;
    const members = sim.org.membersOfTeam(slug);
    const outsider = sim.org.listUsers().find((u) => !members.includes(u))!;
    sim.org.addMember(slug, outsider.username);
    seen.changes.push(`added ${outsider.username}`);
  };
  return seen;
}

describe('a change made during a poll', () => {
  it('is reported and not counted as a swap when the version moved (one extra team-list read)', async () => {
    sim.org.setTeamVersionBumps(true);
    await poll();
    const seen = swapOnVerification();
    const result = await poll(UNTIL_ONE_VERIFICATION_MS);
    expect(seen.slug).not.toBeNull();
    expect(membershipChanges(result)).toEqual([...seen.changes].sort());
    expect(notices(result)).toEqual([]);
    expect(result.verifyCatches).toBe(0);
    // 2 lists + 1 verification + the second team-list read.
    expect(result.fetched?.stats.requests).toBe(4);
    expect(await hintsMark()).toBeNull();
    // The team's hints moved since they were recorded: the next poll reads it, and finds nothing new.
    const next = await poll();
    expect(membershipEvents(next)).toEqual([]);
    expect(next.fetched?.hints?.read).toContain(seen.slug);
  });

  it('is a counted swap, not a reason to distrust the hints, when neither version nor count moved', async () => {
    await poll();
    const seen = swapOnVerification();
    const result = await poll(UNTIL_ONE_VERIFICATION_MS);
    expect(membershipChanges(result)).toEqual([...seen.changes].sort());
    expect(result.verifyCatches).toBe(1);
    expect(notices(result)).toEqual([]);
    expect(await hintsMark()).toBeNull();
    expect((await poll()).fetched?.hints?.carried.length).toBeGreaterThan(0);
  });

  it('does not take a count that moved during the poll for the API contradicting itself', async () => {
    await poll();
    const seen = joinOnVerification();
    const result = await poll(UNTIL_ONE_VERIFICATION_MS);
    expect(seen.slug).not.toBeNull();
    // Listed before the join, read after it: the second list shows the new count.
    expect(membershipChanges(result)).toEqual(seen.changes);
    expect(result.fetched?.hints?.contradicted).toEqual([]);
    expect(result.fetched?.stats.requests).toBe(4);
    expect(notices(result)).toEqual([]);
    expect(result.verifyCatches).toBe(0);
    expect(await hintsMark()).toBeNull();
  });
});

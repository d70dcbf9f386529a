/**
 * A change made while a poll runs, after its team list was read and before a verification read of
 * that team, is not an unannounced change when the team's version moved: a second team-list read
 * tells the two apart. A proxy in front of the simulator makes the change at exactly that moment.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../../src/clock.js';
import { type Config, loadConfig } from '../../../src/config/load-config.js';
import type { PollResult } from '../../../src/cycles/poll-cycle.js';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';
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
  databasePath = join(mkdtempSync(join(tmpdir(), 'rw-midpoll-')), 'roster-watch.db');
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

/** One poll through the proxy, a minute after the previous one, by an App of its own. */
function poll(): Promise<PollResult> {
  nowMs += 60_000;
  return pollOnce(configFor(), { clock });
}

/** The stored "hints unreliable" mark, read by an App of its own (as `roster-watch hints` does). */
function hintsMark() {
  return withApp(configFor(), (app) => app.hintsState().unreliable);
}

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

describe('a change made during a poll', () => {
  it('is reported, and does not condemn hints whose version moved (one extra team-list read)', async () => {
    await poll();
    const seen = swapOnVerification();
    const result = await poll();
    expect(seen.slug).not.toBeNull();
    expect(membershipChanges(result)).toEqual([...seen.changes].sort());
    expect(notices(result)).toEqual([]);
    // 2 lists + 1 verification + the second team-list read.
    expect(result.fetched?.stats.requests).toBe(4);
    expect(await hintsMark()).toBeNull();
    // The team's hints moved since they were recorded: the next poll reads it, and finds nothing new.
    const next = await poll();
    expect(membershipEvents(next)).toEqual([]);
    expect(next.fetched?.hints?.read).toContain(seen.slug);
  });

  it('still proves the hints unreliable when the version did not move', async () => {
    await poll();
    sim.org.setTeamVersionBumps(false);
    const seen = swapOnVerification();
    const result = await poll();
    expect(membershipChanges(result)).toEqual([...seen.changes].sort());
    expect(notices(result)).toHaveLength(1);
    expect(await hintsMark()).not.toBeNull();
  });
});

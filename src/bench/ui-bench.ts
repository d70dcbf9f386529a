/**
 * Web view page times on a large history (20,000 users, 1,000,000 events by default): each page
 * is requested over HTTP from the `roster-watch ui` server, sequentially, after a warm-up, and
 * p50 / p95 / max are reported. The target is p95 ≤ 200 ms for every HTML page.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSilentLogger } from '../logger.js';
import { openStore } from '../store/db.js';
import { startUiServer } from '../web/serve.js';
import { writeUiHistory } from './ui-history.js';

export interface UiPageTiming {
  path: string;
  bytes: number;
  /** The first request: nothing cached by SQLite's page cache for this page, nor by the view. */
  firstMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface UiBenchResult {
  users: number;
  events: number;
  generateSeconds: number;
  databaseMb: number;
  samples: number;
  pages: UiPageTiming[];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export async function benchUi(options: {
  users: number;
  events: number;
  samples: number;
}): Promise<UiBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-ui-bench-'));
  const path = join(dir, 'history.db');
  const endMs = Date.parse('2026-06-01T00:00:00.000Z');
  try {
    const started = performance.now();
    const writer = openStore(path);
    const facts = writeUiHistory(writer, { users: options.users, teams: 500, events: options.events, endMs });
    writer.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    writer.close();
    const generateSeconds = (performance.now() - started) / 1000;
    const store = openStore(path, { readonly: true });
    const server = await startUiServer({
      store,
      auth: { kind: 'none' },
      host: '127.0.0.1',
      port: 0,
      logger: createSilentLogger(),
      now: () => new Date(endMs),
    });
    const midYear = new Date(endMs - 180 * 86_400_000).toISOString();
    const week = (ms: number) =>
      `since=${new Date(ms).toISOString()}&until=${new Date(ms + 7 * 86_400_000).toISOString()}`;
    const paths = [
      '/ui',
      '/ui/timeline',
      '/ui/timeline?type=victorops.user.*',
      '/ui/timeline?type=rosterwatch.coverage.*',
      '/ui/timeline?type=victorops.team.changed',
      `/ui/timeline?user=${facts.sampleUser}`,
      `/ui/timeline?team=${facts.sampleTeam}`,
      `/ui/timeline?team=${facts.sampleTeam}&type=victorops.membership.*`,
      `/ui/timeline?${week(endMs - 200 * 86_400_000)}`,
      `/ui/timeline?type=victorops.user.changed&${week(endMs - 300 * 86_400_000)}`,
      `/ui/timeline?before=${Math.floor(options.events / 2)}`,
      '/ui/timeline/query?type=victorops.user.*',
      `/ui/events/${Math.floor(options.events / 3)}`,
      `/ui/users/${facts.sampleUser}`,
      `/ui/teams/${facts.sampleTeam}`,
      '/ui/roster',
      `/ui/roster?at=${midYear}`,
      // A different second each request: the diff is never remembered, so this is its full cost.
      `/ui/roster?at=${midYear.slice(0, 17)}{i}.000Z`,
      // A later page of that diff: the memberships from a user in the middle of the key space.
      `/ui/roster?at=${midYear.slice(0, 17)}{i}.000Z&diff=membership-added&diff_after=user10000&diff_team=team-0000`,
      '/ui/findings',
      '/ui/findings?state=all',
      '/ui/findings?kind=identity.inactive',
      `/ui/findings?state=all&before=${encodeURIComponent(`${new Date(Date.parse(facts.firstIso) + 900 * 3_600_000).toISOString()}~coverage~900`)}`,
      // Search: one user by part of a last name, a term every user matches (the worst case for
      // ranking), a two-letter prefix (no trigram: the (kind, key) index), a team by name.
      `/ui/search?q=Last${facts.sampleUser.slice(4)}`,
      '/ui/search?q=last',
      '/ui/search?q=us',
      '/ui/search?q=team%2017',
      `/ui/search?q=${facts.sampleUser.slice(0, 7)}`,
      '/ui/policies',
      '/ui/policies/pol-17',
      // On call: this week of the first team, a month of another, who was on call at a moment.
      '/ui/oncall',
      `/ui/oncall?team=${facts.sampleTeam}&view=month`,
      `/ui/oncall?team=${facts.sampleTeam}&at=${encodeURIComponent(new Date(endMs + 3 * 86_400_000).toISOString())}`,
      '/ui/runs',
      '/ui/runs?kind=policy',
      `/ui/runs/${Math.floor(facts.runs / 2)}`,
      '/ui/deliveries',
      '/ui/deliveries?status=dead',
      '/ui/timeline.csv?table=events',
    ];
    const pages: UiPageTiming[] = [];
    for (const p of paths) {
      const times: number[] = [];
      let bytes = 0;
      let firstMs = 0;
      for (let i = 0; i < options.samples + 2; i++) {
        const t0 = performance.now();
        const res = await fetch(
          `${server.url.replace(/\/ui$/, '')}${p.replace('{i}', String(i).padStart(2, '0'))}`,
        );
        const body = await res.arrayBuffer();
        const ms = performance.now() - t0;
        if (res.status !== 200) throw new Error(`${p} answered ${res.status}`);
        bytes = body.byteLength;
        if (i === 0) firstMs = ms;
        // The first two warm the statement cache and the page cache, as a running view would be.
        if (i >= 2) times.push(ms);
      }
      times.sort((a, b) => a - b);
      pages.push({
        path: p,
        bytes,
        firstMs,
        p50Ms: percentile(times, 50),
        p95Ms: percentile(times, 95),
        maxMs: times[times.length - 1] as number,
      });
      process.stderr.write(`  ${p}: p95 ${percentile(times, 95).toFixed(1)} ms\n`);
    }
    await server.close();
    store.close();
    return {
      users: options.users,
      events: options.events,
      generateSeconds,
      databaseMb: statSync(path).size / 1024 / 1024,
      samples: options.samples,
      pages,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER } from '../../src/store/db.js';
import { CLI, cliEnv, runCli, tempDatabase } from '../helpers/cli.js';
import { recordUiHistory } from '../helpers/ui-history.js';
import { waitFor } from '../helpers/wait-for.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts the built CLI and resolves with the first stdout match of `pattern`. */
function startCli(args: string[], env: Record<string, string>, pattern: RegExp) {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const matched = new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = pattern.exec(stdout);
      if (m !== null) resolve(m);
    });
    child.on('close', (code) =>
      reject(new Error(`exited ${code} before printing ${pattern}: ${stdout}${stderr}`)),
    );
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, matched, exited };
}

describe('roster-watch ui', () => {
  it('serves a recorded history read-only and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-ui-e2e-'));
    try {
      const db = join(dir, 'history.db');
      recordUiHistory(db).close();
      const ui = startCli(['ui', '--db', db, '--port', '0'], cliEnv({}), /(http:\/\/127\.0\.0\.1:\d+\/ui)\n/);
      const url = (await ui.matched)[1] as string;
      const overview = await fetch(url);
      expect(overview.status).toBe(200);
      expect(await overview.text()).toContain('Open findings by kind');
      expect((await fetch(`${url}/users/carol`)).status).toBe(200);
      const root = await fetch(url.replace(/\/ui$/, '/'), { redirect: 'manual' });
      expect(root.headers.get('location')).toBe('/ui');
      ui.child.kill('SIGTERM');
      expect(await ui.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a non-loopback --host without authentication (exit 2), and a missing database (exit 1)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-ui-e2e-'));
    try {
      const db = join(dir, 'history.db');
      recordUiHistory(db).close();
      const exposed = await runCli(['ui', '--db', db, '--host', '0.0.0.0', '--port', '0'], cliEnv({}));
      expect(exposed.code).toBe(2);
      expect(exposed.stderr).toMatch(/^error: --host 0\.0\.0\.0: .*without authentication/m);
      const missing = await runCli(['ui', '--db', join(dir, 'nope.db'), '--port', '0'], cliEnv({}));
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^error: no database at /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The migrations from 0015 on: a history from before 0015 is this many schema updates behind. */
const FROM_MIGRATION_15 = (
  JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
    entries: { idx: number; when: number }[];
  }
).entries.filter((e) => e.idx >= 15);

/**
 * Takes a history back to before migration 0015 (so before 0016 too), as a build of that time left
 * it; the migrations after 0016 are run again too (0017 replaces triggers, which it can repeat).
 */
function asBeforeMigration15(db: string): void {
  const sqlite = new Database(db);
  sqlite.exec(`DROP INDEX users_key_span_idx; DROP INDEX memberships_key_span_idx; DROP INDEX users_valid_to_idx;
    CREATE INDEX users_valid_to_idx ON users (valid_to, valid_from, username_key);
    ALTER TABLE team_fingerprints DROP COLUMN member_keys;
    DELETE FROM __drizzle_migrations WHERE created_at >= ${Math.min(...FROM_MIGRATION_15.map((e) => e.when))};`);
  sqlite.close();
}

describe('roster-watch ui on a history an older build wrote', () => {
  it('refuses it read-only with the fix named (exit 1), and serves the roster once it is migrated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-ui-e2e-'));
    try {
      const db = join(dir, 'history.db');
      recordUiHistory(db).close();
      asBeforeMigration15(db);
      const refused = await runCli(['ui', '--db', db, '--port', '0'], cliEnv({}));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        new RegExp(
          `^error: the history at .* was written by an older roster-watch \\(${FROM_MIGRATION_15.length} schema updates behind`,
          'm',
        ),
      );
      expect(refused.stderr).toContain('roster-watch migrate');
      expect(refused.stderr).not.toMatch(/\n\s+at /);
      const migrated = await runCli(['migrate'], cliEnv({ DATABASE_PATH: db }));
      expect(migrated.code).toBe(0);
      const ui = startCli(['ui', '--db', db, '--port', '0'], cliEnv({}), /(http:\/\/127\.0\.0\.1:\d+\/ui)\n/);
      const url = (await ui.matched)[1] as string;
      expect((await fetch(`${url}/roster?at=2026-01-01T00:00:00Z`)).status).toBe(200);
      ui.child.kill('SIGTERM');
      expect(await ui.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('roster-watch demo and the web view', () => {
  it('prints the web view URL, and the timeline shows the drift while the demo runs', async () => {
    const database = tempDatabase();
    const demo = startCli(
      [
        'demo',
        '--duration-seconds',
        '40',
        '--interval-seconds',
        '2',
        '--users',
        '25',
        '--teams',
        '4',
        '--database',
        database,
      ],
      cliEnv({}),
      /web view: (http:\/\/127\.0\.0\.1:\d+\/ui)\n/,
    );
    const url = (await demo.matched)[1] as string;
    await waitFor(
      'a drift event in the timeline',
      async () => {
        const page = await fetch(`${url}/timeline?type=victorops.*`);
        return (
          page.status === 200 &&
          /<span class="mono"><bdi>victorops\.[a-z]+\.[a-z]+<\/bdi><\/span>/.test(await page.text())
        );
      },
      { timeoutMs: 45_000, everyMs: 250 },
    );
    expect((await fetch(`${url}/runs`)).status).toBe(200);
    demo.child.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
  });
});

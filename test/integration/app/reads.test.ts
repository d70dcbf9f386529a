/**
 * The App's read side (src/app/reads.ts), as the audit commands use it: it opens nothing but the
 * database, lazily, refuses a missing file without creating it, and never records the configured
 * destinations, so `roster`, `history` or `runs` need neither VictorOps credentials nor delivery
 * settings and cannot change what a running daemon delivers.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { OutboxError, StoreError } from '../../../src/errors.js';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';
import { tempDatabase } from '../../helpers/cli.js';
import { pollOnce, simConfig, withApp } from '../../helpers/sim-app.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** A reading command's configuration: no VictorOps credentials, one webhook destination. */
function readerConfig(databasePath: string) {
  return loadConfig(
    {
      DATABASE_PATH: databasePath,
      WEBHOOK_URLS: 'http://127.0.0.1:9/hook',
      WEBHOOK_SECRET: 'whsec_c2l4dGVlbi1ieXRlLWtleS1mb3ItdGVzdHM=',
    },
    { requireVictorOps: false },
  );
}

function destinationNames(databasePath: string): string[] {
  const conn = new Database(databasePath, { readonly: true });
  try {
    return (conn.prepare('SELECT name FROM destinations').all() as { name: string }[]).map((r) => r.name);
  } finally {
    conn.close();
  }
}

describe('the App read side', () => {
  it('refuses a database that does not exist, and does not create it', async () => {
    const path = tempDatabase();
    await expect(withApp(readerConfig(path), (app) => app.listRuns(5))).rejects.toBeInstanceOf(StoreError);
    expect(existsSync(path)).toBe(false);
  });

  it('reads the recorded history without VictorOps credentials and records no destination', async () => {
    sim = await startSimulator({ users: 8, teams: 2, seed: 3 });
    const path = tempDatabase();
    const polled = await pollOnce(simConfig(sim, path));
    expect(polled.status).toBe('baseline');

    const read = await withApp(readerConfig(path), (app) => ({
      runs: app.listRuns(5),
      roster: app.rosterAt(new Date().toISOString()),
      findings: app.openFindings(),
    }));
    expect(read.runs.map((r) => r.id)).toEqual([polled.runId]);
    expect(read.roster.users).toHaveLength(polled.fetched?.roster.users.length ?? -1);
    expect(read.findings).toEqual([]);
    expect(destinationNames(path)).toEqual([]);

    // The write side, given the same configuration, does record it: the read side chose not to.
    await withApp(readerConfig(path), (app) => app.outboxCounts());
    expect(destinationNames(path)).toHaveLength(1);
  });

  it('refuses a redeliver of an unknown event with an OutboxError (exit 2, one line)', async () => {
    sim = await startSimulator({ users: 4, teams: 1, seed: 5 });
    const path = tempDatabase();
    await pollOnce(simConfig(sim, path));
    await expect(
      withApp(readerConfig(path), (app) => app.redeliver({ eventId: 'no-such-event' }, Date.now())),
    ).rejects.toBeInstanceOf(OutboxError);
  });
});

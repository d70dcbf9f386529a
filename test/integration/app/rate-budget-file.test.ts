/**
 * Where the App keeps the VictorOps key's shared send schedule: in the rate budget's own file beside
 * the history, so a reservation never waits for a poll's recording transaction (issue 27), and not
 * in the history, whose write lock a one-shot `poll` beside the daemon holds while it records.
 */
import { chmodSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';
import { rateBudgetPathFor } from '../../../src/store/db.js';
import { createCapturingLogger } from '../../helpers/capture-logger.js';
import { tempDatabase } from '../../helpers/cli.js';
import { pollOnce, simConfig, withApp } from '../../helpers/sim-app.js';

let sim: Simulator | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const scheduleRows = (path: string) => {
  const conn = new Database(path, { readonly: true });
  try {
    return conn.prepare("SELECT key FROM meta WHERE key LIKE 'victorops.rate_budget.%'").all();
  } finally {
    conn.close();
  }
};

describe("the App's rate budget file", () => {
  it('reserves the turns of a poll in the file beside the history, and none in the history', async () => {
    sim = await startSimulator({ users: 6, teams: 2, seed: 4 });
    const db = tempDatabase();
    dirs.push(dirname(db));
    const result = await pollOnce(simConfig(sim, db));
    expect(result.status).toBe('baseline');
    expect(scheduleRows(db)).toEqual([]);
    expect(scheduleRows(rateBudgetPathFor(db))).toHaveLength(1);
  });

  const budgetWarning = /could not open the shared rate budget/;

  it('is not created by a `fetch` where there is no history: that command paces alone, quietly', async () => {
    sim = await startSimulator({ users: 3, teams: 1, seed: 4 });
    const db = tempDatabase();
    dirs.push(dirname(db));
    const { logger, lines } = createCapturingLogger();
    const fetched = await withApp(
      simConfig(sim, db),
      (app) => app.fetchRoster(new AbortController().signal),
      { logger },
    );
    expect(fetched.roster.users.length).toBeGreaterThan(0);
    expect(existsSync(db)).toBe(false);
    expect(existsSync(rateBudgetPathFor(db))).toBe(false);
    expect(lines().filter((l) => budgetWarning.test(l))).toEqual([]);
  });

  it('warns, once, when a history is there but its budget file cannot be opened', async () => {
    sim = await startSimulator({ users: 3, teams: 1, seed: 4 });
    const db = tempDatabase();
    dirs.push(dirname(db));
    await pollOnce(simConfig(sim, db));
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${rateBudgetPathFor(db)}${suffix}`, { force: true });
    mkdirSync(rateBudgetPathFor(db)); // a directory where the file should be: SQLite cannot open it
    const { logger, lines } = createCapturingLogger();
    await withApp(simConfig(sim, db), (app) => app.fetchRoster(new AbortController().signal), { logger });
    const warned = lines().filter((l) => budgetWarning.test(l));
    expect(warned).toHaveLength(1);
    expect(JSON.parse(warned[0]!)).toMatchObject({
      level: 40,
      err: expect.stringMatching(/rate budget file/),
    });
  });

  it("is created with the history's own mode, so a group that shares the history shares the budget", async () => {
    sim = await startSimulator({ users: 3, teams: 1, seed: 4 });
    const db = tempDatabase();
    dirs.push(dirname(db));
    await pollOnce(simConfig(sim, db));
    rmSync(rateBudgetPathFor(db), { force: true });
    for (const suffix of ['-wal', '-shm']) rmSync(`${rateBudgetPathFor(db)}${suffix}`, { force: true });
    chmodSync(db, 0o660);
    await pollOnce(simConfig(sim, db));
    expect(statSync(rateBudgetPathFor(db)).mode & 0o777).toBe(0o660);
  });
});

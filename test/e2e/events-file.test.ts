/**
 * EVENTS_FILE through the built CLI against the simulator: `poll` appends every event as one
 * CloudEvents line that matches schemas/events.schema.json, follows logrotate's rename-and-create,
 * and keeps a line torn by a crash apart from the next event.
 */
import { appendFileSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { runCli, simulatorCliEnv } from '../helpers/cli.js';
import { assertValidEvent } from '../helpers/event-schema.js';
import { scratchDir } from '../helpers/scratch-dir.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
});

/** The file's whole lines as events, each checked against the schema; `torn` lines are left out. */
function readEvents(path: string, torn: readonly string[] = []): { id: string; type: string }[] {
  const text = readFileSync(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .filter((line) => !torn.includes(line))
    .map((line) => {
      const event = JSON.parse(line) as { id: string; type: string };
      assertValidEvent(event);
      return event;
    });
}

describe('EVENTS_FILE', () => {
  it('gets every event of each poll as a schema-valid line, across a rotation and a torn line', async () => {
    sim = await startSimulator({ users: 6, teams: 2, seed: 41, policyListPerMinute: 0 });
    const path = join(scratchDir('rw-events-file-'), 'roster-events.jsonl');
    const env = simulatorCliEnv(sim, { EVENTS_FILE: path });
    const poll = async () => {
      const r = await runCli(['poll'], env);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    };

    await poll();
    const first = readEvents(path);
    expect(first.map((e) => e.type)).toContain('rosterwatch.baseline');
    expect(statSync(path).mode & 0o777).toBe(0o600);

    // logrotate: rename, then the next poll creates the file anew.
    renameSync(path, `${path}.1`);
    sim.applyDrift(3);
    await poll();
    const second = readEvents(path);
    expect(second.length).toBeGreaterThan(0);
    expect(second.some((e) => e.type.startsWith('victorops.'))).toBe(true);
    expect(readEvents(`${path}.1`)).toEqual(first);

    // A writer that died mid-line: the next event starts on a line of its own.
    const fragment = '{"specversion":"1.0","id":"01J';
    appendFileSync(path, fragment);
    sim.applyDrift(3);
    await poll();
    const third = readEvents(path, [fragment]);
    expect(third.slice(0, second.length)).toEqual(second);
    expect(third.length).toBeGreaterThan(second.length);
    expect(readFileSync(path, 'utf8').split('\n')).toContain(fragment);

    // `deliver` counts the file as a destination: nothing is left to do, and no warning says otherwise.
    const delivered = await runCli(['deliver'], env);
    expect(delivered.code, delivered.stderr).toBe(0);
    expect(delivered.stderr).not.toContain('no destinations configured');

    const ids = [...first, ...third].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    // Every outbox row of the file is delivered, one per line written.
    const listed = await runCli(
      ['deliveries', '--destination', 'events-file', '--limit', '1000', '--json'],
      env,
    );
    expect(listed.code, listed.stderr).toBe(0);
    const rows = JSON.parse(listed.stdout) as { status: string; eventId: string }[];
    expect(rows.every((row) => row.status === 'delivered')).toBe(true);
    expect(rows.map((row) => row.eventId).sort()).toEqual([...ids].sort());
  });

  it('refuses to deliver into a directory that is not there (exit 2, named), while readers still run', async () => {
    sim = await startSimulator({ users: 4, teams: 1, seed: 42, policyListPerMinute: 0 });
    const dir = scratchDir('rw-events-file-');
    const recorded = simulatorCliEnv(sim, { DATABASE_PATH: join(dir, 'h.db') });
    expect((await runCli(['poll', '--no-deliver'], recorded)).code).toBe(0);
    const env = { ...recorded, EVENTS_FILE: join(dir, 'missing', 'events.jsonl') };
    const deliver = await runCli(['deliver'], env);
    expect(deliver.code).toBe(2);
    expect(deliver.stderr).toContain(
      `EVENTS_FILE: the directory ${join(dir, 'missing')} does not exist: create it first`,
    );
    expect(deliver.stderr).not.toMatch(/\n\s+at /);
    const history = await runCli(['history'], env);
    expect(history.code, history.stderr).toBe(0);
  });
});

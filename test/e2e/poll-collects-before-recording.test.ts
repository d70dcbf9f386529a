/**
 * The one-shot roster poll collects its garbage once between its fetch and its record step
 * (runtime-memory.ts `collectBeforeRecording`, issue 21, forty-ninth part): a forced full
 * collection is seen in `poll` and in no other command. Observed from outside the CLI's code:
 * a preloaded module counts the garbage collections Node reports as forced (`gc()` called).
 * Needs `npm run build`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { runCli, simulatorCliEnv, tempDatabase } from '../helpers/cli.js';

let sim: Simulator;
let dir: string;
let observer: string;

beforeAll(async () => {
  sim = await startSimulator({ users: 40, teams: 4, seed: 3, rateLimit: null });
  dir = mkdtempSync(join(tmpdir(), 'rw-gc-'));
  observer = join(dir, 'forced-gc.mjs');
  writeFileSync(
    observer,
    [
      "import { constants, PerformanceObserver } from 'node:perf_hooks';",
      "import { writeFileSync } from 'node:fs';",
      'let forced = 0;',
      'new PerformanceObserver((list) => {',
      '  for (const e of list.getEntries()) if (e.detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) forced++;',
      "}).observe({ entryTypes: ['gc'] });",
      "process.on('exit', () => writeFileSync(process.env.FORCED_GC_FILE, String(forced)));",
    ].join('\n'),
  );
});

afterAll(async () => {
  await sim.close();
});

async function forcedCollections(args: string[], database: string): Promise<number> {
  const file = join(dir, `${args[0]}-${Math.random()}.txt`);
  const result = await runCli(
    args,
    simulatorCliEnv(sim, { DATABASE_PATH: database, FORCED_GC_FILE: file, LOG_LEVEL: 'warn' }),
    { nodeArgs: ['--import', observer] },
  );
  expect(result.code, result.stderr).toBe(0);
  return Number(readFileSync(file, 'utf8'));
}

describe('the one-shot poll’s collection before its record step', () => {
  it('is made once by each roster poll, baseline and after, and by no other command', async () => {
    const database = tempDatabase();
    expect(await forcedCollections(['poll', '--no-deliver'], database)).toBe(1);
    expect(await forcedCollections(['poll', '--no-deliver'], database)).toBe(1);
    expect(await forcedCollections(['policy-poll', '--no-deliver'], database)).toBe(0);
    expect(await forcedCollections(['fetch'], database)).toBe(0);
  }, 60_000);
});

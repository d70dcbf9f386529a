/**
 * The built CLI keeps WebAssembly on V8's baseline compiler (`--liftoff-only` and the tier-up
 * flags, set by its first import, src/runtime-memory.ts; issue 21, docs/benchmarks.md "Lean
 * polls", forty-second part). undici parses HTTP with llhttp compiled to WebAssembly; left to its
 * defaults, V8 recompiles llhttp's hot functions with its optimising compiler, whose working memory
 * (~35 MiB of malloc) set a poll's peak RSS. What V8 mallocs for compiling is
 * `peak_malloced_memory`: a probe loaded with `--require` writes it at exit. The control runs the
 * same poll of the same CLI with a second preload that drops the WebAssembly flags from
 * `v8.setFlagsFromString`, so the probe is shown to see that compile in this very workload and the
 * CLI's figure cannot be low by accident. Needs `npm run build`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { runCli, simulatorCliEnv } from '../helpers/cli.js';

/** Between the baseline compiler's few MiB and the optimising compile's ~35 MiB. */
const LIMIT_MIB = 16;

let dir: string;
let probe: string;
let withoutWasmFlags: string;
let sim: Simulator;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rw-wasm-'));
  probe = join(dir, 'probe.cjs');
  writeFileSync(
    probe,
    [
      "const { getHeapStatistics } = require('node:v8');",
      "const { writeFileSync } = require('node:fs');",
      "process.on('exit', () => writeFileSync(process.env.RW_PROBE_FILE, String(getHeapStatistics().peak_malloced_memory)));",
    ].join('\n'),
  );
  // The CLI imports setFlagsFromString as an ES binding: syncBuiltinESMExports hands it the wrapper.
  withoutWasmFlags = join(dir, 'without-wasm-flags.cjs');
  writeFileSync(
    withoutWasmFlags,
    [
      "const v8 = require('node:v8');",
      'const set = v8.setFlagsFromString;',
      'v8.setFlagsFromString = (flag) => { if (!/wasm|liftoff/.test(flag)) set(flag); };',
      "require('node:module').syncBuiltinESMExports();",
    ].join('\n'),
  );
  sim = await startSimulator({ users: 300, teams: 10, seed: 3 });
});

afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Polls the simulator once through the built CLI with `preloads`; answers the probe's MiB. */
async function pollPeakMiB(name: string, preloads: string[]): Promise<number> {
  const file = join(dir, `${name}.peak`);
  const r = await runCli(['poll', '--no-deliver'], simulatorCliEnv(sim, { RW_PROBE_FILE: file }), {
    nodeArgs: preloads.flatMap((preload) => ['--require', preload]),
  });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain('baseline');
  return Number(readFileSync(file, 'utf8')) / 1024 / 1024;
}

describe('WebAssembly stays on the baseline compiler', () => {
  it('a poll through the built CLI mallocs no optimising compile of llhttp', async () => {
    expect(await pollPeakMiB('cli', [probe])).toBeLessThan(LIMIT_MIB);
  });

  it('control: the same poll with the WebAssembly flags dropped does (the probe sees that compile)', async () => {
    expect(await pollPeakMiB('control', [withoutWasmFlags, probe])).toBeGreaterThan(LIMIT_MIB);
  });
});

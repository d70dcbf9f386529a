/**
 * The built CLI keeps WebAssembly on V8's baseline compiler (`--liftoff-only`, set by its first
 * import, src/runtime-memory.ts; issue 21, docs/benchmarks.md "Lean polls", forty-second part).
 * undici parses HTTP with llhttp compiled to WebAssembly; left to its defaults, V8 recompiles
 * llhttp's hot functions with its optimising compiler, whose working memory (~35 MiB of malloc)
 * set a poll's peak RSS. What V8 mallocs for compiling is `peak_malloced_memory`: a probe loaded
 * with `--require` writes it at exit. The control (undici in a plain process, the same simulator,
 * no flag, reading until llhttp's recompile has happened, within a bound) shows that the probe sees
 * that compile, so the CLI's figure cannot be low by accident.
 * Needs `npm run build`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { runCli, simulatorCliEnv } from '../helpers/cli.js';

/** Between the baseline compiler's few MiB and the optimising compile's ~35 MiB. */
const LIMIT_MIB = 16;

let dir: string;
let probe: string;
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
  sim = await startSimulator({ users: 300, teams: 10, seed: 3 });
});

afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

function peakMiB(file: string): number {
  return Number(readFileSync(file, 'utf8')) / 1024 / 1024;
}

describe('WebAssembly stays on the baseline compiler', () => {
  it('a poll through the built CLI mallocs no optimising compile of llhttp', async () => {
    const file = join(dir, 'cli.peak');
    const r = await runCli(['poll', '--no-deliver'], simulatorCliEnv(sim, { RW_PROBE_FILE: file }), {
      nodeArgs: ['--require', probe],
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('baseline');
    expect(peakMiB(file)).toBeLessThan(LIMIT_MIB);
  });

  it('control: requests through undici on V8 defaults do (the probe sees that compile)', async () => {
    const file = join(dir, 'control.peak');
    const script = join(dir, 'control.mjs');
    const undici = pathToFileURL(
      resolve(import.meta.dirname, '..', '..', 'node_modules', 'undici', 'index.js'),
    );
    writeFileSync(
      script,
      [
        `import { request } from ${JSON.stringify(undici.href)};`,
        "import { getHeapStatistics } from 'node:v8';",
        "const headers = { 'X-VO-Api-Id': 'sim-api-id', 'X-VO-Api-Key': 'sim-api-key' };",
        // The optimising compile runs on a background thread once llhttp is hot: read until it
        // has (a bound, not a count, so a slow machine does not stop before it starts).
        `for (let i = 0; i < 400 && getHeapStatistics().peak_malloced_memory <= ${LIMIT_MIB} * 1024 * 1024; i += 1) {`,
        "  const r = await request(process.env.RW_SIM_URL + '/v1/user', { headers });",
        '  await r.body.text();',
        '  if (i >= 12) await new Promise((next) => setTimeout(next, 10));',
        '}',
      ].join('\n'),
    );
    // Asynchronously: the simulator answers from this process.
    const child = spawn(process.execPath, ['--require', probe, script], {
      env: { PATH: process.env.PATH ?? '', RW_PROBE_FILE: file, RW_SIM_URL: sim.url },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((done, fail) => {
      child.on('error', fail);
      child.on('close', done);
    });
    expect(code, stderr).toBe(0);
    expect(peakMiB(file)).toBeGreaterThan(LIMIT_MIB);
  });
});

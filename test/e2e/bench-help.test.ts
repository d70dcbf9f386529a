/** `node dist/bench/run.js --help` and a wrong benchmark name: usage or one line, never a stack trace. Needs `npm run build`. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const RUN = resolve(import.meta.dirname, '../../dist/bench/run.js');

function bench(...args: string[]) {
  return benchWith({}, ...args);
}

function benchWith(env: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, [RUN, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, ...env },
  });
}

describe('the benchmark runner', () => {
  it('--help prints the usage and every benchmark, exit 0, running none', () => {
    const r = bench('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('usage: node dist/bench/run.js [benchmark ...]');
    expect(r.stdout).toContain('hints');
    expect(r.stderr).not.toContain('running');
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at /);
  });

  it('an unknown name is one line and exit 2, before any benchmark runs', () => {
    const r = bench('hints', 'nope');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(
      'unknown benchmark "nope": one of persist, persist-raw, persist-capped, poll-alone, delivery, ui, oncall, identity, identity-capped, identity-growth, identity-okta, identity-entra, fetch, hints, policy-requests, budget, contacts (--help)',
    );
  });

  it('a wrong setting of the budget bench is one line naming it and exit 2, before it starts', () => {
    const oneShots = benchWith({ BENCH_BUDGET_ONE_SHOTS: 'doctor,docter' }, 'budget');
    expect(oneShots.status).toBe(2);
    expect(oneShots.stderr.trim()).toBe('BENCH_BUDGET_ONE_SHOTS: "docter" is not one of poll, fetch, doctor');
    const drift = benchWith({ BENCH_BUDGET_DRIFT_MS: '7.5' }, 'budget');
    expect(drift.status).toBe(2);
    expect(drift.stderr.trim()).toBe(
      'BENCH_BUDGET_DRIFT_MS: "7.5" is not a whole number of ms of at least 100',
    );
    const said = [oneShots, drift].map((r) => `${r.stdout}${r.stderr}`).join('');
    expect(said).not.toContain('running budget');
  });
});

/**
 * The CLI's V8 setting per command (issue 21, docs/benchmarks.md "Lean polls", eleventh and
 * forty-second parts): every command keeps WebAssembly (undici's HTTP parser) on the baseline
 * compiler, with the tier-up flags spelled out (Node 24 does not apply what `--liftoff-only`
 * implies when it is set at run time); a poll and a policy poll hold the young generation instead
 * of growing the old one conservatively; the identity-syncing commands do both; every other
 * command keeps `--optimize-for-size` alone.
 */
import { describe, expect, it } from 'vitest';
import { collectsBeforeRecording, smallHeapFlags } from '../../src/runtime-memory.js';

const WASM = ['--liftoff-only', '--no-wasm-tier-up', '--no-wasm-dynamic-tiering'];

describe('smallHeapFlags', () => {
  it('a poll and a policy poll: Liftoff and a young generation that does not grow', () => {
    for (const command of ['poll', 'policy-poll'])
      expect(smallHeapFlags(command), command).toEqual([...WASM, '--semi-space-growth-factor=1']);
  });

  it('identity-sync and the daemon (run, demo) also keep the old generation small', () => {
    for (const command of ['identity-sync', 'run', 'demo'])
      expect(smallHeapFlags(command), command).toEqual([
        ...WASM,
        '--optimize-for-size',
        '--semi-space-growth-factor=1',
      ]);
  });

  it('every other command keeps the old generation small, as before, with Liftoff', () => {
    for (const command of [
      'roster',
      'history',
      'fetch',
      'contacts-poll',
      'oncall-report',
      'accept',
      'migrate',
      'deliver',
      'coverage',
      'ui',
      'simulate',
      'receive',
      '--help',
      undefined,
    ])
      expect(smallHeapFlags(command), String(command)).toEqual([...WASM, '--optimize-for-size']);
  });
});

describe('collectsBeforeRecording', () => {
  it('the one-shot roster poll alone collects between its fetch and its record step', () => {
    expect(collectsBeforeRecording('poll')).toBe(true);
    for (const command of ['policy-poll', 'run', 'demo', 'fetch', 'identity-sync', undefined])
      expect(collectsBeforeRecording(command), String(command)).toBe(false);
  });
});

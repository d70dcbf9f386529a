/**
 * The CLI's V8 setting per command (issue 21, docs/benchmarks.md "Lean polls", eleventh and
 * forty-second parts): every command keeps WebAssembly (undici's HTTP parser) on the baseline
 * compiler and the young generation at its starting size; only the commands whose peak is a large
 * live set (an identity sync, a process that runs for days) also keep the old generation small,
 * which costs a poll CPU and saves it nothing.
 */
import { describe, expect, it } from 'vitest';
import { smallHeapFlags } from '../../src/runtime-memory.js';

describe('smallHeapFlags', () => {
  it('a poll and the other one-shot commands get Liftoff and a young generation that does not grow', () => {
    for (const command of [
      'poll',
      'policy-poll',
      'contacts-poll',
      'fetch',
      'migrate',
      'deliver',
      'coverage',
      'history',
      '--help',
      undefined,
    ])
      expect(smallHeapFlags(command), String(command)).toEqual([
        '--liftoff-only',
        '--semi-space-growth-factor=1',
      ]);
  });

  it('identity-sync and the long-running commands also keep the old generation small', () => {
    for (const command of ['identity-sync', 'run', 'demo', 'ui', 'simulate', 'receive'])
      expect(smallHeapFlags(command), command).toEqual([
        '--liftoff-only',
        '--semi-space-growth-factor=1',
        '--optimize-for-size',
      ]);
  });
});

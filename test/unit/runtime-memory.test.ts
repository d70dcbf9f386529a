/**
 * The CLI's V8 setting per command (issue 21, docs/benchmarks.md "Lean polls", eleventh part):
 * every command keeps the old generation small; only the commands that run an identity sync also
 * keep the young generation at its starting size, which costs a poll CPU and saves it nothing.
 */
import { describe, expect, it } from 'vitest';
import { smallHeapFlags } from '../../src/runtime-memory.js';

describe('smallHeapFlags', () => {
  it('a poll and the other one-shot commands get --optimize-for-size alone', () => {
    for (const command of ['poll', 'fetch', 'migrate', 'deliver', 'coverage', 'ui', '--help', undefined])
      expect(smallHeapFlags(command), String(command)).toEqual(['--optimize-for-size']);
  });

  it('identity-sync and the daemon (run, demo) also keep the young generation small', () => {
    for (const command of ['identity-sync', 'run', 'demo'])
      expect(smallHeapFlags(command), command).toEqual([
        '--optimize-for-size',
        '--semi-space-growth-factor=1',
      ]);
  });
});

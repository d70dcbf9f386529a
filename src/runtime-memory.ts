/**
 * How roster-watch asks V8 for a small heap.
 *
 * Two settings, both V8 runtime flags applied before the heap grows (the CLI sets them in its
 * first import, runtime-memory-first.ts; no NODE_OPTIONS needed):
 *
 * - `--semi-space-growth-factor=1` keeps the young generation's semi-spaces at their starting
 *   size. By default they double (up to 16 MB each) when objects survive a scavenge and stay
 *   reserved: a 20,000-user unchanged poll in a fresh process peaked at 154 MB RSS on Node's
 *   defaults, 132 MB with this alone, at no CPU cost.
 * - `--optimize-for-size` (issue 12) makes V8 grow the old generation conservatively. Alone it
 *   costs the roster poll CPU, but without it an identity sync of 100,000 identities (a large
 *   live set) peaked at 364 MB instead of 224 MB, so it stays.
 *
 * Together: unchanged poll 126 MB, 10%-changed poll 136 MB, baseline 111 MB (issue 21,
 * `node dist/bench/run.js poll-alone identity`, docs/benchmarks.md "Lean polls").
 */
import { setFlagsFromString } from 'node:v8';

export function preferSmallHeap(): void {
  setFlagsFromString('--optimize-for-size');
  setFlagsFromString('--semi-space-growth-factor=1');
}

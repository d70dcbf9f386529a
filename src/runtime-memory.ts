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
 * Together, the poll's cycle alone in a fresh process: unchanged poll 126 MB, 10%-changed poll 136 MB, baseline 111 MB (issue 21,
 * `node dist/bench/run.js poll-alone identity`, docs/benchmarks.md "Lean polls").
 *
 * Re-measured as a user runs it (issue 21, third part: `dist/cli.js poll` against the simulator
 * serving 20,000 users, the CLI's commands loaded lazily): the whole process peaks at 143–150 MB
 * with both flags, against 190–198 MB on Node's defaults or the growth factor alone, 171 MB with
 * `--max-semi-space-size=1`, and 176–183 MB with the old generation capped at 64–96 MB. In the CLI
 * the old generation, not the young one, sets the peak (heap used ~47 MB at the peak; heap
 * total 50 MB with `--optimize-for-size`, 85–98 MB without), so `--optimize-for-size` stays. No
 * V8 setting brought that process to 128 MiB or its CPU to 0.4 s: see docs/benchmarks.md.
 */
import { setFlagsFromString } from 'node:v8';

export function preferSmallHeap(): void {
  setFlagsFromString('--optimize-for-size');
  setFlagsFromString('--semi-space-growth-factor=1');
}

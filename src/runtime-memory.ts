/**
 * How roster-watch keeps V8's heap small without paying CPU for it.
 *
 * A poll of a 20,000-user org allocates tens of MB of short-lived objects (the fetched roster's
 * fingerprints, the coverage recomputation), while what stays live is a fraction of that. V8's
 * default lets the young generation's semi-spaces grow (doubling, up to 16 MB each) whenever
 * objects survive a scavenge, and a grown young generation stays reserved: in a fresh process an
 * unchanged poll peaked at 153 MB RSS on Node's defaults. `--semi-space-growth-factor=1` keeps
 * the semi-spaces at their starting size: the same poll peaks at 132 MB, with no more CPU (the
 * scavenges of a small young generation are cheap; measured 0.41 against 0.48 s, the baseline
 * 117 against 140 MB).
 *
 * It replaces `--optimize-for-size` (issue 12), which kept the peak lower in long runs but cost
 * CPU: 1.73 against 1.03 s for a 10%-changed poll, 1.16 against 0.66 s for a hinted one
 * (issue 21, `node dist/bench/run.js poll-alone`, docs/benchmarks.md). A V8 runtime flag that takes
 * effect when set before the heap grows, so the CLI applies it first (runtime-memory-first.ts);
 * no NODE_OPTIONS needed.
 */
import { setFlagsFromString } from 'node:v8';

export function preferSmallHeap(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

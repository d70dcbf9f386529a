/**
 * How roster-watch asks V8 to trade a little GC time for a much smaller heap.
 *
 * A poll reads the whole recorded roster and diffs it against the fetched one: tens of MB of
 * short-lived objects for a 20,000-user org, while what stays live between polls is ~40 MB. With
 * Node's default heap limit (a quarter of the machine's memory) V8 lets the old generation grow to
 * about four times the live set before it compacts, so such a cycle peaked at ~325 MB RSS even
 * though it needs a fraction of that. `--optimize-for-size` makes V8 grow the heap conservatively
 * (and compact sooner), without any limit that could turn a larger org into an out-of-memory
 * crash. It is a V8 runtime flag that takes effect when set at start-up, so it works for a plain
 * `npx roster-watch` with no NODE_OPTIONS. Measured in docs/benchmarks.md (persist benchmark).
 */
import { setFlagsFromString } from 'node:v8';

export function preferSmallHeap(): void {
  setFlagsFromString('--optimize-for-size');
}

/**
 * The V8 runtime flags roster-watch runs with, applied before the heap grows (the CLI sets them in
 * its first import, runtime-memory-first.ts, for the command it runs; no NODE_OPTIONS needed).
 * Figures: docs/benchmarks.md "Lean polls" (issue 21; eleventh, twenty-fifth and forty-second
 * parts), 20,000-user org, process CPU s / peak RSS MiB of the CLI.
 *
 * - `--liftoff-only`, for every command, keeps WebAssembly on V8's baseline compiler (Liftoff).
 *   undici parses HTTP with llhttp compiled to WebAssembly, once per process at the first
 *   connection; V8 then recompiles llhttp's hot functions with its optimising compiler on a
 *   background thread, and that one compile's working memory reaches ~35 MiB of malloc
 *   (`peak_malloced_memory`). It set the peak RSS of every poll, even of a 300-user org (107 → 74
 *   MiB without it), and cost an unchanged poll ~0.1 s of CPU; the baseline code parses a poll's
 *   responses (7 to a few hundred) at no cost the benchmarks can see. Nothing else in the process
 *   runs WebAssembly that this could slow down.
 * - `--semi-space-growth-factor=1`, for every command, keeps the young generation at its starting
 *   size. A 10% changed poll's record step otherwise grows it to its largest (two 16 MiB
 *   semi-spaces): 144–155 MiB with Liftoff alone, 115–131 with this; its CPU did not move (1.59–1.84
 *   against 1.57–1.79 s). Measure it set at run time, as here: on the node command line it is not
 *   the same setting.
 * - `--optimize-for-size`, only where the peak is a large live set: an identity sync (100,000
 *   identities: 116 MiB with it, 191 without) and the processes that run for days (the daemon of
 *   `run` and `demo`, which syncs identities too; the web view; the simulator and the demo's
 *   receiver). It makes V8 grow the old generation conservatively, at a price in CPU: the 10%
 *   changed poll took 2.09–2.48 s with it, 1.57–1.79 without, and peaked no lower (112–130 MiB). So
 *   the one-shot commands (a poll, a policy or contacts poll, fetch, the reports) go without it.
 */
import { setFlagsFromString } from 'node:v8';

/** Every command: Liftoff for undici's parser, a young generation that does not grow. */
const EVERY_COMMAND = ['--liftoff-only', '--semi-space-growth-factor=1'];

/** The commands that also keep the old generation small (an identity sync, or days of running). */
const LARGE_LIVE_SET = new Set(['identity-sync', 'run', 'demo', 'ui', 'simulate', 'receive']);

/** The V8 flags for `command` (the CLI's first argument; undefined for bare `roster-watch`). */
export function smallHeapFlags(command: string | undefined): string[] {
  return command !== undefined && LARGE_LIVE_SET.has(command)
    ? [...EVERY_COMMAND, '--optimize-for-size']
    : [...EVERY_COMMAND];
}

export function preferSmallHeap(command: string | undefined): void {
  for (const flag of smallHeapFlags(command)) setFlagsFromString(flag);
}

/**
 * The V8 runtime flags roster-watch runs with, applied before the heap grows (the CLI sets them in
 * its first import, runtime-memory-first.ts, for the command it runs; no NODE_OPTIONS needed).
 * Figures: docs/benchmarks.md "Lean polls" (issue 21; eleventh, twenty-fifth and forty-second
 * parts), 20,000-user org, process CPU s / peak RSS MiB of the CLI on Node 20.
 *
 * - WebAssembly on V8's baseline compiler (Liftoff), for every command. undici parses HTTP with
 *   llhttp compiled to WebAssembly (and Node's global fetch, which the Slack sender uses, with its
 *   own copy), once per process at the first connection; V8 then recompiles llhttp's hot functions
 *   with its optimising compiler on a background thread, and that one compile's working memory
 *   reaches ~35 MiB of malloc (`peak_malloced_memory`). It set the peak RSS of every poll, even of a
 *   300-user org (107 → 74 MiB without it), and cost an unchanged poll ~0.1 s of CPU; the baseline
 *   code parses a poll's responses (7 to a few hundred) at no cost the benchmarks can see. Set at
 *   run time, `--liftoff-only` alone is enough on Node 20, but Node 24's V8 applies what it implies
 *   only at start-up: the two tier-up flags are spelled out so the image's Node gets them too.
 * - `--semi-space-growth-factor=1` keeps the young generation at its starting size, for a poll, a
 *   policy poll and the commands that run an identity sync (`identity-sync`, and `run` and `demo`,
 *   whose daemon does). With llhttp's compile gone, a 10% changed poll's record step grows the
 *   young generation to its largest (two 16 MiB semi-spaces): 144–155 MiB with Liftoff alone,
 *   115–131 with this; its CPU did not move (1.59–1.84 against 1.57–1.79 s). The identity sync of
 *   100,000 identities peaks ~10 MB lower with it. Measure it set at run time, as here: on the node
 *   command line it is not the same setting.
 * - `--optimize-for-size` makes V8 grow the old generation conservatively, for every command but
 *   a poll and a policy poll. Their peak is the young generation's, so it only cost them CPU: the
 *   10% changed poll took 2.09–2.48 s with it, 1.57–1.79 without, and peaked no lower (112–130
 *   MiB). The commands that hold a large live set need it: an identity sync (100,000 identities:
 *   116–118 MiB with it, 177–191 without), `roster` printing a 20,000-user roster (median 145 against
 *   168 MiB), the long-running daemon and web view; the others were not measured without it.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Every command: undici's parser (WebAssembly) stays on Liftoff. */
const WASM_BASELINE_ONLY = ['--liftoff-only', '--no-wasm-tier-up', '--no-wasm-dynamic-tiering'];

/** The commands whose peak is a poll's young generation: no `--optimize-for-size`. */
const POLLING = new Set(['poll', 'policy-poll']);

/** The commands whose peak is an identity sync's live set (the daemon's run one). */
const IDENTITY_SYNCING = new Set(['identity-sync', 'run', 'demo']);

/** The V8 flags for `command` (the CLI's first argument; undefined for bare `roster-watch`). */
export function smallHeapFlags(command: string | undefined): string[] {
  if (command !== undefined && POLLING.has(command))
    return [...WASM_BASELINE_ONLY, '--semi-space-growth-factor=1'];
  if (command !== undefined && IDENTITY_SYNCING.has(command))
    return [...WASM_BASELINE_ONLY, '--optimize-for-size', '--semi-space-growth-factor=1'];
  return [...WASM_BASELINE_ONLY, '--optimize-for-size'];
}

/** The one-shot roster poll's full collection before its record step (collectBeforeRecording), when on. */
let collect: (() => void) | undefined;

/** Whether `command` collects its garbage between fetching and recording: the one-shot roster poll. */
export function collectsBeforeRecording(command: string | undefined): boolean {
  return command === 'poll';
}

export function preferSmallHeap(command: string | undefined): void {
  for (const flag of smallHeapFlags(command)) setFlagsFromString(flag);
  if (collectsBeforeRecording(command)) {
    // `gc` is given to contexts made after the flag is set: a new one hands it over.
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
}

/**
 * A full collection now, in the one-shot roster poll (`poll`) only; nothing elsewhere. Called as
 * the record step starts: the fetch's garbage (the bodies, the scan) is then gone before the
 * record step builds its own, instead of the old generation growing through both until V8's
 * incremental marking catches up. A 10% changed poll peaked at 117–137 MiB, over the 128 MiB goal
 * in half its runs, and at 112–117 with it, its CPU unchanged (docs/benchmarks.md, issue 21,
 * forty-ninth part). The daemon keeps V8's own timing: its polls meet a warm heap.
 */
export function collectBeforeRecording(): void {
  collect?.();
}

/**
 * How roster-watch asks V8 for a small heap: V8 runtime flags applied before the heap grows (the
 * CLI sets them in its first import, runtime-memory-first.ts, for the command it runs; no
 * NODE_OPTIONS needed).
 *
 * - `--optimize-for-size`, for every command, makes V8 grow the old generation conservatively. In
 *   the CLI the old generation sets the peak. A 20,000-user poll (peak RSS MiB, twenty-fifth part)
 *   with it: unchanged 111–116, 10% changed 123–127; on Node's defaults 121–130 and 156–167. It
 *   costs CPU (~0.2 s of the unchanged poll, ~0.9 s of the changed one), the price of the changed
 *   poll staying inside 128 MiB.
 * - `--semi-space-growth-factor=1` keeps the young generation at its starting size, only for the
 *   commands that run an identity sync (`identity-sync`, and `run` and `demo`, whose daemon does):
 *   the sync of 100,000 identities peaks ~10 MB lower with it (137–138 against 148–150 MB). A
 *   poll goes without it, and so do the other commands: it costs the poll CPU (the extra
 *   scavenges: ~0.5 s of a 10% changed poll, ~0.1 s of an unchanged one), and is worth a few MB
 *   at the 10% changed poll's peak, whose record step grows the young generation (medians: 150
 *   against 138 MB, and 143 against 139.5 since a one-off poll's page cache is held at 2 MB).
 *   Measure it set at run time, as here: on the node command line it is not the same setting.
 *
 * Figures and commands: docs/benchmarks.md "Lean polls" (issue 21, eleventh, fifteenth and twenty-fifth parts).
 */
import { setFlagsFromString } from 'node:v8';

/** The commands whose peak is an identity sync's live set (the daemon's run one). */
const IDENTITY_SYNCING = new Set(['identity-sync', 'run', 'demo']);

/** The V8 flags for `command` (the CLI's first argument; undefined for bare `roster-watch`). */
export function smallHeapFlags(command: string | undefined): string[] {
  return command !== undefined && IDENTITY_SYNCING.has(command)
    ? ['--optimize-for-size', '--semi-space-growth-factor=1']
    : ['--optimize-for-size'];
}

export function preferSmallHeap(command: string | undefined): void {
  for (const flag of smallHeapFlags(command)) setFlagsFromString(flag);
}

/**
 * The measured identity sync in a fresh process (run.ts starts it): the CLI's V8 setting is
 * applied first, before any module is loaded, as `roster-watch identity-sync` gets it from the
 * CLI's first import (src/runtime-memory-first.ts), and only the identity benchmark's modules are
 * loaded, so its peak RSS is the sync's. Applied after every benchmark module had loaded (as
 * run.ts's generic child did), the young generation had already grown. Answers JSON on stdout.
 *
 * BENCH_IDENTITY_V8=growth applies `--semi-space-growth-factor=1` alone (Node's defaults
 * otherwise, no `--optimize-for-size`): what the sync peaks at if the CLI drops that flag.
 *
 *   BENCH_IDENTITY_DIR=… [BENCH_IDENTITY_V8=growth] node dist/bench/identity-child.js
 */
import { setFlagsFromString } from 'node:v8';
import { preferSmallHeap } from '../runtime-memory.js';

if (process.env.BENCH_IDENTITY_V8 === 'growth') setFlagsFromString('--semi-space-growth-factor=1');
else preferSmallHeap();

const { benchIdentity } = await import('./identity-bench.js');
const result = await benchIdentity({ dir: process.env.BENCH_IDENTITY_DIR ?? '' });
process.stdout.write(JSON.stringify(result));

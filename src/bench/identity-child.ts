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
 * BENCH_IDENTITY_SOURCE=okta|entra with BENCH_IDENTITY_FAKES (the fakes' addresses, JSON; run.ts
 * serves them from another process) reads those fakes instead of the export (issue 21).
 *
 *   BENCH_IDENTITY_DIR=… [BENCH_IDENTITY_V8=growth] node dist/bench/identity-child.js
 */
import { setFlagsFromString } from 'node:v8';
import { preferSmallHeap } from '../runtime-memory.js';
import type { BenchFakes } from './identity-fakes.js';

if (process.env.BENCH_IDENTITY_V8 === 'growth') setFlagsFromString('--semi-space-growth-factor=1');
else preferSmallHeap('identity-sync');

const { benchIdentity } = await import('./identity-bench.js');
const fakes = process.env.BENCH_IDENTITY_FAKES;
const result = await benchIdentity({
  dir: process.env.BENCH_IDENTITY_DIR ?? '',
  source:
    process.env.BENCH_IDENTITY_SOURCE === 'okta' || process.env.BENCH_IDENTITY_SOURCE === 'entra'
      ? process.env.BENCH_IDENTITY_SOURCE
      : 'file',
  fakes: fakes === undefined ? null : (JSON.parse(fakes) as BenchFakes),
});
process.stdout.write(JSON.stringify(result));

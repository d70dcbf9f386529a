/**
 * One stage of the poll-alone benchmark in a fresh process (run.ts starts it): the V8 setting is
 * applied first, before any module is loaded (as the CLI's first import does), and only the
 * modules the poll needs are loaded, so its peak RSS is the poll's. Answers JSON on stdout.
 *
 *   BENCH_POLL_V8=defaults|optimize-for-size|cli BENCH_POLL_DIR=… BENCH_POLL_DB=… BENCH_POLL_STAGE=…
 */
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { preferSmallHeap } from '../runtime-memory.js';

const v8 = process.env.BENCH_POLL_V8;
if (v8 === 'optimize-for-size') setFlagsFromString('--optimize-for-size');
else if (v8 === 'cli') preferSmallHeap('poll');
else if (v8 !== 'defaults')
  throw new Error(`BENCH_POLL_V8 must be defaults, optimize-for-size or cli, not "${v8}"`);

const { runPollAloneStage } = await import('./poll-alone-bench.js');
const dir = process.env.BENCH_POLL_DIR ?? '';
const result = await runPollAloneStage({
  dir,
  database: join(dir, process.env.BENCH_POLL_DB ?? 'bench.db'),
  stage: (process.env.BENCH_POLL_STAGE ?? '') as Parameters<typeof runPollAloneStage>[0]['stage'],
  polls: Math.max(1, Number(process.env.BENCH_PERSIST_POLLS) || 20),
});
process.stdout.write(JSON.stringify(result));

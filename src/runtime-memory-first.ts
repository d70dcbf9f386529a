/**
 * Imported first by the CLI (`import './runtime-memory-first.js'` at the top of src/cli.ts), so
 * the V8 setting of runtime-memory.ts applies before any other module loads: set after the
 * command modules were loaded (as it was), the young generation had already grown and the
 * setting saved less (issue 21, docs/benchmarks.md "Lean polls"). The commands' modules are
 * loaded only when a command runs (src/cli.ts), so this import runs before anything but commander
 * and the commands' registrations. In the bundled dist/cli.js (scripts/bundle-cli.mjs) the small
 * chunks the entry shares with the commands (~80 KB) load first too; nothing of the poll's.
 * The setting depends on the command (its first argument).
 */
import { preferSmallHeap } from './runtime-memory.js';

preferSmallHeap(process.argv[2]);

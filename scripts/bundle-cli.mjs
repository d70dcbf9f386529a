// Bundles the CLI (issue 21, docs/benchmarks.md "Lean polls"): replaces tsc's dist/cli.js with
// one esbuild bundle of the same program, and the modules its commands import lazily with chunks
// in dist/chunks/. Runs after tsc in `npm run build`; every other file in dist/ stays tsc's.
//
// Usage: node scripts/bundle-cli.mjs [distDir]   (default: dist)
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const dist = resolve(process.argv[2] ?? 'dist');
const chunks = join(dist, 'chunks');
const entry = join(dist, 'cli.js');
const MARK = '// roster-watch: the CLI bundle (scripts/bundle-cli.mjs)';

// The input is tsc's output; bundling the bundle again would be wrong without failing.
if (readFileSync(entry, 'utf8').includes(MARK)) {
  console.error(`${entry} is already the bundle: run \`npm run build\` (tsc, then this script)`);
  process.exit(1);
}

/**
 * Packages left to node_modules: a native addon (better-sqlite3), packages that start worker
 * threads or child processes from files of their own (pino's transports, pino-pretty,
 * thread-stream, node-cron's background tasks), and bcryptjs, which the web view's password
 * worker resolves by path (src/web/auth.ts).
 */
const EXTERNAL = ['better-sqlite3', 'bcryptjs', 'node-cron', 'pino', 'pino-pretty', 'thread-stream'];

const result = await build({
  entryPoints: { cli: entry },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: dist,
  chunkNames: 'chunks/[name]-[hash]',
  external: EXTERNAL,
  // CommonJS packages inside an ES module bundle call require() for Node's own modules.
  banner: {
    js: `${MARK}\nimport { createRequire as __rwCreateRequire } from 'node:module';\nconst require = __rwCreateRequire(import.meta.url);`,
  },
  // Maps back to src/*.ts through tsc's maps (node --enable-source-maps); the image drops them.
  sourcemap: 'linked',
  metafile: true,
  write: false,
  legalComments: 'none',
  logLevel: 'warning',
});

// Written only after esbuild has read every input (tsc's dist/cli.js among them).
rmSync(chunks, { recursive: true, force: true });
mkdirSync(chunks, { recursive: true });
for (const file of result.outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, file.contents);
}
// Which source files each output holds, for test/e2e/cli-lazy-modules.test.ts.
const inputsOf = {};
for (const [output, meta] of Object.entries(result.metafile.outputs)) {
  if (!output.endsWith('.js')) continue;
  inputsOf[relative(dist, resolve(output))] = Object.keys(meta.inputs).map((input) =>
    relative(dist, resolve(input)),
  );
}
// src/store/db.ts finds migrations/ two directories above its own file: true of dist/store/db.js
// and of a chunk in dist/chunks/, not of dist/cli.js. It is imported lazily, so it is in a chunk.
const dbIn = Object.keys(inputsOf).filter((output) => inputsOf[output].includes('store/db.js'));
if (dbIn.length === 0 || dbIn.some((output) => !output.startsWith('chunks/'))) {
  console.error(
    `store/db.js is bundled into ${dbIn.join(', ') || 'nothing'}, not a chunk: migrations/ would not be found`,
  );
  process.exit(1);
}
writeFileSync(join(dist, 'cli-bundle.json'), `${JSON.stringify(inputsOf, null, 1)}\n`);

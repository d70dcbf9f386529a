/**
 * The floors of src/, enforced by `npm run lint` (see docs for the picture). Top to bottom:
 *
 *   cli      src/cli.ts, src/cli/                      one file per command
 *   service  src/service/, src/web/, src/bench/        the daemon, its HTTP/web view, the benchmarks
 *   app      src/app.ts, src/app/                      the composition root (src/app/ holds its parts)
 *   cycles   src/cycles/                               fetch → read, decide, record in one transaction
 *   adapters src/victorops/, src/identity/, src/delivery/
 *   store    src/store/
 *   roster   src/roster/                               the pure domain
 *   ground   src/clock.ts, src/errors.ts, src/parse/, src/logger.ts, src/redact.ts,
 *            src/runtime-memory.ts, src/config/, src/contract/ (the event catalogue, in zod: the
 *            roster names its types and constants, so it sits below the roster)
 *
 * A file imports only from its own floor or below. Above the app floor, the commands and the service
 * go through the App (src/app.ts): they may name the lower floors' types but import no value from
 * the store, the adapters or the cycles (the through-the-app rule); the web view alone reads the
 * store directly, on a read-only connection the App opens for it, and imports no adapter, cycle or
 * App value (the web-reads-the-store rule); and src/app/ is the composition
 * root's inside, imported for its values by src/app.ts alone. The simulator is a side of its own: only the
 * CLI, the benchmarks and the tests may use it, and it may use only the roster and the ground.
 *
 * Why config and logger are on the ground floor: the Config *types* describe what every adapter is
 * built from (identity sources, delivery destinations, the VictorOps client), so anything that
 * takes a piece of Config has to be able to name its type; reading the environment itself stays in
 * the one config module (process.env is banned elsewhere by biome). The config readers need only
 * parse/ (durations, cron) and redact.ts, so nothing pulls them upward. The logger is a thin pino
 * factory plus the Logger type that every floor above roster receives as a dependency; it imports
 * nothing of ours but redact-free constants. roster/ stays pure: it may import the ground floor's
 * plain modules but no pino, drizzle, undici or node:* (the roster-is-pure rule below).
 *
 * process.env is read in one place, src/config/process-env.ts (biome's style/noProcessEnv, set in
 * biome.json, whose overrides exempt that file, the benchmark harness, scripts and tests); the CLI's
 * entry point gets the environment from readProcessEnv() like every other reader.
 *
 * Type-only imports count (tsPreCompilationDeps): a type that climbs a floor is still a climb.
 */

const GROUND = '^src/(clock|errors|logger|redact|runtime-memory)\\.ts$|^src/(parse|config|contract)/';
const ROSTER = '^src/roster/';
const STORE = '^src/store/';
const ADAPTERS = '^src/(victorops|identity|delivery)/';
const CYCLES = '^src/cycles/';
const APP = '^src/app(\\.ts$|/)';
const SERVICE = '^src/(service|web|bench)/';
const SIMULATOR = '^src/simulator/';
/** Every floor from the ground up to the service's own. */
const UP_TO_SERVICE = [GROUND, ROSTER, STORE, ADAPTERS, CYCLES, APP, SERVICE];

/** Forbids `from` importing anything in src/ outside `allowed`. There is no exception list. */
function floorRule(name, from, allowed) {
  return [
    {
      name,
      severity: 'error',
      comment: `${name}: a file imports only from its own floor or below`,
      from: { path: from },
      to: { path: '^src/', pathNot: allowed },
    },
  ];
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle means two modules are one idea or sit on the wrong floors.',
      from: {},
      to: { circular: true },
    },
    ...floorRule('ground-floor', GROUND, [GROUND]),
    ...floorRule('roster-floor', ROSTER, [GROUND, ROSTER]),
    ...floorRule('store-floor', STORE, [GROUND, ROSTER, STORE]),
    ...floorRule('adapters-floor', ADAPTERS, [GROUND, ROSTER, STORE, ADAPTERS]),
    ...floorRule('cycles-floor', CYCLES, [GROUND, ROSTER, STORE, ADAPTERS, CYCLES]),
    ...floorRule('app-floor', APP, [GROUND, ROSTER, STORE, ADAPTERS, CYCLES, APP]),
    ...floorRule('service-floor', '^src/(service|web)/', UP_TO_SERVICE),
    // The benchmarks sit with the service but drive the simulated org, like the CLI's demo.
    ...floorRule('bench-floor', '^src/bench/', [...UP_TO_SERVICE, SIMULATOR]),
    ...floorRule('simulator-side', SIMULATOR, [GROUND, ROSTER, SIMULATOR]),
    {
      name: 'through-the-app',
      severity: 'error',
      comment:
        'The CLI and the service call the App (src/app.ts) for every read and write: only createApp wires the store, the adapters and the cycles. Their types may be named.',
      from: { path: '^src/(cli|service)/|^src/cli\\.ts$' },
      to: { path: `${STORE}|${ADAPTERS}|${CYCLES}`, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'web-reads-the-store',
      severity: 'error',
      comment:
        'The web view reaches the store directly, on purpose and read-only: whoever starts it (the ui command, the daemon) hands it a read-only connection from the App (openReadOnlyHistory, DaemonParts.openUiStore), and its pages call the query modules of src/store/ on it. It never imports the adapters, the cycles or the App: it only reads what the polls recorded.',
      from: { path: '^src/web/' },
      to: { path: `${ADAPTERS}|${CYCLES}|${APP}` },
    },
    {
      name: 'app-inside',
      severity: 'error',
      comment:
        "src/app/ holds the composition root's parts: the rest of src/ reaches them through src/app.ts.",
      from: { path: '^src/', pathNot: APP },
      to: { path: '^src/app/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'roster-is-pure',
      severity: 'error',
      comment: 'roster/ is plain functions of its inputs: no I/O, database, HTTP or logging libraries.',
      from: { path: ROSTER },
      to: {
        dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'],
      },
    },
    {
      name: 'roster-is-pure-ground',
      severity: 'error',
      comment: 'roster/ may use the ground floor, but not its modules that wrap pino or read files.',
      from: { path: ROSTER },
      to: { path: '^src/(logger|runtime-memory)\\.ts$' },
    },
    {
      name: 'no-orphans',
      severity: 'warn',
      comment: 'A module nobody imports is dead code (entry points excepted).',
      from: {
        orphan: true,
        pathNot: ['^src/cli\\.ts$', '^src/bench/run\\.ts$', '^src/service/healthcheck\\.ts$', '\\.d\\.ts$'],
      },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(test|dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};

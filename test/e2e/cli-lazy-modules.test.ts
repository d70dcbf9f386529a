/**
 * The built CLI loads a command's implementation only when that command runs (issue 21): the
 * help of every command is printed from the registrations alone, without the App, the store, the
 * VictorOps client, the simulator, the web view or any package but commander. What a process
 * loaded is recorded by a module `load` hook (node:module register) that writes each URL to a file.
 *
 * dist/cli.js is an esbuild bundle whose lazy imports are chunks in dist/chunks/ (scripts/bundle-cli.mjs);
 * the build writes which files each of them holds to dist/cli-bundle.json, so a loaded bundle file
 * counts here as every tsc output and package file inside it. The hook sees ES imports alone, so
 * the files require() loaded (Node's CommonJS cache) are added when the process exits. Needs
 * `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/simulator/simulator.js';
import { CLI, cliEnv, runCli, simulatorCliEnv, tempDatabase } from '../helpers/cli.js';
import { startFileIdentityOrg } from '../helpers/identity-e2e.js';

/** Modules that belong to a command's work, never to its registration. */
const IMPLEMENTATION =
  /\/dist\/(app\.js|app\/|store\/|victorops\/|cycles\/|delivery\/|identity\/|service\/|simulator\/|web\/serve\.js|config\/load-config\.js|logger\.js|cli\/setup\.js)/;

let dir: string;
let register: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-lazy-'));
  writeFileSync(
    join(dir, 'hooks.mjs'),
    [
      "import { appendFileSync } from 'node:fs';",
      'let file;',
      'export function initialize(data) { file = data.file; }',
      'export async function load(url, context, next) {',
      "  appendFileSync(file, url + '\\n');",
      '  return next(url, context);',
      '}',
    ].join('\n'),
  );
  register = join(dir, 'register.mjs');
  writeFileSync(
    register,
    [
      "import { appendFileSync } from 'node:fs';",
      "import { createRequire, register } from 'node:module';",
      "import { pathToFileURL } from 'node:url';",
      "register(new URL('./hooks.mjs', import.meta.url), { data: { file: process.env.RW_MODULE_LOG } });",
      "const cache = createRequire(import.meta.url)('node:module')._cache;",
      "process.on('exit', () => {",
      '  const urls = Object.keys(cache).map((path) => pathToFileURL(path).href);',
      "  appendFileSync(process.env.RW_MODULE_LOG, urls.map((url) => url + '\\n').join(''));",
      '});',
    ].join('\n'),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let runs = 0;

const DIST = dirname(CLI);
const MANIFEST = join(DIST, 'cli-bundle.json');

/**
 * The files a loaded module stands for: a bundle file (dist/cli.js, dist/chunks/*) is replaced by
 * the URLs of the files it was built from (their tsc output under dist/, their package files
 * under node_modules/); anything else is itself.
 */
function sources(urls: string[]): string[] {
  if (!existsSync(MANIFEST)) return urls;
  const inputsOf = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string[]>;
  const distUrl = pathToFileURL(DIST).href;
  return urls.flatMap((url) => {
    const inputs = url.startsWith(`${distUrl}/`) ? inputsOf[url.slice(distUrl.length + 1)] : undefined;
    return inputs === undefined ? [url] : inputs.map((input) => pathToFileURL(resolve(DIST, input)).href);
  });
}

function modulesIn(log: string): string[] {
  return sources(readFileSync(log, 'utf8').split('\n').filter(Boolean));
}

function newLog(): string {
  const log = join(dir, `modules-${++runs}.log`);
  writeFileSync(log, '');
  return log;
}

/** Runs the CLI with the recorder and returns its output and the modules it loaded. */
function loaded(args: string[], env: Record<string, string> = {}) {
  const log = newLog();
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, CLI, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...cliEnv(env), RW_MODULE_LOG: log },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, modules: modulesIn(log) };
}

/** The same without blocking this process's event loop (for a simulator in this process). */
async function loadedAsync(args: string[], env: Record<string, string>) {
  const log = newLog();
  const r = await runCli(
    args,
    { ...env, RW_MODULE_LOG: log },
    { nodeArgs: ['--import', pathToFileURL(register).href] },
  );
  return { status: r.code, stdout: r.stdout, stderr: r.stderr, modules: modulesIn(log) };
}

const packagesOf = (modules: string[]) =>
  [
    ...new Set(modules.flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? [])),
  ].sort();

describe('the CLI loads a command only when it runs', () => {
  it('the top-level help loads no implementation module and no package but commander', () => {
    const r = loaded(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Commands:');
    expect(r.modules.some((url) => url.endsWith('/dist/cli/poll.js'))).toBe(true);
    expect(r.modules.filter((url) => IMPLEMENTATION.test(url))).toEqual([]);
    expect(packagesOf(r.modules)).toEqual(['commander']);
  });

  it("every command's --help loads none either", () => {
    const commands = [...loaded(['--help']).stdout.matchAll(/^ {2}([a-z][a-z-]*)/gm)]
      .map((m) => m[1] ?? '')
      .filter((name) => name !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['poll', 'run', 'demo', 'simulate', 'ui', 'endpoints']));
    for (const command of [...commands, 'endpoints list']) {
      const r = loaded([...command.split(' '), '--help']);
      expect(r.status, command).toBe(0);
      expect(r.stdout, command).toContain('Usage: roster-watch');
      expect(
        r.modules.filter((url) => IMPLEMENTATION.test(url)),
        command,
      ).toEqual([]);
      expect(packagesOf(r.modules), command).toEqual(['commander']);
    }
  });

  it('a command that runs loads its implementation then (the recorder sees dynamic imports)', () => {
    const r = loaded(['migrate'], { DATABASE_PATH: tempDatabase() });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('database ready at');
    const implementation = r.modules.filter((url) => IMPLEMENTATION.test(url));
    expect(implementation.some((url) => url.endsWith('/dist/app.js'))).toBe(true);
    expect(implementation.some((url) => url.endsWith('/dist/store/db.js'))).toBe(true);
    expect(packagesOf(r.modules)).toEqual(expect.arrayContaining(['better-sqlite3', 'drizzle-orm', 'zod']));
    // A read command needs no daemon, simulator or web server.
    expect(r.modules.filter((url) => /\/dist\/(service\/|simulator\/|web\/serve\.js)/.test(url))).toEqual([]);
    // Nor the identity adapters or the senders: the App imports them when a sync or a delivery runs.
    expect(
      r.modules.filter((url) => /\/dist\/(identity\/[a-z-]+-source\.js|delivery\/dispatcher\.js)/.test(url)),
    ).toEqual([]);
    expect(
      packagesOf(r.modules).filter((name) => /^(ldapts|chardet|iconv-lite|@slack\/webhook)$/.test(name)),
    ).toEqual([]);
  });

  it('a poll loads the App, the VictorOps client and the store, never the web view, the daemon or the simulator', async () => {
    const sim = await startSimulator({ users: 12, teams: 3, seed: 5 });
    try {
      const r = await loadedAsync(['poll', '--no-deliver'], simulatorCliEnv(sim));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('baseline');
      const implementation = r.modules.filter((url) => IMPLEMENTATION.test(url));
      for (const file of ['app.js', 'victorops/client.js', 'store/db.js', 'cycles/poll-cycle.js'])
        expect(
          implementation.some((url) => url.endsWith(`/dist/${file}`)),
          file,
        ).toBe(true);
      // The web view is everything in web/ but the CSV writer (and its escaping), which `oncall` prints with.
      expect(
        r.modules.filter((url) =>
          /\/dist\/(service\/|simulator\/|web\/(?!csv\.js|escape\.js)|delivery\/dispatcher\.js)/.test(url),
        ),
      ).toEqual([]);
      expect(
        packagesOf(r.modules).filter((name) => /^(eta|prom-client|ldapts|bcryptjs)$/.test(name)),
      ).toEqual([]);
      // Nor what only other commands or settings need (issue 21, twenty-seventh part): node-cron (the
      // daemon's ticks; the default schedules are known valid), ical.js (a holidays file),
      // standardwebhooks (a webhook's secret; signing is the sender's, and --no-deliver sends nothing).
      expect(
        packagesOf(r.modules).filter((name) => /^(node-cron|ical\.js|standardwebhooks)$/.test(name)),
      ).toEqual([]);
      // The VictorOps client loads undici's pool and request files, not its index, fetch, WebSocket,
      // cookies, caches, EventSource or mocks (src/victorops/undici-pool.ts). (The bundle holds
      // fetch's body.js for undici's clients, which require() it only to send a FormData body.)
      // zod's namespace is imported as `* as z`, so the bundle keeps only the parts used: of its
      // locales (64 files, ~0.4 MB to compile) only the English one that zod's index installs.
      expect(
        r.modules.filter((url) => /\/node_modules\/zod\/.*\/locales\/(?!(en|index)\.js$)/.test(url)),
      ).toEqual([]);
      const undici = r.modules.filter((url) => url.includes('/node_modules/undici/'));
      expect(undici.some((url) => url.endsWith('/undici/lib/dispatcher/pool.js'))).toBe(true);
      expect(
        undici.filter((url) =>
          /\/undici\/(index\.js|lib\/(mock|cache)\/|lib\/web\/(fetch\/index|cookies|websocket|cache|eventsource)\b)/.test(
            url,
          ),
        ),
      ).toEqual([]);
    } finally {
      await sim.close();
    }
  });

  it('an identity sync of a file loads the file source alone, not the other adapters or their packages', async () => {
    const { sim, env, file } = await startFileIdentityOrg(4);
    try {
      const poll = await runCli(['poll', '--no-deliver'], env);
      expect(poll.code, poll.stderr).toBe(0);
      const people = sim.org.listUsers().map((u) => `${u.email},active`);
      writeFileSync(file, `email,status\n${people.join('\n')}\n`);
      const r = await loadedAsync(['identity-sync', '--no-deliver'], env);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/run \d+ \(identity\): ok/);
      const adapters = r.modules.filter((url) => /\/dist\/identity\/[a-z-]+-source\.js$/.test(url));
      expect(adapters.map((url) => url.replace(/^.*\/dist\//, ''))).toEqual(['identity/file-source.js']);
      // Okta, Entra and Google bring undici's index (src/identity/http.ts), LDAP brings ldapts, and
      // the VictorOps client imports undici's pool files on its first request, which a sync never sends.
      expect(packagesOf(r.modules).filter((name) => /^(ldapts|undici)$/.test(name))).toEqual([]);
      expect(packagesOf(r.modules)).toEqual(expect.arrayContaining(['chardet', 'iconv-lite']));
    } finally {
      await sim.close();
    }
  });
});

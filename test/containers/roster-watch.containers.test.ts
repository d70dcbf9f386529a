/**
 * The container image end to end: simulator, receiver and watcher as three containers of the image on one
 * user-defined network, the watcher's SQLite database on a named volume.
 *
 * Needs a Docker engine. On machines without one (CI here): `bash docker/ci-engine.sh start` first; it also
 * builds the local base images that replace node:22-bookworm-slim where no registry is reachable.
 * Run with `npm run test:containers`.
 *
 * ROSTER_WATCH_IMAGE=<tag> skips the build and tests an image built beforehand.
 */
import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ContainerRuntimeClient,
  GenericContainer,
  getContainerRuntimeClient,
  ImageName,
  Network,
  type StartedNetwork,
  type StartedTestContainer,
  Wait,
} from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// No Ryuk here: its image cannot be pulled without a registry, so the suite cleans up after itself.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
// Published ports are bound on the engine's loopback (dockerd --ip=127.0.0.1).
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LOCAL_RUNTIME_BASE = 'roster-watch/node-runtime:local';
const LOCAL_BUILD_BASE = 'roster-watch/node-build:local';
const DEFAULT_NODE_IMAGE = 'node:22-bookworm-slim';
const IMAGE_TAG = 'roster-watch:containers-test';

const API_ID = 'sim-api-id';
const API_KEY = 'sim-api-key';
// Demo secret (base64 of 32 fixed bytes), the same as in docker-compose.yml; never a real one.
const WEBHOOK_SECRET = 'whsec_J7W/tmzEkdDyttnfd5O8qzW+YSP/FSfg+KAL+ApP0TI=';
const HEALTHCHECK = ['node', '/app/dist/service/healthcheck.js'];

const ENGINE_HINT =
  'No Docker engine is reachable, so the container suite cannot run.\n' +
  'Start the local engine (installs docker.io on first use, builds the local base images) with:\n\n' +
  '    bash docker/ci-engine.sh start\n\n' +
  'then run `npm run test:containers` again. Stop the engine later with `bash docker/ci-engine.sh stop`.';

interface CloudEventLike {
  id?: string;
  type?: string;
  [key: string]: unknown;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Polls `probe` until it returns a value other than undefined, or fails with the last observation. */
async function eventually<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  intervalMs = 1_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the assertion message
  }
  return { status: response.status, body };
}

/** Splits Docker's multiplexed log stream (no TTY) into stdout and stderr. */
function demux(buffer: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const stream = buffer[offset];
    const size = buffer.readUInt32BE(offset + 4);
    const frame = buffer.subarray(offset + 8, offset + 8 + size);
    (stream === 2 ? err : out).push(frame);
    offset += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** The first JSON array in `text`: the whole output, or failing that the text from the first `[`. */
function parseJsonArray(text: string): unknown[] {
  const candidates = [text.trim(), text.slice(text.indexOf('[')).trim()];
  for (const candidate of candidates) {
    try {
      const value: unknown = JSON.parse(candidate);
      if (Array.isArray(value)) return value;
    } catch {
      // try the next candidate
    }
  }
  throw new Error(`expected a JSON array on stdout, got:\n${text.slice(0, 2_000)}`);
}

describe('roster-watch container image', () => {
  let client: ContainerRuntimeClient;
  let image: string;
  let network: StartedNetwork | undefined;
  let simulator: StartedTestContainer | undefined;
  let receiver: StartedTestContainer | undefined;
  let watcher: StartedTestContainer | undefined;
  // Every container of this run carries the label, so afterAll finds them even when a start failed half-way.
  const runId = randomUUID();
  const runLabel = { 'org.roster-watch.test-run': runId };
  const volume = `roster-watch-test-${randomUUID().slice(0, 8)}`;
  // Test (e)'s history, apart from the watcher's.
  const smallVolume = `${volume}-128m`;
  const username = `ct-${randomUUID().slice(0, 8)}`;
  let addedEvent: CloudEventLike | undefined;

  const url = (container: StartedTestContainer, port: number, path: string) =>
    `http://${container.getHost()}:${container.getMappedPort(port)}${path}`;

  const inspect = (container: StartedTestContainer) =>
    client.container.inspect(client.container.getById(container.getId()));

  async function containerLogs(id: string): Promise<{ stdout: string; stderr: string }> {
    const raw = (await client.container.dockerode
      .getContainer(id)
      .logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return demux(Buffer.isBuffer(raw) ? raw : Buffer.from(raw));
  }

  beforeAll(async () => {
    try {
      client = await getContainerRuntimeClient();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`${ENGINE_HINT}\n\n(testcontainers said: ${reason})`);
    }

    if (process.env.ROSTER_WATCH_IMAGE) {
      image = process.env.ROSTER_WATCH_IMAGE;
    } else {
      const localBases =
        (await client.image.exists(ImageName.fromString(LOCAL_RUNTIME_BASE))) &&
        (await client.image.exists(ImageName.fromString(LOCAL_BUILD_BASE)));
      const buildArgs = localBases
        ? { NODE_IMAGE: LOCAL_RUNTIME_BASE, BUILD_IMAGE: LOCAL_BUILD_BASE }
        : { NODE_IMAGE: DEFAULT_NODE_IMAGE, BUILD_IMAGE: DEFAULT_NODE_IMAGE };
      // The local engine runs with --iptables=false: build containers on the default bridge have no route
      // out, so `npm ci` must run on the host network. testcontainers has no option for this; every build
      // goes through client.image.build, which forwards the options to the Engine API as they are.
      const originalBuild = client.image.build.bind(client.image);
      if (localBases) {
        client.image.build = (context, options) =>
          originalBuild(context, { ...options, networkmode: 'host' });
      }
      try {
        await GenericContainer.fromDockerfile(repoRoot)
          .withBuildArgs(buildArgs)
          .build(IMAGE_TAG, { deleteOnExit: false });
      } catch (error) {
        const args = Object.entries(buildArgs)
          .map(([k, v]) => `--build-arg ${k}=${v}`)
          .join(' ');
        throw new Error(
          `building the image failed: ${error instanceof Error ? error.message : String(error)}\n` +
            `See the build log with:  DOCKER_BUILDKIT=0 docker build${localBases ? ' --network host' : ''} ${args} -t ${IMAGE_TAG} .\n` +
            '(or rerun with DEBUG=testcontainers:build)',
        );
      } finally {
        client.image.build = originalBuild;
      }
      image = IMAGE_TAG;
    }

    network = await new Network().start();

    simulator = await new GenericContainer(image)
      .withLabels(runLabel)
      .withNetwork(network)
      .withNetworkAliases('simulator')
      // No --drift here (compose has it): random removals could race the change the test makes.
      .withCommand(['simulate', '--host', '0.0.0.0', '--port', '8080'])
      .withExposedPorts(8080)
      .withHealthCheck({
        test: ['CMD', ...HEALTHCHECK, 'http://127.0.0.1:8080/_sim/health'],
        interval: 5_000,
        timeout: 4_000,
        retries: 3,
      })
      .withWaitStrategy(Wait.forHttp('/_sim/health', 8080).forStatusCode(200))
      .withStartupTimeout(60_000)
      .start();

    receiver = await new GenericContainer(image)
      .withLabels(runLabel)
      .withNetwork(network)
      .withNetworkAliases('receiver')
      .withCommand(['receive', '--host', '0.0.0.0', '--port', '8090'])
      .withEnvironment({ WEBHOOK_SECRET })
      .withExposedPorts(8090)
      .withHealthCheck({
        test: ['CMD', ...HEALTHCHECK, 'http://127.0.0.1:8090/_received'],
        interval: 5_000,
        timeout: 4_000,
        retries: 3,
      })
      .withWaitStrategy(Wait.forHttp('/_received', 8090).forStatusCode(200))
      .withStartupTimeout(60_000)
      .start();

    watcher = await new GenericContainer(image)
      .withLabels(runLabel)
      .withNetwork(network)
      .withNetworkAliases('watcher')
      .withCommand(['run'])
      .withEnvironment({
        VO_BASE_URL: 'http://simulator:8080/api-public',
        VO_API_ID: API_ID,
        VO_API_KEY: API_KEY,
        POLL_SCHEDULE: '*/5 * * * * *',
        VO_MAX_RPS: '20',
        WEBHOOK_URLS: 'http://receiver:8090/',
        WEBHOOK_SECRET,
        LOG_FORMAT: 'json',
      })
      .withBindMounts([{ source: volume, target: '/data', mode: 'rw' }])
      .withExposedPorts(8080)
      // The image's own HEALTHCHECK stays in force: test (a) checks that Docker reports it healthy.
      .withWaitStrategy(Wait.forHttp('/healthz', 8080).forStatusCode(200))
      .withStartupTimeout(120_000)
      .start();
  });

  afterAll(async () => {
    if (!client) return;
    // Without Ryuk nothing else cleans up: remove every container (with its anonymous volumes), the network
    // and the named volume, whatever state the tests left them in.
    const containers = await client.container.dockerode
      .listContainers({ all: true, filters: { label: [`org.roster-watch.test-run=${runId}`] } })
      .catch(() => []);
    for (const info of containers) {
      await client.container.dockerode
        .getContainer(info.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined);
    }
    await network?.stop().catch(() => undefined);
    for (const name of [volume, smallVolume]) {
      await client.container.dockerode
        .getVolume(name)
        .remove()
        .catch(() => undefined);
    }
  });

  it('(a) reports healthy through the image HEALTHCHECK and serves /healthz on the mapped port', async () => {
    const w = watcher!;
    const status = await eventually(
      'Docker health status "healthy"',
      90_000,
      async () => {
        const state = (await inspect(w)).State;
        const health = state.Health?.Status;
        if (health === 'unhealthy') {
          const last = state.Health?.Log?.at(-1);
          throw new Error(`unhealthy: exit ${last?.ExitCode}, ${last?.Output?.trim()}`);
        }
        return health === 'healthy' ? health : undefined;
      },
      1_000,
    );
    expect(status).toBe('healthy');
    const response = await fetch(url(w, 8080, '/healthz'), { signal: AbortSignal.timeout(5_000) });
    expect(response.status).toBe(200);
  });

  it('(b) runs as a non-root user', async () => {
    const w = watcher!;
    const info = await inspect(w);
    const user = info.Config.User ?? '';
    expect(user, 'image USER').not.toBe('');
    const uid = user.split(':')[0] ?? '';
    expect(uid, 'USER must be numeric so runAsNonRoot can verify it').toMatch(/^\d+$/);
    expect(Number(uid)).not.toBe(0);
    // What the kernel says, not only the configuration: every process in the container, by numeric uid.
    const top = (await client.container.getById(w.getId()).top({ ps_args: '-o uid,pid,args' })) as {
      Titles: string[];
      Processes: string[][];
    };
    const uidColumn = top.Titles.findIndex((title) => title.toUpperCase() === 'UID');
    expect(uidColumn).toBeGreaterThanOrEqual(0);
    expect(top.Processes.length).toBeGreaterThan(0);
    for (const row of top.Processes) {
      expect(row[uidColumn], `process ${row.join(' ')}`).not.toBe('0');
    }
  });

  it('(c) delivers a signed victorops.user.added event for a user added after the baseline poll', async () => {
    const sim = simulator!;
    const w = watcher!;
    const rec = receiver!;

    // Baseline done = the watcher says it is ready, and it has started a second poll: polls do not overlap,
    // so the first one (the baseline, taken without events) has been fetched and stored by then.
    await eventually('GET /readyz = 200 on the watcher', 90_000, async () => {
      const response = await fetch(url(w, 8080, '/readyz'), { signal: AbortSignal.timeout(5_000) });
      return response.status === 200 ? true : undefined;
    });
    await eventually(
      'a second roster poll at the simulator (so the baseline is stored)',
      90_000,
      async () => {
        const stats = await getJson(url(sim, 8080, '/_sim/stats?entries=1'));
        const entries = (stats.body as { entries?: { method: string; path: string }[] }).entries ?? [];
        const userListFetches = entries.filter(
          (entry) => entry.method === 'GET' && /\/v\d\/user(\?.*)?$/.test(entry.path),
        ).length;
        return userListFetches >= 2 ? true : undefined;
      },
    );

    const created = await getJson(url(sim, 8080, '/api-public/v1/user'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-VO-Api-Id': API_ID, 'X-VO-Api-Key': API_KEY },
      body: JSON.stringify({
        firstName: 'Container',
        lastName: 'Test',
        username,
        email: `${username}@example.com`,
      }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);

    addedEvent = await eventually(
      `a victorops.user.added event for ${username} at the receiver`,
      60_000,
      async () => {
        const received = await getJson(url(rec, 8090, '/_received'));
        if (!Array.isArray(received.body)) throw new Error(`/_received is not an array: ${received.status}`);
        return (received.body as CloudEventLike[]).find(
          (event) => event.type === 'victorops.user.added' && JSON.stringify(event).includes(username),
        );
      },
      2_000,
    );
    expect(addedEvent.type).toBe('victorops.user.added');
  });

  it('(d) stops cleanly on SIGTERM and keeps the event in the database on the volume', async () => {
    expect(addedEvent, 'test (c) must have delivered the event first').toBeDefined();
    const w = watcher!;
    // docker stop: SIGTERM, then SIGKILL after 30 s. Exit code 0 means the app shut down on its own.
    await w.stop({ timeout: 30_000, remove: false, removeVolumes: false });
    const state = (await inspect(w)).State;
    const logs = await containerLogs(w.getId());
    expect(state.ExitCode, `watcher exit code; last log lines:\n${logs.stderr.slice(-2_000)}`).toBe(0);
    expect(state.OOMKilled).toBe(false);

    // A one-off container on the same volume, as an operator would run it: `docker run --rm -v ... history --json`.
    const oneOff = await client.container.dockerode.createContainer({
      Image: image,
      Cmd: ['history', '--json'],
      Labels: runLabel,
      HostConfig: { Binds: [`${volume}:/data:rw`], NetworkMode: 'none' },
    });
    let output: { stdout: string; stderr: string };
    let exitCode: number;
    try {
      await oneOff.start();
      exitCode = ((await oneOff.wait()) as { StatusCode: number }).StatusCode;
      output = await containerLogs(oneOff.id);
    } finally {
      await oneOff.remove({ force: true }).catch(() => undefined);
    }
    expect(exitCode, `history --json exit code; stderr:\n${output.stderr.slice(-2_000)}`).toBe(0);

    const entries = parseJsonArray(output.stdout);
    const match = entries.find((entry) => {
      const text = JSON.stringify(entry);
      const sameId = addedEvent?.id !== undefined && text.includes(addedEvent.id);
      return text.includes(username) && (sameId || text.includes('user.added'));
    });
    expect(
      match,
      `history has no user.added entry for ${username}:\n${output.stdout.slice(0, 2_000)}`,
    ).toBeDefined();
  });

  // The org of the benchmarks (docs/benchmarks.md "Lean polls"), served by a simulator of its own,
  // started by whichever of (e) and (f) runs first.
  let simulator20k: StartedTestContainer | undefined;
  const startSimulator20k = async (): Promise<StartedTestContainer> => {
    simulator20k ??= await new GenericContainer(image)
      .withLabels(runLabel)
      .withNetwork(network!)
      .withNetworkAliases('simulator-20k')
      .withCommand(['simulate', '--host', '0.0.0.0', '--port', '8080', '--users', '20000', '--teams', '500'])
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp('/_sim/health', 8080).forStatusCode(200))
      .withStartupTimeout(120_000)
      .start();
    return simulator20k;
  };
  // `docker run --memory=128m --memory-swap=128m`: the kernel ends the process (OOMKilled) past it.
  const limit = 128 * 1024 * 1024;
  /** A container of (e) or (f): 128 MiB, no swap, (e)'s small volume, the test network. */
  const inside128m = () => ({
    Memory: limit,
    MemorySwap: limit,
    Binds: [`${smallVolume}:/data:rw`],
    NetworkMode: network!.getName(),
  });
  /** The watcher's settings for the 20,000-user simulator. */
  const ENV_20K = [
    'VO_BASE_URL=http://simulator-20k:8080/api-public',
    `VO_API_ID=${API_ID}`,
    `VO_API_KEY=${API_KEY}`,
    'VO_MAX_RPS=500',
    'LOG_FORMAT=json',
  ];

  it('(e) polls a 20,000-user org inside --memory=128m (no swap): baseline and unchanged poll, never OOM-killed', async () => {
    await startSimulator20k();
    const polls: [string, RegExp][] = [
      ['baseline', /^run 1: baseline: recorded 20\d{3} users and 500 teams/m],
      ['unchanged', /^run 2: ok: 0 changes/m],
    ];
    for (const [poll, said] of polls) {
      const container = await client.container.dockerode.createContainer({
        Image: image,
        Cmd: ['poll', '--no-deliver'],
        Labels: runLabel,
        Env: ENV_20K,
        HostConfig: inside128m(),
      });
      try {
        await container.start();
        const { StatusCode } = (await container.wait()) as { StatusCode: number };
        const info = await container.inspect();
        const output = await containerLogs(container.id);
        const context = `${poll} poll: exit ${StatusCode}; stderr:\n${output.stderr.slice(-2_000)}`;
        expect(info.HostConfig.Memory, 'the limit is in force').toBe(limit);
        expect(info.State.OOMKilled, context).toBe(false);
        expect(StatusCode, context).toBe(0);
        expect(output.stdout, context).toMatch(said);
      } finally {
        await container.remove({ force: true }).catch(() => undefined);
      }
    }
  });

  it('(f) runs the daemon on a 20,000-user org inside --memory=128m: baseline, unchanged and a poll after ~2,000 changes, never OOM-killed', async () => {
    // What a sidecar runs: one long-lived `run` whose polls share a page cache (forty-seventh part).
    const sim = await startSimulator20k();
    const container = await client.container.dockerode.createContainer({
      Image: image,
      Cmd: ['run'],
      Labels: runLabel,
      Env: [
        ...ENV_20K,
        // A history of its own beside (e)'s, on the same small volume.
        'DATABASE_PATH=/data/daemon.db',
        'POLL_SCHEDULE=*/10 * * * * *',
        'POLL_JITTER_MS=0',
        'POLICY_SCHEDULE=off',
        // The drift's departures must be recorded, not held back by the mass-removal guard.
        'REMOVAL_GUARD_MAX_FRACTION=1',
      ],
      HostConfig: inside128m(),
    });
    /** The daemon's "poll finished" log lines so far, parsed. */
    const finished = async () => {
      const { stdout, stderr } = await containerLogs(container.id);
      return `${stdout}\n${stderr}`
        .split('\n')
        .filter((line) => line.includes('"msg":"poll finished"'))
        .map((line) => JSON.parse(line) as { status: string; changes: number });
    };
    const context = async () => {
      const info = await container.inspect();
      const { stderr } = await containerLogs(container.id);
      return `running ${info.State.Running}, OOMKilled ${info.State.OOMKilled}, exit ${info.State.ExitCode}; stderr:\n${stderr.slice(-2_000)}`;
    };
    try {
      await container.start();
      const before = await eventually('the baseline and an unchanged poll', 240_000, async () => {
        const polls = await finished();
        return polls.length >= 2 ? polls : undefined;
      }).catch(async (error: Error) => {
        throw new Error(`${error.message}\n${await context()}`);
      });
      expect(before[0]?.status, await context()).toBe('baseline');
      expect(before[1]?.changes, await context()).toBe(0);
      const drift = await getJson(`http://127.0.0.1:${sim.getMappedPort(8080)}/_sim/drift`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ count: 2_000 }),
      });
      expect(drift.status).toBe(200);
      const changed = await eventually('a poll recording the drift', 240_000, async () => {
        const polls = await finished();
        return polls.slice(2).find((poll) => poll.changes > 1_000);
      }).catch(async (error: Error) => {
        throw new Error(`${error.message}\n${await context()}`);
      });
      expect(changed.status, await context()).toBe('ok');
      const info = await container.inspect();
      expect(info.HostConfig.Memory, 'the limit is in force').toBe(limit);
      expect(info.State.OOMKilled, await context()).toBe(false);
      expect(info.State.Running, await context()).toBe(true);
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  });
});

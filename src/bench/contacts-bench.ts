/**
 * The contacts poll at VictorOps' real limits: a simulator in a process of its own that allows 2
 * requests a second per key (403 beyond), and one paging-policy read a second (the client's own
 * endpoint interval). Measured: a contacts poll's requests and wall time when it reads everyone,
 * and how long a roster poll takes alone and with a contacts poll running beside it on the same
 * key (roster polls keep priority: the difference should be about one request's worth, 0.5 s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createApp } from '../app.js';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import { startSimulatorProcess } from './fetch-bench.js';

export interface ContactsBench {
  users: number;
  teams: number;
  contacts: { people: number; requests: number; seconds: number; rejected: number };
  rosterAlone: { requests: number; seconds: number }[];
  rosterBeside: { requests: number; seconds: number }[];
}

export async function benchContacts(options: {
  users: number;
  teams: number;
  samples: number;
  backgroundShare?: string;
}): Promise<ContactsBench> {
  const sim = await startSimulatorProcess([
    ...['--users', String(options.users), '--teams', String(options.teams), '--seed', '7'],
    ...['--rate-limit', '2', '--rate-limit-status', '403'],
  ]);
  const dirs: string[] = [];
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  const logger = createLogger({ level: 'warn', format: 'json', destination: quiet });
  const appOn = () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-bench-contacts-'));
    dirs.push(dir);
    const config = loadConfig(
      {
        VO_API_ID: 'sim-api-id',
        VO_API_KEY: 'sim-api-key',
        VO_BASE_URL: sim.url,
        VO_MAX_RPS: '2',
        // Every roster poll reads every team, so the samples compare like with like.
        MEMBERSHIP_HINTS: 'off',
        // The share of turns background work keeps while roster polls wait (default 0.25; 0 = strict).
        ...(options.backgroundShare === undefined ? {} : { VO_BACKGROUND_SHARE: options.backgroundShare }),
        DATABASE_PATH: join(dir, 'roster-watch.db'),
        LOG_LEVEL: 'warn',
      },
      { requireVictorOps: true },
    );
    return createApp({ config, logger });
  };
  const signal = new AbortController().signal;
  const rosterPoll = async (app: ReturnType<typeof appOn>) => {
    const started = performance.now();
    const result = await app.pollRoster(signal);
    return { requests: result.fetched?.stats.requests ?? 0, seconds: (performance.now() - started) / 1000 };
  };
  const rejected = async () => {
    const stats = (await (await fetch(`${sim.url.replace(/\/api-public$/, '/_sim')}/stats`)).json()) as {
      byStatus?: Record<string, number>;
    };
    return stats.byStatus?.['403'] ?? 0;
  };
  try {
    const alone = appOn();
    await alone.pollRoster(signal);
    const rosterAlone = [];
    for (let i = 0; i < options.samples; i++) rosterAlone.push(await rosterPoll(alone));
    const rejectedBefore = await rejected();
    const started = performance.now();
    const contactsResult = await alone.pollContacts(signal);
    const contacts = {
      people: contactsResult.read,
      requests: contactsResult.requests,
      seconds: (performance.now() - started) / 1000,
      rejected: (await rejected()) - rejectedBefore,
    };
    await alone.close();

    // A fresh database, so the contacts poll reads everyone again while the roster polls run.
    const beside = appOn();
    await beside.pollRoster(signal);
    const running = beside.pollContacts(signal);
    const rosterBeside = [];
    for (let i = 0; i < options.samples; i++) rosterBeside.push(await rosterPoll(beside));
    await running;
    await beside.close();
    return { users: options.users, teams: options.teams, contacts, rosterAlone, rosterBeside };
  } finally {
    sim.child.kill();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

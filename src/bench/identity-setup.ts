/**
 * The identity benchmark's preparation (run.ts runs it in a process of its own): the org recorded
 * by the App's polls against the simulator, and the export written. Kept apart from
 * identity-bench.ts so the measured sync's process never loads the simulator.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../app.js';
import { loadConfig } from '../config/load-config.js';
import { createSilentLogger } from '../logger.js';
import { startSimulator } from '../simulator/simulator.js';
import { SOURCE } from './identity-bench.js';

/** The export: one row per VictorOps user (2% leavers, 1% renamed), then other employees. */
function writeExport(path: string, emails: readonly (string | null)[], total: number): void {
  const rows = ['email,name,status,emails,id,status_changed_at'];
  emails.forEach((email, i) => {
    if (email === null) return;
    const status = i % 50 === 7 ? 'terminated' : 'active';
    const name = i % 100 === 3 ? `Renamed Person${i}` : '';
    rows.push(
      `${email},${name},${status},alias${i}@corp.example;p${i}@mail.example,E${i},2026-01-0${(i % 9) + 1}`,
    );
  });
  for (let i = rows.length - 1; i < total; i++) {
    rows.push(
      `employee${i}@corp.example,"Employee, Number ${i}",${i % 10 === 0 ? 'suspended' : 'active'},,E${i},`,
    );
  }
  writeFileSync(path, `${rows.join('\n')}\n`);
}

/**
 * Records the org's baseline roster, policies and schedules into `dir/bench.db` with the App's own
 * polls against a simulator of that org (as `roster-watch poll` and `policy-poll` record them), and
 * writes the export. Run in a process of its own, so the sync measured afterwards starts, like
 * `roster-watch identity-sync`, from an existing database.
 */
export async function prepareIdentityBench(options: {
  dir: string;
  identities: number;
  users: number;
  teams: number;
}): Promise<void> {
  const sim = await startSimulator({ users: options.users, teams: options.teams, seed: 7 });
  const config = loadConfig(
    {
      VO_API_ID: 'sim-api-id',
      VO_API_KEY: 'sim-api-key',
      VO_BASE_URL: sim.url,
      VO_MAX_RPS: '1000',
      VO_CONCURRENCY: '16',
      EVENT_SOURCE: SOURCE,
      DATABASE_PATH: join(options.dir, 'bench.db'),
    },
    { requireVictorOps: true },
  );
  const app = createApp({ config, logger: createSilentLogger() });
  const signal = new AbortController().signal;
  try {
    const poll = await app.pollRoster(signal);
    const policies = await app.pollPolicies(signal);
    if (poll.status !== 'baseline' || policies.status !== 'baseline')
      throw new Error(`the bench org was not recorded: roster ${poll.status}, policies ${policies.status}`);
    writeExport(
      join(options.dir, 'people.csv'),
      (poll.fetched?.roster.users ?? []).map((u) => u.email),
      options.identities,
    );
  } finally {
    await app.close();
    await sim.close();
  }
}

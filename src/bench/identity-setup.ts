/**
 * The identity benchmark's preparation (run.ts runs it in a process of its own): the org recorded
 * by the App's polls against the simulator, and the export written. Kept apart from
 * identity-bench.ts so the measured sync's process never loads the simulator.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../app.js';
import { loadConfig } from '../config/load-config.js';
import type { User } from '../contract/catalogue.js';
import { createSilentLogger } from '../logger.js';
import { startSimulator } from '../simulator/simulator.js';
import { SOURCE } from './identity-bench.js';
import type { BenchPerson } from './identity-fakes.js';

/** The directory: one person per VictorOps user (2% leavers, 1% renamed), then other employees. */
function benchPeople(users: readonly User[], total: number): BenchPerson[] {
  const people: BenchPerson[] = [];
  users.forEach((user, i) => {
    const email = user.email;
    if (email === null) return;
    const renamed = i % 100 === 3 ? `Renamed Person${i}` : null;
    people.push({
      id: `E${i}`,
      email,
      name: renamed ?? '',
      fullName:
        renamed ??
        (user.displayName || [user.firstName, user.lastName].filter(Boolean).join(' ') || user.username),
      status: i % 50 === 7 ? 'terminated' : 'active',
      aliases: [`alias${i}@corp.example`, `p${i}@mail.example`],
      changed: `2026-01-0${(i % 9) + 1}`,
    });
  });
  for (let i = people.length; i < total; i++)
    people.push({
      id: `E${i}`,
      email: `employee${i}@corp.example`,
      name: `Employee, Number ${i}`,
      fullName: `Employee Number ${i}`,
      status: i % 10 === 0 ? 'suspended' : 'active',
      aliases: [],
      changed: '',
    });
  return people;
}

/** The export (CSV), the VictorOps users' rows first. */
function writeExport(path: string, people: readonly BenchPerson[]): void {
  const rows = ['email,name,status,emails,id,status_changed_at'];
  for (const p of people)
    rows.push(
      `${p.email},${p.name.includes(',') ? `"${p.name}"` : p.name},${p.status},${p.aliases.join(';')},${p.id},${p.changed}`,
    );
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
    const people = benchPeople(poll.fetched?.roster.users ?? [], options.identities);
    writeExport(join(options.dir, 'people.csv'), people);
    // The same people for the Okta and Entra fakes (identity-fakes.ts).
    writeFileSync(join(options.dir, 'people.json'), JSON.stringify(people));
  } finally {
    await app.close();
    await sim.close();
  }
}

/**
 * Identity reconciliation at scale, in a process of its own so peak RSS is this work's: 100,000
 * identities (a CSV export, three addresses for some) against a recorded org of 20,000 VictorOps
 * users with policies and schedules. CPU time of a sync that parses the file, reconciles and
 * commits the findings; of one whose file is unchanged (parsed copy reused); and of the pure
 * matching alone. The org is recorded by the App's polls against the simulator, and every sync
 * measured is the App's, so the bench runs what `roster-watch identity-sync` runs.
 */
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../app.js';
import { loadConfig } from '../config/load-config.js';
import { parseIdentityFile } from '../identity/file-source.js';
import { createSilentLogger } from '../logger.js';
import { computeIdentityFindings } from '../roster/identity-findings.js';
import { startSimulator } from '../simulator/simulator.js';
import { openStore, type Store } from '../store/db.js';
import { loadCurrentRoster } from '../store/history.js';
import { loadCurrentPolicies, loadTeamSchedules } from '../store/policies.js';

export interface IdentityBenchResult {
  identities: number;
  victorOpsUsers: number;
  fileMb: number;
  firstSyncCpuSeconds: number;
  firstSyncFindings: number;
  unchangedSyncCpuSeconds: number;
  reparsedSyncCpuSeconds: number;
  matchOnlyCpuSeconds: number;
  peakRssMb: number;
}

async function cpuSeconds(fn: () => Promise<unknown> | unknown): Promise<number> {
  const before = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/** The export: one row per VictorOps user (2% leavers, 1% renamed), then other employees. */
const SOURCE = 'urn:roster-watch:bench';

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

/**
 * Measures syncs against the database and export that prepareIdentityBench left in `dir`, each one
 * the App's `syncIdentity` (what `roster-watch identity-sync` calls); one App throughout, so the
 * unchanged file's parsed copy is reused as in the daemon.
 */
export async function benchIdentity(options: { dir: string }): Promise<IdentityBenchResult> {
  const databasePath = join(options.dir, 'bench.db');
  const csv = join(options.dir, 'people.csv');
  const config = loadConfig(
    { DATABASE_PATH: databasePath, EVENT_SOURCE: SOURCE, IDENTITY_FILE: csv, IDENTITY_FILE_WATCH_MS: '0' },
    { requireVictorOps: false },
  );
  const app = createApp({ config, logger: createSilentLogger() });
  const signal = new AbortController().signal;
  const sync = async () => {
    const result = await app.syncIdentity(signal);
    if (result === null) throw new Error('no identity source configured');
    return result;
  };
  let reads: Store | null = null;
  try {
    // Opened before the clock starts, as the figures were before the App: a sync's cost, not the
    // database's opening.
    app.outboxCounts();
    let firstSyncFindings = 0;
    const firstSyncCpuSeconds = await cpuSeconds(async () => {
      firstSyncFindings = (await sync()).diff.appeared.length;
    });
    const unchangedSyncCpuSeconds = await cpuSeconds(sync);
    const later = new Date(Date.now() + 60_000);
    utimesSync(csv, later, later);
    const reparsedSyncCpuSeconds = await cpuSeconds(sync);
    // What `identity-sync` itself needs; the matching-only figure below parses a second copy.
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const fileConfig = config.identity.file;
    if (fileConfig === null) throw new Error('no identity file configured');
    const identities = parseIdentityFile(readFileSync(csv, 'utf8'), fileConfig);
    // The pure matching's inputs, read through a read-only connection of the bench's own.
    reads = openStore(databasePath, { readonly: true });
    const roster = loadCurrentRoster(reads);
    if (roster === null) throw new Error('no roster recorded');
    const policies = loadCurrentPolicies(reads);
    const schedules = loadTeamSchedules(reads);
    const settings = { rule: 'none' as const, explicit: new Map<string, string>(), exemptions: [] };
    const matchOnlyCpuSeconds = await cpuSeconds(() =>
      computeIdentityFindings({
        roster,
        policies,
        schedules,
        now: new Date().toISOString(),
        identities,
        settings,
        sources: ['file'],
      }),
    );
    return {
      identities: identities.length,
      victorOpsUsers: roster.users.length,
      fileMb: statSync(csv).size / 1_048_576,
      firstSyncCpuSeconds,
      firstSyncFindings,
      unchangedSyncCpuSeconds,
      reparsedSyncCpuSeconds,
      matchOnlyCpuSeconds,
      peakRssMb,
    };
  } finally {
    reads?.close();
    await app.close();
  }
}

/**
 * Identity reconciliation at scale, in a process of its own so peak RSS is this work's: 100,000
 * identities (a CSV export, three addresses for some) against a recorded org of 20,000 VictorOps
 * users with policies and schedules. CPU time of a sync that parses the file, reconciles and
 * commits the findings; of one whose file is unchanged (parsed copy reused); and of the pure
 * matching alone.
 */
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../clock.js';
import { DEFAULT_STATUS_MAP } from '../config/identity.js';
import { runIdentitySync } from '../cycles/identity-cycle.js';
import { runPolicyPollCycle } from '../cycles/policy-cycle.js';
import { runPollCycle } from '../cycles/poll-cycle.js';
import { createFileSource, parseIdentityFile } from '../identity/file-source.js';
import { createSilentLogger } from '../logger.js';
import { computeIdentityFindings } from '../roster/identity-findings.js';
import { openStore } from '../store/db.js';
import { loadCurrentRoster } from '../store/history.js';
import { loadCurrentPolicies, loadTeamSchedules } from '../store/policies.js';
import { buildOrg } from './persist-bench.js';

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
 * Records the org's baseline roster, policies and schedules into `dir/bench.db` and writes the
 * export. Run in a process of its own, so the sync measured afterwards starts, like
 * `roster-watch identity-sync`, from an existing database.
 */
export async function prepareIdentityBench(options: {
  dir: string;
  identities: number;
  users: number;
  teams: number;
}): Promise<void> {
  const org = buildOrg({ users: options.users, teams: options.teams });
  const store = openStore(join(options.dir, 'bench.db'));
  const logger = createSilentLogger();
  const signal = new AbortController().signal;
  try {
    const now = new Date().toISOString();
    const roster = {
      roster: org.roster,
      strategy: 'team' as const,
      failedScopes: [],
      stats: { requests: 0, retries: 0, rateLimited: 0 },
      startedAt: now,
      finishedAt: now,
    };
    await runPollCycle(
      {
        store,
        clock: systemClock,
        logger,
        source: SOURCE,
        destinations: [],
        guard: { maxFraction: 1, min: 1_000_000, confirmations: 1 },
        pollFailingAfter: 3,
        fetchRoster: async () => roster,
      },
      signal,
    );
    await runPolicyPollCycle(
      {
        store,
        clock: systemClock,
        logger,
        source: SOURCE,
        destinations: [],
        policyListMinIntervalMs: 0,
        pollFailingAfter: 3,
        whenListTooSoon: 'wait',
        fetchPolicies: async () => org.policies,
      },
      signal,
    );
    writeExport(
      join(options.dir, 'people.csv'),
      org.roster.users.map((u) => u.email),
      options.identities,
    );
  } finally {
    store.close();
  }
}

/** Measures syncs against the database and export that prepareIdentityBench left in `dir`. */
export async function benchIdentity(options: { dir: string }): Promise<IdentityBenchResult> {
  const store = openStore(join(options.dir, 'bench.db'));
  const logger = createSilentLogger();
  const signal = new AbortController().signal;
  const csv = join(options.dir, 'people.csv');
  try {
    const fileConfig = {
      path: csv,
      format: 'csv' as const,
      columns: {
        email: 'email',
        name: 'name',
        status: 'status',
        emails: 'emails',
        id: 'id',
        statusChangedAt: 'status_changed_at',
      },
      statusMap: DEFAULT_STATUS_MAP,
      watchMs: 0,
    };
    const settings = { rule: 'none' as const, explicit: new Map<string, string>(), exemptions: [] };
    const deps = {
      store,
      clock: systemClock,
      logger,
      source: SOURCE,
      destinations: [],
      guard: { maxFraction: 0.2, min: 5, confirmations: 3 },
      settings,
      sources: [createFileSource(fileConfig)],
    };
    let firstSyncFindings = 0;
    const firstSyncCpuSeconds = await cpuSeconds(async () => {
      firstSyncFindings = (await runIdentitySync(deps, signal)).diff.appeared.length;
    });
    const unchangedSyncCpuSeconds = await cpuSeconds(() => runIdentitySync(deps, signal));
    const later = new Date(Date.now() + 60_000);
    utimesSync(csv, later, later);
    const reparsedSyncCpuSeconds = await cpuSeconds(() => runIdentitySync(deps, signal));
    // What `identity-sync` itself needs; the matching-only figure below parses a second copy.
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const identities = parseIdentityFile(readFileSync(csv, 'utf8'), fileConfig);
    const roster = loadCurrentRoster(store);
    if (roster === null) throw new Error('no roster recorded');
    const policies = loadCurrentPolicies(store);
    const schedules = loadTeamSchedules(store);
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
    store.close();
  }
}

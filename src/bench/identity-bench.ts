/**
 * Identity reconciliation at scale, in a process of its own so peak RSS is this work's: 100,000
 * identities (a CSV export, three addresses for some) against a recorded org of 20,000 VictorOps
 * users with policies and schedules. CPU time of a sync that parses the file, reconciles and
 * commits the findings; of one whose file is unchanged (parsed copy reused); and of the pure
 * matching alone. The org is recorded by the App's polls against the simulator (identity-setup.ts,
 * in a process of its own, so this module loads neither the simulator nor the org's generator),
 * and every sync measured is the App's, so the bench runs what `roster-watch identity-sync` runs.
 */
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../app.js';
import { loadConfig } from '../config/load-config.js';
import { parseIdentityFile } from '../identity/file-source.js';
import { createSilentLogger } from '../logger.js';
import { computeIdentityFindings } from '../roster/identity-findings.js';
import { openStore, type Store } from '../store/db.js';
import { loadCurrentRoster, loadCurrentUserKeys } from '../store/history.js';
import { loadCurrentPolicies, loadTeamSchedules } from '../store/policies.js';
import type { BenchFakes } from './identity-fakes.js';

export interface IdentityBenchResult {
  identities: number;
  victorOpsUsers: number;
  fileMb: number;
  firstSyncCpuSeconds: number;
  firstSyncFindings: number;
  /** The second sync: for the file, its parse reused; for a paged source, read again. */
  unchangedSyncCpuSeconds: number;
  /** The file's alone (null for a paged source). */
  reparsedSyncCpuSeconds: number | null;
  matchOnlyCpuSeconds: number | null;
  peakRssMb: number;
}

/** Which source the measured syncs read: the export, or the same people from the Okta or Entra fake. */
export type BenchIdentitySource = 'file' | 'okta' | 'entra';

function sourceEnv(
  source: BenchIdentitySource,
  csv: string,
  fakes: BenchFakes | null,
): Record<string, string> {
  if (source === 'file') return { IDENTITY_FILE: csv, IDENTITY_FILE_WATCH_MS: '0' };
  if (fakes === null) throw new Error(`the ${source} benchmark needs the fakes' addresses`);
  return source === 'okta'
    ? { OKTA_ORG_URL: fakes.oktaUrl, OKTA_API_TOKEN: fakes.oktaToken }
    : {
        ENTRA_TENANT_ID: fakes.tenantId,
        ENTRA_CLIENT_ID: fakes.clientId,
        ENTRA_CLIENT_SECRET: fakes.clientSecret,
        ENTRA_AUTHORITY_URL: fakes.authorityUrl,
        ENTRA_GRAPH_URL: fakes.graphUrl,
      };
}

async function cpuSeconds(fn: () => Promise<unknown> | unknown): Promise<number> {
  const before = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/** How many users the bench's org recorded (read after the measured syncs). */
function recordedUsers(databasePath: string): number {
  const store = openStore(databasePath, { readonly: true });
  try {
    return loadCurrentUserKeys(store).length;
  } finally {
    store.close();
  }
}

/** The CloudEvents source of the bench's runs (identity-setup.ts records the org with it). */
export const SOURCE = 'urn:roster-watch:bench';

/**
 * Measures syncs against the database and export that prepareIdentityBench left in `dir`, each one
 * the App's `syncIdentity` (what `roster-watch identity-sync` calls); one App throughout, so the
 * unchanged file's parsed copy is reused as in the daemon.
 */
export async function benchIdentity(options: {
  dir: string;
  source?: BenchIdentitySource;
  fakes?: BenchFakes | null;
}): Promise<IdentityBenchResult> {
  const databasePath = join(options.dir, 'bench.db');
  const csv = join(options.dir, 'people.csv');
  const source = options.source ?? 'file';
  const config = loadConfig(
    { DATABASE_PATH: databasePath, EVENT_SOURCE: SOURCE, ...sourceEnv(source, csv, options.fakes ?? null) },
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
    let read = 0;
    const firstSyncCpuSeconds = await cpuSeconds(async () => {
      const first = await sync();
      firstSyncFindings = first.diff.appeared.length;
      read = first.sources.reduce((n, s) => n + s.read, 0);
    });
    const unchangedSyncCpuSeconds = await cpuSeconds(sync);
    if (source !== 'file') {
      const peakRssMb = process.resourceUsage().maxRSS / 1024;
      return {
        identities: read,
        victorOpsUsers: recordedUsers(databasePath),
        fileMb: 0,
        firstSyncCpuSeconds,
        firstSyncFindings,
        unchangedSyncCpuSeconds,
        reparsedSyncCpuSeconds: null,
        matchOnlyCpuSeconds: null,
        peakRssMb,
      };
    }
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

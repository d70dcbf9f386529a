/**
 * Identity reconciliation's metrics, added to the daemon's registry: per source (last success,
 * identities read, failing) and open findings by kind. Gauges read the database at each scrape,
 * so they are the store's truth. Labels are source names and kinds: never usernames or emails.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { IDENTITY_FINDING_KINDS } from '../roster/identity-types.js';
import type { StoredSourceState } from '../store/identity.js';

export interface IdentityMetricsDeps {
  registry: Registry;
  /** Configured source names, so their series exist before the first sync. */
  sources: readonly string[];
  sourceStates: () => readonly StoredSourceState[];
  openFindings: () => readonly { kind: string; open: number }[];
}

export interface IdentityMetrics {
  recordSync(status: 'ok' | 'failed' | 'held'): void;
}

export function registerIdentityMetrics(deps: IdentityMetricsDeps): IdentityMetrics {
  const registers = [deps.registry];
  const byName = () => new Map(deps.sourceStates().map((s) => [s.name, s]));
  /** One series per configured source, read from its stored state at each scrape (0 before any). */
  const perSource = (name: string, help: string, value: (s: StoredSourceState | undefined) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['source'] as const,
      registers,
      collect() {
        const states = byName();
        for (const source of deps.sources) this.set({ source }, value(states.get(source)));
      },
    });
  perSource(
    'roster_identity_source_last_success_timestamp_seconds',
    'When each identity source was last read and trusted (Unix seconds; 0 = never).',
    (s) => (s?.lastSuccessAt ? Date.parse(s.lastSuccessAt) / 1000 : 0),
  );
  perSource(
    'roster_identity_source_identities',
    'Identities in the last read of each identity source.',
    (s) => s?.lastRead ?? 0,
  );
  perSource(
    'roster_identity_source_unknown_statuses',
    'Identities in the last read of each source whose status the mapping does not recognise (unknown is not active).',
    (s) => s?.unknownCount ?? 0,
  );
  perSource(
    'roster_identity_source_failing',
    '1 while an identity source cannot be read or its read is held by the shrink guard.',
    (s) => (s?.failingSince ? 1 : 0),
  );
  new Gauge({
    name: 'roster_identity_findings_open',
    help: 'Open identity findings by kind.',
    labelNames: ['kind'] as const,
    registers,
    collect() {
      const counts = new Map(deps.openFindings().map((c) => [c.kind, c.open]));
      for (const kind of IDENTITY_FINDING_KINDS) this.set({ kind }, counts.get(kind) ?? 0);
    },
  });
  const runs = new Counter({
    name: 'roster_identity_sync_runs_total',
    help: 'Identity syncs recorded, by status (ok, failed, held).',
    labelNames: ['status'] as const,
    registers,
  });
  for (const status of ['ok', 'failed', 'held'] as const) runs.inc({ status }, 0);
  return { recordSync: (status) => runs.inc({ status }) };
}

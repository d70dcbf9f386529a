/** The identity part of `offboard-check`: what the identity sources last said about the user. */
import type { Config } from '../config/load-config.js';
import { describeIdentityFinding } from '../roster/identity-events.js';
import { usernameKey } from '../roster/types.js';
import type { Store } from '../store/db.js';
import { loadIdentitySourceStates, loadOpenIdentityFindingsFor } from '../store/identity.js';

export interface OffboardIdentityStatus {
  /** `not-configured`: no identity source; `unknown`: configured but never synced. */
  status: 'not-configured' | 'unknown' | 'ok' | 'findings';
  findings: { kind: string; firstSeen: string; message: string }[];
  /** When the identity sources were last read successfully (the oldest of them), or null. */
  syncedAt: string | null;
}

export function loadOffboardIdentityStatus(
  config: Config,
  store: Store,
  username: string,
  now: string,
): OffboardIdentityStatus {
  const id = config.identity;
  const configured = id.file !== null || id.ldap !== null || id.okta !== null || id.entra !== null;
  const states = loadIdentitySourceStates(store);
  const findings = loadOpenIdentityFindingsFor(store, usernameKey(username)).map((o) => ({
    kind: o.finding.kind,
    firstSeen: o.firstSeen,
    message: describeIdentityFinding(o.finding, now),
  }));
  const successes = states.map((s) => s.lastSuccessAt).filter((s): s is string => s !== null);
  const syncedAt = successes.length === 0 ? null : (successes.sort()[0] ?? null);
  if (findings.length > 0) return { status: 'findings', findings, syncedAt };
  if (!configured) return { status: 'not-configured', findings, syncedAt };
  return { status: syncedAt === null ? 'unknown' : 'ok', findings, syncedAt };
}

export function describeOffboardIdentity(s: OffboardIdentityStatus): string[] {
  switch (s.status) {
    case 'not-configured':
      return ['identity: no identity source is configured'];
    case 'unknown':
      return ['identity: not synced yet (run `roster-watch identity-sync`)'];
    case 'ok':
      return [`identity: no open identity findings (sources last read ${s.syncedAt})`];
    case 'findings':
      return [
        `identity (${s.findings.length} open finding${s.findings.length === 1 ? '' : 's'}):`,
        ...s.findings.map((f) => `  - ${f.kind}: ${f.message}`),
      ];
  }
}

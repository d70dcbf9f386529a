/** How `offboard-check` prints what the identity sources last said about the user. */
import type { OffboardIdentityStatus } from '../cycles/offboard-facts.js';
import { describeExemption } from '../roster/identity-events.js';

export function describeOffboardIdentity(s: OffboardIdentityStatus): string[] {
  switch (s.status) {
    case 'not-configured':
      return ['identity: no identity source is configured'];
    case 'unknown':
      return ['identity: not synced yet (run `roster-watch identity-sync`)'];
    case 'exempt':
      return s.exemption === null ? [] : [`identity: ${describeExemption(s.exemption)}`];
    case 'ok':
      return [`identity: no open identity findings (sources last read ${s.syncedAt})`];
    case 'findings':
      return [
        `identity (${s.findings.length} open finding${s.findings.length === 1 ? '' : 's'}):`,
        ...s.findings.map((f) => `  - ${f.kind}: ${f.message}`),
      ];
  }
}

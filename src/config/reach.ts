/**
 * REACH_EXEMPT: reachability findings that are not wanted, as `pattern=reason` entries separated
 * by commas or newlines. A pattern is a glob (`*` = any run of characters, case-insensitive) matched
 * against a username or a routing key, like the identity exemptions (IDENTITY_EXEMPT).
 */
import type { ConfigReader } from './reader.js';

export interface ReachExemption {
  pattern: string;
  reason: string;
}

export function readReachExemptions(r: ConfigReader): ReachExemption[] {
  const text = r.string('REACH_EXEMPT', '');
  const out: ReachExemption[] = [];
  for (const part of text.split(/[,\n]/)) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const pattern = eq < 0 ? '' : part.slice(0, eq).trim();
    const reason = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (pattern === '' || reason === '') {
      r.problems.push(
        `REACH_EXEMPT must be pattern=reason entries separated by commas or newlines (e.g. "svc-*=service account"), got "${part.trim()}"`,
      );
      return [];
    }
    out.push({ pattern, reason });
  }
  return out;
}

/**
 * Reachability exemptions: REACH_EXEMPT, `pattern=reason` pairs separated by commas or newlines. A
 * pattern is a routing key or a username, where `*` matches any run of characters
 * (case-insensitive), like IDENTITY_EXEMPT. An exempt routing key gets no reachability finding
 * (e.g. a key that only feeds a webhook on purpose), and the pages say why.
 */
import type { ConfigReader } from './reader.js';

export interface ReachExemption {
  /** A routing key or username; `*` matches any run of characters. */
  pattern: string;
  reason: string;
}

export interface ReachConfig {
  exemptions: ReachExemption[];
}

/** Parses REACH_EXEMPT's text; each malformed part is a problem naming it. */
export function parseReachExempt(text: string, problems: string[]): ReachExemption[] {
  const out: ReachExemption[] = [];
  for (const raw of text.split(/[,\n]/)) {
    const part = raw.trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    const pattern = eq < 0 ? '' : part.slice(0, eq).trim();
    const reason = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (pattern === '' || reason === '') {
      problems.push(
        `REACH_EXEMPT must be pattern=reason pairs separated by commas or newlines (e.g. "legacy-*=feeds a webhook only"), got "${part}"`,
      );
      continue;
    }
    out.push({ pattern, reason });
  }
  return out;
}

export function readReachConfig(r: ConfigReader): ReachConfig {
  return { exemptions: parseReachExempt(r.string('REACH_EXEMPT', ''), r.problems) };
}

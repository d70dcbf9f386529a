/** Durations as operators write them in configuration ("5m", "2h"), on the ground floor so config and every adapter share one grammar. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "0s,5s,5m,30m,2h" into milliseconds; returns a problem text when malformed. */
export function parseDurationList(text: string): number[] | string {
  const parts = text.split(',').map((p) => p.trim());
  const result: number[] = [];
  for (const part of parts) {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(part);
    if (!match) {
      return `must be comma-separated durations such as "0s,5s,5m,30m,2h" (units ms, s, m, h, d), got "${part}" in "${text}"`;
    }
    result.push(Math.round(Number(match[1]) * UNIT_MS[match[2]!]!));
  }
  if (result.length === 0) return 'must list at least one delay';
  return result;
}

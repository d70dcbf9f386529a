/**
 * The endpoint class of a request path: the path with its user, team and policy parts replaced by
 * placeholders (`/v2/team/team-abc/oncall/schedule?daysForward=14` →
 * `v2/team/{team}/oncall/schedule`). Used in shape errors and as a metric label, so it never
 * carries a username and has a small, fixed set of values.
 */
const CLASSES: readonly [RegExp, string][] = [
  [/^v1\/user\/[^/]+\/teams$/, 'v1/user/{user}/teams'],
  [/^v1\/user\/[^/]+\/contact-methods$/, 'v1/user/{user}/contact-methods'],
  [/^v2\/user\/[^/]+\/oncall\/schedule$/, 'v2/user/{user}/oncall/schedule'],
  [/^v1\/user\/[^/]+$/, 'v1/user/{user}'],
  [/^v1\/team\/[^/]+\/members$/, 'v1/team/{team}/members'],
  [/^v1\/team\/[^/]+$/, 'v1/team/{team}'],
  [/^v2\/team\/[^/]+\/oncall\/schedule$/, 'v2/team/{team}/oncall/schedule'],
  [/^v1\/policies\/[^/]+$/, 'v1/policies/{policy}'],
  [/^v1\/profile\/[^/]+\/policies$/, 'v1/profile/{user}/policies'],
];

/**
 * Endpoint classes VictorOps limits below the key's overall rate (victorops-api.md §2: the policy
 * list about once a minute, a user's paging policies once a second), in ms between two calls. The
 * policy list's interval is configured (POLICY_LIST_MIN_INTERVAL_MS) and passed in.
 */
export function endpointClassIntervalsMs(policyListMinIntervalMs: number): Record<string, number> {
  return { 'v1/policies': policyListMinIntervalMs, 'v1/profile/{user}/policies': 1_000 };
}

export const FIXED_ENDPOINTS = [
  'v1/user',
  'v2/user',
  'v1/team',
  'v1/policies',
  'v1/org/routing-keys',
] as const;

/** Every value `endpointClassOf` can return, so metric series can exist before the first error. */
export const ENDPOINT_CLASSES: readonly string[] = [
  ...FIXED_ENDPOINTS,
  ...CLASSES.map(([, name]) => name),
  'other',
];

export function endpointClassOf(path: string): string {
  const bare = (path.split('?')[0] ?? '').replace(/^\/+|\/+$/g, '');
  if ((FIXED_ENDPOINTS as readonly string[]).includes(bare)) return bare;
  for (const [pattern, name] of CLASSES) if (pattern.test(bare)) return name;
  return 'other';
}

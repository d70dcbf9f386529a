/**
 * One findings model for the web view: coverage findings (`findings`) and identity findings
 * (`identity_findings`) read as one list, so the findings page, the overview and the user and team
 * pages show every kind. They live in two tables because a policy poll resolves every open
 * coverage finding it no longer computes (see schema.ts); a later family of findings adds one
 * more `SELECT` to FAMILIES and appears on every page.
 *
 * Raw SQL: a UNION ALL over the tables with a row-value keyset cursor, which the query builder has
 * no form for. Findings are few (hundreds, at most a few thousand open identity ones), and every
 * branch filters through the (kind, resolved_at) or (username_key, resolved_at) index.
 */
import type { Store } from './db.js';
import { lastSeenRunId, withSeenRuns } from './findings.js';

export type FindingFamily = 'coverage' | 'identity';

export interface FindingRow {
  family: FindingFamily;
  id: number;
  kind: string;
  key: string;
  data: string;
  firstSeen: string;
  resolvedAt: string | null;
  firstRunId: number;
  lastRunId: number;
}

/** Where the next page of findings starts: the last row shown (newest first). */
export interface FindingCursor {
  firstSeen: string;
  family: FindingFamily;
  id: number;
}

const FAMILIES: { family: FindingFamily; table: string }[] = [
  { family: 'coverage', table: 'findings' },
  { family: 'identity', table: 'identity_findings' },
];

const COLUMNS = `id, kind, key, data, first_seen AS firstSeen, resolved_at AS resolvedAt,
  first_run_id AS firstRunId, last_run_id AS lastRunId`;

const STATE = {
  open: 'resolved_at IS NULL',
  resolved: 'resolved_at IS NOT NULL',
  all: '1',
} as const;

/** `identity.*` kinds live in identity_findings; every other kind in findings. */
export const familyOfKind = (kind: string): FindingFamily =>
  kind.startsWith('identity.') ? 'identity' : 'coverage';

/**
 * A finding's last_run_id as every reader sees it: an open one's is the last run that saw it,
 * which an unchanged finding's row no longer records (findings.ts, identity.ts).
 */
function withLastSeenRun(store: Store, read: () => FindingRow[]): FindingRow[] {
  return withSeenRuns(store, (seen) => {
    const rows = read();
    for (const r of rows) r.lastRunId = lastSeenRunId(r, seen);
    return rows;
  });
}

export function loadOpenFindingCounts(store: Store): { kind: string; open: number }[] {
  const parts = FAMILIES.map(
    (f) => `SELECT kind, COUNT(*) AS open FROM ${f.table} WHERE resolved_at IS NULL GROUP BY kind`,
  );
  return store.sqlite.prepare(`${parts.join(' UNION ALL ')} ORDER BY kind`).all() as {
    kind: string;
    open: number;
  }[];
}

/** Findings of every family, newest first (first seen, then family, then id), after `before`. */
export function loadFindingsPage(
  store: Store,
  options: {
    state: 'open' | 'resolved' | 'all';
    kind?: string | undefined;
    before?: FindingCursor | undefined;
    limit: number;
  },
): FindingRow[] {
  const families =
    options.kind === undefined
      ? FAMILIES
      : FAMILIES.filter((f) => f.family === familyOfKind(options.kind as string));
  const args: unknown[] = [];
  const parts = families.map((f) => {
    const where: string[] = [STATE[options.state]];
    if (options.kind !== undefined) {
      where.push('kind = ?');
      args.push(options.kind);
    }
    return `SELECT '${f.family}' AS family, ${COLUMNS} FROM ${f.table} WHERE ${where.join(' AND ')}`;
  });
  let cursor = '';
  if (options.before !== undefined) {
    cursor = 'WHERE (firstSeen, family, id) < (?, ?, ?)';
    args.push(options.before.firstSeen, options.before.family, options.before.id);
  }
  args.push(options.limit);
  return withLastSeenRun(
    store,
    () =>
      store.sqlite
        .prepare(
          `SELECT * FROM (${parts.join(' UNION ALL ')}) ${cursor}
       ORDER BY firstSeen DESC, family DESC, id DESC LIMIT ?`,
        )
        .all(...args) as FindingRow[],
  );
}

/**
 * Open findings that name this user (coverage findings by their data, identity findings by their
 * username key), this team (coverage findings by their team, identity findings by the teams the
 * user is still on) or this policy (coverage findings by their policy, identity findings by the
 * policies that still page the user).
 */
export function loadOpenFindingsAbout(
  store: Store,
  about: { username?: string | undefined; teamSlug?: string | undefined; policySlug?: string | undefined },
): FindingRow[] {
  return withLastSeenRun(
    store,
    () =>
      store.sqlite
        .prepare(
          `SELECT * FROM (
         SELECT 'coverage' AS family, ${COLUMNS} FROM findings
         WHERE resolved_at IS NULL
           AND (lower(json_extract(data, '$.username')) = @user OR json_extract(data, '$.team.slug') = @team
                OR json_extract(data, '$.policy.slug') = @policy
                OR (@policy IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(data, '$.policies') p
                                                    WHERE json_extract(p.value, '$.slug') = @policy)))
         UNION ALL
         SELECT 'identity' AS family, ${COLUMNS} FROM identity_findings
         WHERE resolved_at IS NULL AND username_key = @user
         UNION ALL
         SELECT 'identity' AS family, ${COLUMNS} FROM identity_findings
         WHERE (@team IS NOT NULL OR @policy IS NOT NULL) AND resolved_at IS NULL
           AND (EXISTS (SELECT 1 FROM json_each(data, '$.exposure.teams') t
                        WHERE json_extract(t.value, '$.slug') = @team)
                OR EXISTS (SELECT 1 FROM json_each(data, '$.exposure.policies') p
                           WHERE json_extract(p.value, '$.slug') = @policy))
       ) ORDER BY firstSeen DESC, family DESC, id DESC LIMIT 200`,
        )
        .all({
          user: about.username?.toLowerCase() ?? null,
          team: about.teamSlug ?? null,
          policy: about.policySlug ?? null,
        }) as FindingRow[],
  );
}

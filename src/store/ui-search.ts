/**
 * The web view's search: users, teams and policies by any part of their text (username, first,
 * last and display name, email; a team's or policy's name and slug), case- and
 * accent-insensitive, through the FTS5 trigram index that migration 0010 keeps current with
 * triggers on the history tables.
 *
 * Raw SQL: FTS5 MATCH and its rank have no form in the query builder. Every statement is an index
 * lookup: the trigram index for three characters or more, the (kind, key) index for a shorter
 * prefix. Figures: docs/benchmarks.md (`node dist/bench/run.js ui`).
 */
import type { Store } from './db.js';

export type SearchKind = 'user' | 'team' | 'policy';

export interface SearchHit {
  kind: SearchKind;
  /** The username as last spelled, or the slug. */
  ref: string;
  /** "First Last" for a user (may be empty), the team's or policy's name. */
  name: string;
  /** A user's email; a policy's team slug. */
  detail: string | null;
}

/**
 * Ranking reads every match, so only the first this many (in index order) are ranked: a term
 * that every user matches ("last", "example") costs 500 rank computations, not 20,000.
 */
const RANKED_CANDIDATES = 500;

/** Trigrams: shorter terms cannot be looked up in the index. */
export const SEARCH_MIN_TERM = 3;

/** A term as an FTS5 string (double quotes doubled), so no character of it is query syntax. */
const quoted = (term: string): string => `"${term.replace(/"/g, '""')}"`;

/**
 * Entities whose text contains every term of `query` (terms are split on white space), best
 * match first. Terms shorter than three characters are ignored when a longer one is given; a
 * query made only of short terms matches usernames and slugs that start with it.
 */
export function searchEntities(store: Store, query: string, limit: number): SearchHit[] {
  const terms = query
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '');
  const long = terms.filter((t) => [...t].length >= SEARCH_MIN_TERM);
  if (long.length > 0) {
    return store.sqlite
      .prepare(
        `SELECT e.kind, e.ref, e.name, e.detail FROM (
           SELECT rowid, rank FROM search_text WHERE search_text MATCH ? LIMIT ?
         ) m JOIN search_entities e ON e.id = m.rowid ORDER BY m.rank LIMIT ?`,
      )
      .all(long.map(quoted).join(' AND '), RANKED_CANDIDATES, limit) as SearchHit[];
  }
  const prefix = terms.join(' ').toLowerCase();
  if (prefix === '') return [];
  const hits: SearchHit[] = [];
  const byPrefix = store.sqlite.prepare(
    `SELECT kind, ref, name, detail FROM search_entities
     WHERE kind = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?`,
  );
  for (const kind of ['user', 'team', 'policy'] as const) {
    hits.push(...(byPrefix.all(kind, prefix, `${prefix}\uffff`, limit - hits.length) as SearchHit[]));
    if (hits.length >= limit) break;
  }
  return hits;
}

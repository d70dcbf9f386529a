/** `/ui/search?q=`: users, teams and policies by any part of their names, usernames, slugs or emails. */
import { SEARCH_MIN_TERM, type SearchHit, searchEntities } from '../../store/ui-search.js';
import { type Page, text } from '../model.js';
import { type PageContext, param, policyCell, teamCell, userCell } from './context.js';

const SEARCH_HITS = 60;

export function buildSearchPage(ctx: PageContext): Page {
  const q = param(ctx, 'q') ?? '';
  const hits = q === '' ? [] : searchEntities(ctx.store, q, ctx.csv ? 1_000 : SEARCH_HITS);
  const of = (kind: SearchHit['kind']) => hits.filter((h) => h.kind === kind);
  const short = q !== '' && [...q.replace(/\s+/g, '')].length < SEARCH_MIN_TERM;
  return {
    title: q === '' ? 'Search' : `Search: ${q}`,
    nav: 'none',
    heading: q === '' ? 'Search' : `Search for “${q}”`,
    subtitle:
      q === ''
        ? 'Type any part of a name, username, email, team or policy in the box above.'
        : short
          ? `Shorter than ${SEARCH_MIN_TERM} characters: only usernames and slugs that start with it.`
          : `${hits.length === SEARCH_HITS ? `The best ${SEARCH_HITS}` : hits.length} ${hits.length === 1 ? 'match' : 'matches'}, best first. Case and accents do not matter.`,
    query: q,
    blocks: [
      {
        kind: 'table',
        id: 'users',
        caption: 'People',
        columns: ['Name', 'Username', 'Email'],
        rows: of('user').map((h) => [
          userCell(ctx, h.ref, h.name === '' ? undefined : h.name),
          text(h.ref),
          text(h.detail ?? ''),
        ]),
        empty: 'No user matches.',
      },
      {
        kind: 'table',
        id: 'teams',
        caption: 'Teams',
        columns: ['Team', 'Slug'],
        rows: of('team').map((h) => [teamCell(ctx, h.ref, h.name), text(h.ref)]),
        empty: 'No team matches.',
      },
      {
        kind: 'table',
        id: 'policies',
        caption: 'Escalation policies',
        columns: ['Policy', 'Slug', 'Team'],
        rows: of('policy').map((h) => [
          policyCell(ctx, h.ref, h.name),
          text(h.ref),
          h.detail === null ? text('') : teamCell(ctx, h.detail),
        ]),
        empty: 'No policy matches.',
      },
    ],
  };
}

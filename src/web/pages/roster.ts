/**
 * `/ui/roster?at=ISO`: the whole roster at an instant (paged by username) and what changed
 * between then and now: every count by kind, and the changes a page at a time (`diff`,
 * `diff_after`, `diff_team`: a keyset cursor). Computed in SQL (store/ui-roster.ts): a page reads
 * the rows it shows and index entries of what changed since, never two whole rosters nor the whole
 * diff.
 */

import { PageError } from '../../errors.js';
import { loadTeamNames } from '../../store/ui-entities.js';
import { loadHistoryBounds } from '../../store/ui-reads.js';
import {
  CHANGE_KINDS,
  type ChangeCursor,
  type ChangeKind,
  COUNT_OF,
  countsThen,
  loadRosterChangeSummary,
  loadRosterChanges,
  loadRosterUsersAt,
  loadTeamsAt,
  type RosterChange,
} from '../../store/ui-roster.js';
import { type Cell, type Page, text } from '../model.js';
import { formatLocal } from '../time.js';
import { atPicker, CSV_ROWS, hrefWith, type PageContext, param, teamCell, userCell } from './context.js';

/** Rows per HTML page of the roster and of the diff; a CSV download has up to CSV_ROWS. */
const ROSTER_ROWS = 200;
const DIFF_ROWS = 200;

/** How each kind reads in the diff table and in its count. */
const KIND_LABELS: Readonly<Record<ChangeKind, { row: string; count: string }>> = {
  'user-added': { row: 'user added', count: 'Users added' },
  'user-removed': { row: 'user removed', count: 'Users removed' },
  'user-changed': { row: 'user changed', count: 'Users changed' },
  'team-added': { row: 'team added', count: 'Teams added' },
  'team-removed': { row: 'team removed', count: 'Teams removed' },
  'team-renamed': { row: 'team renamed', count: 'Teams renamed' },
  'membership-added': { row: 'joined team', count: 'Memberships added' },
  'membership-removed': { row: 'left team', count: 'Memberships removed' },
};

/**
 * The diff's cursor: `diff` names the kind the page starts at, `diff_after` (and `diff_team` for
 * a membership) the last entry of the previous page. Read unchanged (not trimmed): they are keys.
 */
function diffCursor(ctx: PageContext): ChangeCursor | undefined {
  const kind = param(ctx, 'diff');
  const key = ctx.url.searchParams.get('diff_after') ?? undefined;
  const team = ctx.url.searchParams.get('diff_team') ?? undefined;
  if (kind === undefined) {
    if (key !== undefined || team !== undefined)
      throw new PageError(400, 'diff_after and diff_team need diff (the kind of change they continue)');
    return undefined;
  }
  if (!(CHANGE_KINDS as readonly string[]).includes(kind))
    throw new PageError(400, `diff must be one of ${CHANGE_KINDS.join(', ')}, got "${kind}"`);
  const membership = kind === 'membership-added' || kind === 'membership-removed';
  if (team !== undefined && !membership)
    throw new PageError(400, `diff_team continues a membership change only, not ${kind}`);
  if (membership && (key === undefined) !== (team === undefined))
    throw new PageError(
      400,
      'a membership cursor needs both diff_after (username) and diff_team (team slug)',
    );
  return { kind: kind as ChangeKind, key, team };
}

/** One change as a table row. */
function changeRow(
  ctx: PageContext,
  c: RosterChange,
  teamName: (slug: string) => string | undefined,
): Cell[] {
  const label = text(KIND_LABELS[c.kind].row);
  switch (c.kind) {
    case 'user-added':
    case 'user-removed':
      return [label, userCell(ctx, c.user.username), text(c.user.email ?? '')];
    case 'user-changed': {
      const detail = c.changes
        .map((f) => `${f.field}: ${JSON.stringify(f.before)} → ${JSON.stringify(f.after)}`)
        .join('; ');
      return [label, userCell(ctx, c.after.username), text(detail)];
    }
    case 'team-added':
    case 'team-removed':
      return [label, teamCell(ctx, c.slug, c.name), text('')];
    case 'team-renamed':
      return [label, teamCell(ctx, c.slug, c.after), text(`was ${c.before}`)];
    case 'membership-added':
    case 'membership-removed':
      return [label, userCell(ctx, c.username), teamCell(ctx, c.teamSlug, teamName(c.teamSlug))];
  }
}

export function buildRosterPage(ctx: PageContext): Page {
  const { atIso: at, field: picker } = atPicker(ctx, 'As of');
  const after = param(ctx, 'after');
  const limit = ctx.csv ? CSV_ROWS : ROSTER_ROWS;
  const users = loadRosterUsersAt(ctx.store, at, { afterKey: after?.toLowerCase(), limit: limit + 1 });
  const shown = users.slice(0, limit);
  const last = shown[shown.length - 1];
  const diffLimit = ctx.csv ? CSV_ROWS : DIFF_ROWS;
  const from = diffCursor(ctx);
  // The counts come from aggregates and the entries a page at a time: a page never reads or
  // renders the whole diff, however much changed since (tens of thousands of rows six months back).
  const summary = loadRosterChangeSummary(ctx.store, at);
  const page = loadRosterChanges(ctx.store, at, summary, { from, limit: diffLimit });
  const teams = loadTeamsAt(ctx.store, at, summary.memberDelta);
  const teamNames = new Map(teams.map((t) => [t.slug, t.name]));
  const now = summary.now;
  const then = countsThen(now, summary.counts);
  // Teams that exist now but not then (joined since) are named from their latest record.
  const later = loadTeamNames(
    ctx.store,
    page.entries
      .flatMap((c) => (c.kind === 'membership-added' || c.kind === 'membership-removed' ? [c.teamSlug] : []))
      .filter((slug) => !teamNames.has(slug)),
  );
  const rows = page.entries.map((c) => changeRow(ctx, c, (slug) => teamNames.get(slug) ?? later.get(slug)));
  const total = Object.values(summary.counts).reduce((sum, n) => sum + n, 0);
  const listing = (cursor: ChangeCursor) =>
    `${hrefWith(`${ctx.base}/roster`, { at, diff: cursor.kind, diff_after: cursor.key, diff_team: cursor.team })}#t-diff`;
  const bounds = loadHistoryBounds(ctx.store);
  // The moment as the viewer reads it, in the view's zone; the picker holds it to the second.
  const when = `${formatLocal(at, ctx.zone, ctx.now)} (${ctx.zone})`;
  return {
    title: `Roster at ${when}`,
    nav: 'roster',
    heading: `Roster as of ${when}`,
    subtitle:
      bounds.first === null
        ? 'Nothing is recorded yet.'
        : `Recorded from ${formatLocal(bounds.first, ctx.zone, ctx.now)} to ${formatLocal(bounds.last ?? bounds.first, ctx.zone, ctx.now)}. Before the first run the roster is empty.`,
    blocks: [
      {
        kind: 'form',
        caption: 'Moment',
        action: `${ctx.base}/roster`,
        submit: 'Show the roster',
        fields: [picker],
      },
      {
        kind: 'facts',
        caption: 'Then and now',
        items: [
          { label: 'Users', value: text(`${then.users} then, ${now.users} now`) },
          { label: 'Teams', value: text(`${then.teams} then, ${now.teams} now`) },
          { label: 'Memberships', value: text(`${then.memberships} then, ${now.memberships} now`) },
          {
            label: 'Changes since',
            value: text(total, hrefWith(`${ctx.base}/timeline`, { since: at })),
          },
        ],
      },
      {
        kind: 'facts',
        caption: 'Changes by kind',
        // Each count links to its kind's entries (the diff from that kind on).
        items: CHANGE_KINDS.map((kind) => {
          const count = summary.counts[COUNT_OF[kind]];
          return {
            label: KIND_LABELS[kind].count,
            value: count === 0 ? text(0) : text(count, listing({ kind })),
          };
        }),
      },
      {
        kind: 'table',
        id: 'diff',
        caption:
          from === undefined && page.next === undefined
            ? `What changed between ${when} and now`
            : `What changed between ${when} and now (${total} in all, ${diffLimit} a page${from === undefined ? '' : `, from the ${KIND_LABELS[from.kind].count.toLowerCase()}${from.key === undefined ? '' : ` after ${from.key}${from.team === undefined ? '' : ` in ${from.team}`}`}`})`,
        columns: ['Change', 'Who', 'Detail'],
        rows,
        empty: from === undefined ? 'Nothing changed since.' : 'No more changes.',
        nextHref: page.next === undefined ? undefined : listing(page.next),
        nextLabel: `Next ${diffLimit} →`,
      },
      {
        kind: 'table',
        id: 'users',
        caption: `Users at ${when}`,
        columns: ['User', 'Name', 'Email', 'Teams'],
        rows: shown.map((u) => [
          userCell(ctx, u.username),
          text([u.firstName, u.lastName].filter((p) => p !== null && p !== '').join(' ')),
          text(u.email ?? ''),
          text(u.teams.map((slug) => teamNames.get(slug) ?? slug).join(', ')),
        ]),
        empty: 'No user was recorded at that moment.',
        nextHref:
          users.length > limit && last !== undefined
            ? hrefWith(`${ctx.base}/roster`, { at, after: last.username })
            : undefined,
      },
      {
        kind: 'table',
        id: 'teams',
        caption: `Teams at ${when}`,
        columns: ['Team', 'Members then'],
        rows: teams.map((t) => [teamCell(ctx, t.slug, t.name), text(t.members)]),
        empty: 'No team was recorded at that moment.',
      },
    ],
  };
}

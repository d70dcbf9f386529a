/**
 * `/ui/roster?at=ISO`: the whole roster at an instant (paged by username) and what changed
 * between then and now. Computed in SQL (store/ui-roster.ts): a page reads the rows it shows and
 * the rows that changed since, never two whole rosters.
 */

import type { Membership, Team, User } from '../../roster/types.js';
import type { Store } from '../../store/db.js';
import { loadTeamNames } from '../../store/ui-entities.js';
import { loadHistoryBounds, loadHistoryVersion } from '../../store/ui-reads.js';
import {
  countRosterNow,
  countsThen,
  loadRosterChangesSince,
  loadRosterUsersAt,
  loadTeamsAt,
  type RosterChangesSince,
} from '../../store/ui-roster.js';
import { type Cell, type Page, text } from '../model.js';
import { formatLocal } from '../time.js';
import { atPicker, CSV_ROWS, hrefWith, type PageContext, param, teamCell, userCell } from './context.js';

/** Rows per HTML page of the roster and of the diff; a CSV download has up to CSV_ROWS. */
const ROSTER_ROWS = 200;
const DIFF_ROWS = 200;

type RosterDiffResult = ReturnType<typeof loadRosterChangesSince>;

const DIFF_CACHE_ENTRIES = 16;
const diffCaches = new WeakMap<Store, Map<string, RosterDiffResult>>();

/**
 * The diff to now, remembered per (instant, rows, history version): paging through the roster at
 * one instant, or reopening a permalink, must not classify tens of thousands of changed rows again
 * each time. A new run or event changes the version, so a stale diff is never shown.
 */
function loadDiffRemembered(store: Store, at: string, limit: number): RosterDiffResult {
  let cache = diffCaches.get(store);
  if (cache === undefined) {
    cache = new Map();
    diffCaches.set(store, cache);
  }
  const key = `${at}|${limit}|${loadHistoryVersion(store)}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Most recently used last, so the oldest entry is the first one dropped.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const diff = loadRosterChangesSince(store, at, limit);
  cache.set(key, diff);
  if (cache.size > DIFF_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
  return diff;
}

/** The diff as table rows (the first `limit` of them) and how many changes there are in all. */
function changeRows(
  diff: ReturnType<typeof loadRosterChangesSince>,
  ctx: PageContext,
  limit: number,
  teamName: (slug: string) => string | undefined,
): { rows: Cell[][]; total: number } {
  const change = (kind: string, subject: Cell, detail: string | Cell): Cell[] => [
    text(kind),
    subject,
    typeof detail === 'string' ? text(detail) : detail,
  ];
  // Each group renders lazily, so a diff of tens of thousands of rows builds only the rows shown.
  const c = diff.counts;
  const total = Object.values(c).reduce((sum, n) => sum + n, 0);
  const groups: [number, (i: number) => Cell[]][] = [
    [
      diff.usersAdded.length,
      (i) => {
        const u = diff.usersAdded[i] as User;
        return change('user added', userCell(ctx, u.username), u.email ?? '');
      },
    ],
    [
      diff.usersRemoved.length,
      (i) => {
        const u = diff.usersRemoved[i] as User;
        return change('user removed', userCell(ctx, u.username), u.email ?? '');
      },
    ],
    [
      diff.usersChanged.length,
      (i) => {
        const c = diff.usersChanged[i] as RosterChangesSince['usersChanged'][number];
        const detail = c.changes
          .map((f) => `${f.field}: ${JSON.stringify(f.before)} → ${JSON.stringify(f.after)}`)
          .join('; ');
        return change('user changed', userCell(ctx, c.after.username), detail);
      },
    ],
    [
      diff.teamsAdded.length,
      (i) => {
        const t = diff.teamsAdded[i] as Team;
        return change('team added', teamCell(ctx, t.slug, t.name), '');
      },
    ],
    [
      diff.teamsRemoved.length,
      (i) => {
        const t = diff.teamsRemoved[i] as Team;
        return change('team removed', teamCell(ctx, t.slug, t.name), '');
      },
    ],
    [
      diff.teamsRenamed.length,
      (i) => {
        const t = diff.teamsRenamed[i] as RosterChangesSince['teamsRenamed'][number];
        return change('team renamed', teamCell(ctx, t.slug, t.after), `was ${t.before}`);
      },
    ],
    [
      diff.membershipsAdded.length,
      (i) => {
        const m = diff.membershipsAdded[i] as Membership;
        return change(
          'joined team',
          userCell(ctx, m.username),
          teamCell(ctx, m.teamSlug, teamName(m.teamSlug)),
        );
      },
    ],
    [
      diff.membershipsRemoved.length,
      (i) => {
        const m = diff.membershipsRemoved[i] as Membership;
        return change(
          'left team',
          userCell(ctx, m.username),
          teamCell(ctx, m.teamSlug, teamName(m.teamSlug)),
        );
      },
    ],
  ];
  const rows: Cell[][] = [];
  for (const [count, render] of groups) {
    for (let i = 0; i < count && rows.length < limit; i++) rows.push(render(i));
  }
  return { rows, total };
}

export function buildRosterPage(ctx: PageContext): Page {
  const { atIso: at, field: picker } = atPicker(ctx, 'As of');
  const after = param(ctx, 'after');
  const limit = ctx.csv ? CSV_ROWS : ROSTER_ROWS;
  const users = loadRosterUsersAt(ctx.store, at, { afterKey: after?.toLowerCase(), limit: limit + 1 });
  const shown = users.slice(0, limit);
  const last = shown[shown.length - 1];
  const diffLimit = ctx.csv ? CSV_ROWS : DIFF_ROWS;
  const diff = loadDiffRemembered(ctx.store, at, diffLimit);
  const teams = loadTeamsAt(ctx.store, at, diff.memberDelta);
  const teamNames = new Map(teams.map((t) => [t.slug, t.name]));
  const now = countRosterNow(ctx.store);
  const then = countsThen(now, diff.counts);
  // Teams that exist now but not then (joined since) are named from their latest record.
  const later = loadTeamNames(
    ctx.store,
    [...diff.membershipsAdded, ...diff.membershipsRemoved]
      .slice(0, diffLimit)
      .map((m) => m.teamSlug)
      .filter((slug) => !teamNames.has(slug)),
  );
  const changes = changeRows(diff, ctx, diffLimit, (slug) => teamNames.get(slug) ?? later.get(slug));
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
            value: text(changes.total, hrefWith(`${ctx.base}/timeline`, { since: at })),
          },
        ],
      },
      {
        kind: 'table',
        id: 'diff',
        caption:
          changes.total > changes.rows.length
            ? `What changed between ${when} and now (the first ${changes.rows.length} of ${changes.total}; the CSV has up to ${CSV_ROWS})`
            : `What changed between ${when} and now`,
        columns: ['Change', 'Who', 'Detail'],
        rows: changes.rows,
        empty: 'Nothing changed since.',
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

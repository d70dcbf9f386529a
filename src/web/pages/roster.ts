/** `/ui/roster?at=ISO`: the whole roster at an instant, and what changed between then and now. */
import { diffRosters } from '../../roster/diff.js';
import { rosterToJson } from '../../roster/roster-json.js';
import { loadCurrentRoster, loadRosterAt } from '../../store/history.js';
import { loadHistoryBounds } from '../../store/ui-reads.js';
import { type Cell, type Page, text } from '../model.js';
import {
  hrefWith,
  instantParam,
  type PageContext,
  param,
  pickerValue,
  teamCell,
  userCell,
} from './context.js';

/** Rows per HTML page of the roster; the CSV has them all. */
const ROSTER_ROWS = 500;
const DIFF_ROWS = 500;

export function buildRosterPage(ctx: PageContext): Page {
  const at = instantParam(ctx, 'at') ?? ctx.now.toISOString();
  const after = param(ctx, 'after');
  const then = loadRosterAt(ctx.store, at);
  const now = loadCurrentRoster(ctx.store) ?? { users: [], teams: [], memberships: [] };
  const json = rosterToJson(then, at);
  const teamNames = new Map(then.teams.map((t) => [t.slug, t.name]));
  const afterKey = after?.toLowerCase();
  const listed = json.users.filter((u) => afterKey === undefined || u.username.toLowerCase() > afterKey);
  const shown = ctx.csv ? listed : listed.slice(0, ROSTER_ROWS);
  const last = shown[shown.length - 1];
  const diff = diffRosters(then, now);
  const cap = <T>(rows: T[]): T[] => (ctx.csv ? rows : rows.slice(0, DIFF_ROWS));
  const change = (kind: string, subject: Cell, detail: string): Cell[] => [text(kind), subject, text(detail)];
  const changes: Cell[][] = [
    ...diff.usersAdded.map((u) => change('user added', userCell(ctx, u.username), u.email ?? '')),
    ...diff.usersRemoved.map((u) => change('user removed', userCell(ctx, u.username), u.email ?? '')),
    ...diff.usersChanged.map((c) =>
      change(
        'user changed',
        userCell(ctx, c.after.username),
        c.changes
          .map((f) => `${f.field}: ${JSON.stringify(f.before)} → ${JSON.stringify(f.after)}`)
          .join('; '),
      ),
    ),
    ...diff.teamsAdded.map((t) => change('team added', teamCell(ctx, t.slug, t.name), '')),
    ...diff.teamsRemoved.map((t) => change('team removed', teamCell(ctx, t.slug, t.name), '')),
    ...diff.teamsChanged.map((c) =>
      change('team renamed', teamCell(ctx, c.after.slug, c.after.name), `was ${c.before.name}`),
    ),
    ...diff.membershipsAdded.map((m) => change('joined team', userCell(ctx, m.username), m.teamSlug)),
    ...diff.membershipsRemoved.map((m) => change('left team', userCell(ctx, m.username), m.teamSlug)),
  ];
  const bounds = loadHistoryBounds(ctx.store);
  return {
    title: `Roster at ${at}`,
    nav: 'roster',
    heading: `Roster as of ${at}`,
    subtitle:
      bounds.first === null
        ? 'Nothing is recorded yet.'
        : `Recorded from ${bounds.first} to ${bounds.last}. Before the first run the roster is empty.`,
    blocks: [
      {
        kind: 'form',
        caption: 'Moment',
        action: `${ctx.base}/roster`,
        submit: 'Show the roster',
        fields: [
          { kind: 'input', type: 'datetime-local', name: 'at', label: 'As of (UTC)', value: pickerValue(at) },
        ],
      },
      {
        kind: 'facts',
        caption: 'Then and now',
        items: [
          { label: 'Users', value: text(`${then.users.length} then, ${now.users.length} now`) },
          { label: 'Teams', value: text(`${then.teams.length} then, ${now.teams.length} now`) },
          {
            label: 'Memberships',
            value: text(`${then.memberships.length} then, ${now.memberships.length} now`),
          },
          {
            label: 'Changes since',
            value: text(changes.length, hrefWith(`${ctx.base}/timeline`, { since: at })),
          },
        ],
      },
      {
        kind: 'table',
        id: 'diff',
        caption: `What changed between ${at} and now`,
        columns: ['Change', 'Who', 'Detail'],
        rows: cap(changes),
        empty: 'Nothing changed since.',
      },
      {
        kind: 'table',
        id: 'users',
        caption: `Users at ${at}`,
        columns: ['User', 'Name', 'Email', 'Teams'],
        rows: shown.map((u) => [
          userCell(ctx, u.username),
          text([u.firstName, u.lastName].filter((p) => p !== null && p !== '').join(' ')),
          text(u.email ?? ''),
          text(u.teams.map((slug) => teamNames.get(slug) ?? slug).join(', ')),
        ]),
        empty: 'No user was recorded at that moment.',
        nextHref:
          !ctx.csv && listed.length > shown.length && last !== undefined
            ? hrefWith(`${ctx.base}/roster`, { at, after: last.username })
            : undefined,
      },
      {
        kind: 'table',
        id: 'teams',
        caption: `Teams at ${at}`,
        columns: ['Team', 'Members'],
        rows: then.teams.map((t) => [
          teamCell(ctx, t.slug, t.name),
          text(then.memberships.filter((m) => m.teamSlug === t.slug).length),
        ]),
        empty: 'No team was recorded at that moment.',
      },
    ],
  };
}

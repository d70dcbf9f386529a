/** `/ui/timeline`: every event newest first, filtered, keyset-paginated; and the same query as CLI and SQL. */
import { resolveTeamSlug } from '../../store/ui-entities.js';
import { loadEventTypes, loadTimeline, type TimelineQuery } from '../../store/ui-timeline.js';
import type { Page } from '../model.js';
import {
  hrefWith,
  instantParam,
  intParam,
  type PageContext,
  param,
  pickerValue,
  rowsFor,
} from './context.js';
import { EVENT_COLUMNS, eventRow } from './events.js';
import { describeAsCli, describeAsSql, type TimelineFilters } from './timeline-query.js';

/** The team filter takes a slug or a team's name; the query (and its CLI and SQL forms) use the slug. */
function teamFilter(ctx: PageContext): string | undefined {
  const value = param(ctx, 'team');
  return value === undefined ? undefined : resolveTeamSlug(ctx.store, value);
}

export function readTimelineFilters(ctx: PageContext): TimelineFilters {
  return {
    type: param(ctx, 'type'),
    user: param(ctx, 'user'),
    team: teamFilter(ctx),
    since: instantParam(ctx, 'since'),
    until: instantParam(ctx, 'until'),
  };
}

/** Type families (`victorops.user.*`) and the exact types, from what the history holds. */
function typeOptions(types: readonly string[]): { value: string; label: string }[] {
  const families = [...new Set(types.map((t) => `${t.slice(0, t.lastIndexOf('.'))}.*`))].sort();
  return [
    { value: '', label: 'every type' },
    ...families.map((f) => ({ value: f, label: f })),
    ...types.map((t) => ({ value: t, label: t })),
  ];
}

export function buildTimelinePage(ctx: PageContext): Page {
  const filters = readTimelineFilters(ctx);
  const limit = rowsFor(ctx);
  const query: TimelineQuery = { ...filters, before: intParam(ctx, 'before'), limit: limit + 1 };
  const events = loadTimeline(ctx.store, query);
  const shown = events.slice(0, limit);
  const last = shown[shown.length - 1];
  const path = `${ctx.base}/timeline`;
  const params = { ...filters, since: filters.since, until: filters.until };
  const types = loadEventTypes(ctx.store);
  if (filters.type !== undefined && !filters.type.endsWith('*') && !types.includes(filters.type))
    types.push(filters.type);
  return {
    title: 'Timeline',
    nav: 'timeline',
    heading: 'Timeline',
    subtitle: 'Every recorded event, newest first. Expand a row for its CloudEvent as delivered.',
    blocks: [
      {
        kind: 'form',
        caption: 'Filter',
        action: path,
        submit: 'Show events',
        fields: [
          {
            kind: 'select',
            name: 'type',
            label: 'Type',
            value: filters.type ?? '',
            options: typeOptions(types),
          },
          {
            kind: 'input',
            type: 'text',
            name: 'user',
            label: 'User',
            value: filters.user ?? '',
            hint: 'username',
          },
          {
            kind: 'input',
            type: 'text',
            name: 'team',
            label: 'Team',
            value: filters.team ?? '',
            hint: 'team name or slug',
          },
          {
            kind: 'input',
            type: 'datetime-local',
            name: 'since',
            label: `From (${ctx.zone})`,
            value: pickerValue(ctx, filters.since),
          },
          {
            kind: 'input',
            type: 'datetime-local',
            name: 'until',
            label: `Until (${ctx.zone}, exclusive)`,
            value: pickerValue(ctx, filters.until),
          },
        ],
      },
      {
        kind: 'text',
        lines: [
          {
            text: 'The same query with the history command and in SQL',
            href: hrefWith(`${path}/query`, params),
          },
        ],
      },
      {
        kind: 'table',
        id: 'events',
        caption: 'Events',
        columns: EVENT_COLUMNS,
        rows: shown.map((e) => eventRow(ctx, e)),
        empty: 'No event matches these filters.',
        nextHref:
          events.length > limit && last !== undefined
            ? hrefWith(path, { ...params, before: last.sequence })
            : undefined,
      },
    ],
  };
}

export function buildTimelineQueryPage(ctx: PageContext): Page {
  const filters = readTimelineFilters(ctx);
  return {
    title: 'Timeline query',
    nav: 'timeline',
    heading: 'The same query, elsewhere',
    subtitle: 'Paste these into a ticket or a terminal; they select the events the timeline shows.',
    blocks: [
      { kind: 'text', caption: 'roster-watch history', pre: true, lines: [{ text: describeAsCli(filters) }] },
      {
        kind: 'text',
        caption: 'SQL (sqlite3 on the database file)',
        pre: true,
        lines: [{ text: describeAsSql(filters) }],
      },
      {
        kind: 'text',
        lines: [{ text: 'Back to the timeline', href: hrefWith(`${ctx.base}/timeline`, { ...filters }) }],
      },
    ],
  };
}

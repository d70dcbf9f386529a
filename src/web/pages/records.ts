/** `/ui/runs`, `/ui/runs/{id}`, `/ui/events/{sequence}`: the poll runs and single events. */

import { PageError } from '../../errors.js';
import { getRun, listRecordedRunKinds, listRuns, RUN_KINDS } from '../../store/runs.js';
import { loadEvent, loadRunEvents } from '../../store/ui-timeline.js';
import { mono, type Page, text } from '../model.js';
import { hrefWith, intParam, type PageContext, param, rowsFor, runHref, timeCell } from './context.js';
import { EVENT_COLUMNS, eventRow } from './events.js';

export function buildRunsPage(ctx: PageContext): Page {
  const kind = param(ctx, 'kind');
  const limit = rowsFor(ctx);
  const runs = listRuns(ctx.store, { kind, beforeId: intParam(ctx, 'before'), limit: limit + 1 });
  const shown = runs.slice(0, limit);
  const last = shown[shown.length - 1];
  const kinds = [
    ...new Set([...RUN_KINDS, ...listRecordedRunKinds(ctx.store), ...(kind === undefined ? [] : [kind])]),
  ];
  return {
    title: 'Runs',
    nav: 'runs',
    heading: 'Runs',
    subtitle: 'Every poll, whatever its outcome, newest first.',
    blocks: [
      {
        kind: 'form',
        caption: 'Filter',
        action: `${ctx.base}/runs`,
        submit: 'Show runs',
        fields: [
          {
            kind: 'select',
            name: 'kind',
            label: 'Kind',
            value: kind ?? '',
            options: [{ value: '', label: 'every kind' }, ...kinds.map((k) => ({ value: k, label: k }))],
          },
        ],
      },
      {
        kind: 'table',
        id: 'runs',
        caption: 'Runs',
        columns: [
          'Run',
          'Kind',
          'Started',
          'Finished',
          'Status',
          'Strategy',
          'Requests',
          'Retries',
          'Rate-limited',
          'Users',
          'Teams',
          'Memberships',
          'Policies',
          'Changes',
          'Error',
        ],
        rows: shown.map((r) => [
          mono(`#${r.id}`, runHref(ctx, r.id)),
          text(r.kind),
          timeCell(ctx, r.startedAt),
          timeCell(ctx, r.finishedAt),
          text(r.status),
          text(r.strategy ?? ''),
          text(r.requests),
          text(r.retries),
          text(r.rateLimited),
          text(r.userCount),
          text(r.teamCount),
          text(r.membershipCount),
          text(r.policyCount),
          text(r.changeCount),
          text(r.error ?? ''),
        ]),
        empty: 'No run recorded yet.',
        nextHref:
          runs.length > limit && last !== undefined
            ? hrefWith(`${ctx.base}/runs`, { kind, before: last.id })
            : undefined,
      },
    ],
  };
}

export function buildRunPage(ctx: PageContext, idText: string): Page {
  const id = /^[1-9]\d{0,15}$/.test(idText) ? Number(idText) : Number.NaN;
  const run = Number.isNaN(id) ? undefined : getRun(ctx.store, id);
  if (run === undefined) throw new PageError(404, `No run #${idText} is recorded.`);
  const events = loadRunEvents(ctx.store, run.id, ctx.csv ? 100_000 : 500);
  return {
    title: `Run #${run.id}`,
    nav: 'runs',
    heading: `Run #${run.id} (${run.kind})`,
    blocks: [
      {
        kind: 'facts',
        caption: 'Outcome',
        items: [
          { label: 'Status', value: text(run.status) },
          { label: 'Started', value: timeCell(ctx, run.startedAt, { relative: true }) },
          { label: 'Finished', value: timeCell(ctx, run.finishedAt) },
          { label: 'Strategy', value: text(run.strategy ?? '-') },
          {
            label: 'Requests / retries / rate-limited',
            value: text(`${run.requests} / ${run.retries} / ${run.rateLimited}`),
          },
          {
            label: 'Users / teams / memberships',
            value: text(`${run.userCount ?? '-'} / ${run.teamCount ?? '-'} / ${run.membershipCount ?? '-'}`),
          },
          { label: 'Changes', value: text(run.changeCount) },
          {
            label: 'Failed scopes',
            value: text(run.failedScopes.length === 0 ? 'none' : JSON.stringify(run.failedScopes)),
          },
          { label: 'Error', value: text(run.error ?? 'none') },
        ],
      },
      {
        kind: 'table',
        id: 'events',
        caption: 'Events this run recorded',
        columns: EVENT_COLUMNS,
        rows: events.map((e) => eventRow(ctx, e)),
        empty: 'This run recorded no event.',
      },
    ],
  };
}

export function buildEventPage(ctx: PageContext, sequenceText: string): Page {
  const sequence = /^[1-9]\d{0,15}$/.test(sequenceText) ? Number(sequenceText) : Number.NaN;
  const event = Number.isNaN(sequence) ? undefined : loadEvent(ctx.store, sequence);
  if (event === undefined) throw new PageError(404, `No event #${sequenceText} is recorded.`);
  let pretty = event.envelope;
  try {
    pretty = JSON.stringify(JSON.parse(event.envelope), null, 2);
  } catch {
    // Shown as stored.
  }
  return {
    title: `Event #${event.sequence}`,
    nav: 'timeline',
    heading: `Event #${event.sequence}: ${event.type}`,
    blocks: [
      {
        kind: 'table',
        id: 'event',
        caption: 'Event',
        columns: EVENT_COLUMNS,
        rows: [eventRow(ctx, event)],
        empty: '',
      },
      { kind: 'text', caption: 'CloudEvent as delivered', pre: true, lines: [{ text: pretty }] },
    ],
  };
}

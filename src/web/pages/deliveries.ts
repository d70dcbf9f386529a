/** `/ui/deliveries`: each destination's health and the outbox rows (status, attempts, last error). */
import { listDeliveries } from '../../store/outbox-reads.js';
import { type DestinationHealth, loadDeliveryHealth } from '../../store/ui-reads.js';
import { mono, type Page, type TableBlock, text } from '../model.js';
import {
  eventHref,
  hrefWith,
  intParam,
  type PageContext,
  param,
  rowsFor,
  runHref,
  timeCell,
} from './context.js';

const STATUSES = ['pending', 'failed', 'delivered', 'dead'];

/** Each destination's state and open rows (the overview shows the same table). */
export function destinationsTable(
  ctx: PageContext,
  id: string,
  caption: string,
  health: DestinationHealth[],
): TableBlock {
  const path = `${ctx.base}/deliveries`;
  return {
    kind: 'table',
    id,
    caption,
    columns: ['Destination', 'Kind', 'State', 'Pending', 'Failed', 'Dead', 'Last delivered', 'Last error'],
    rows: health.map((d) => [
      text(d.name, hrefWith(path, { destination: d.name })),
      text(d.kind),
      text(d.disabledAt === null ? 'enabled' : `disabled ${d.disabledAt}: ${d.disabledReason ?? ''}`),
      text(d.pending),
      text(d.failed),
      text(d.dead, d.dead > 0 ? hrefWith(path, { destination: d.name, status: 'dead' }) : undefined),
      timeCell(ctx, d.lastDeliveredAt, { empty: 'never', relative: true }),
      text(d.lastError ?? ''),
    ]),
    empty: 'No delivery destination configured yet.',
  };
}

export function buildDeliveriesPage(ctx: PageContext): Page {
  const status = param(ctx, 'status');
  const destination = param(ctx, 'destination');
  const limit = rowsFor(ctx);
  const health = loadDeliveryHealth(ctx.store);
  const rows = listDeliveries(ctx.store, {
    status,
    destination,
    beforeId: intParam(ctx, 'before'),
    limit: limit + 1,
  });
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  const path = `${ctx.base}/deliveries`;
  return {
    title: 'Deliveries',
    nav: 'deliveries',
    heading: 'Deliveries',
    subtitle: 'The outbox: every event and digest per destination, with its attempts.',
    blocks: [
      destinationsTable(ctx, 'destinations', 'Destinations', health),
      {
        kind: 'form',
        caption: 'Filter',
        action: path,
        submit: 'Show deliveries',
        fields: [
          {
            kind: 'select',
            name: 'status',
            label: 'Status',
            value: status ?? '',
            options: [{ value: '', label: 'every status' }, ...STATUSES.map((s) => ({ value: s, label: s }))],
          },
          {
            kind: 'select',
            name: 'destination',
            label: 'Destination',
            value: destination ?? '',
            options: [
              { value: '', label: 'every destination' },
              ...health.map((d) => ({ value: d.name, label: d.name })),
            ],
          },
        ],
      },
      {
        kind: 'table',
        id: 'deliveries',
        caption: 'Deliveries',
        columns: [
          'Delivery',
          'Destination',
          'Kind',
          'Event',
          'Run',
          'Status',
          'Attempts',
          'Created',
          'Delivered',
          'Last HTTP status',
          'Last error',
        ],
        rows: shown.map((d) => [
          mono(`#${d.id}`),
          text(d.destination),
          text(d.kind),
          d.eventSequence === null
            ? text('')
            : mono(`#${d.eventSequence} ${d.eventType ?? ''}`, eventHref(ctx, d.eventSequence)),
          d.runId === null ? text('') : mono(`#${d.runId}`, runHref(ctx, d.runId)),
          text(d.status),
          text(d.attempts),
          timeCell(ctx, d.createdAt),
          timeCell(ctx, d.deliveredAt),
          text(d.lastStatusCode),
          text(d.lastError ?? ''),
        ]),
        empty: 'No delivery matches.',
        nextHref:
          rows.length > limit && last !== undefined
            ? hrefWith(path, { status, destination, before: last.id })
            : undefined,
      },
    ],
  };
}

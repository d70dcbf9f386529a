/** `/ui/findings`: coverage (and any later) findings, rendered from the stored rows, whatever their kind. */

import { describeFinding } from '../../roster/coverage-events.js';
import type { Finding } from '../../roster/coverage-types.js';
import type { Store } from '../../store/db.js';
import { type FindingRow, loadFindingsPage, loadOpenFindingCounts } from '../../store/ui-reads.js';
import { type Cell, mono, type Page, text } from '../model.js';
import {
  hrefWith,
  intParam,
  type PageContext,
  param,
  rowsFor,
  runHref,
  summariseJson,
  teamCell,
  userCell,
} from './context.js';

export const FINDING_COLUMNS = [
  'Finding',
  'Kind',
  'User',
  'Team',
  'What (expand for the data)',
  'First seen',
  'Resolved',
  'Runs',
];

/** A sentence for kinds this build knows, the raw data for kinds added later. */
function describe(data: Record<string, unknown>): string {
  try {
    const sentence = describeFinding(data as unknown as Finding) as string | undefined;
    if (typeof sentence === 'string' && sentence !== '') return sentence;
  } catch {
    // A kind this build does not know: fall through to its data.
  }
  return typeof data.message === 'string' ? data.message : summariseJson(data);
}

export function findingRow(ctx: PageContext, f: FindingRow): Cell[] {
  let data: Record<string, unknown> = {};
  try {
    data = JSON.parse(f.data) as Record<string, unknown>;
  } catch {
    // Shown raw below.
  }
  const team = data.team as { slug?: unknown; name?: unknown } | undefined;
  return [
    mono(`#${f.id}`),
    text(f.kind, hrefWith(`${ctx.base}/findings`, { kind: f.kind, state: 'all' })),
    typeof data.username === 'string' ? userCell(ctx, data.username) : text(''),
    typeof team?.slug === 'string'
      ? teamCell(ctx, team.slug, typeof team.name === 'string' ? team.name : undefined)
      : text(''),
    { text: describe(data), details: JSON.stringify(data, null, 2) },
    mono(f.firstSeen),
    mono(f.resolvedAt ?? 'open'),
    text(`#${f.firstRunId} → #${f.lastRunId}`, runHref(ctx, f.lastRunId)),
  ];
}

function knownKinds(store: Store, current: string | undefined): string[] {
  const kinds = new Set(loadOpenFindingCounts(store).map((k) => k.kind));
  if (current !== undefined) kinds.add(current);
  return [...kinds].sort();
}

export function buildFindingsPage(ctx: PageContext): Page {
  const stateParam = param(ctx, 'state');
  const state = stateParam === 'resolved' || stateParam === 'all' ? stateParam : 'open';
  const kind = param(ctx, 'kind');
  const limit = rowsFor(ctx);
  const rows = loadFindingsPage(ctx.store, {
    state,
    kind,
    beforeId: intParam(ctx, 'before'),
    limit: limit + 1,
  });
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return {
    title: 'Findings',
    nav: 'findings',
    heading: 'Findings',
    subtitle: 'Gaps in who gets paged, as the last policy and roster polls saw them.',
    blocks: [
      {
        kind: 'form',
        caption: 'Filter',
        action: `${ctx.base}/findings`,
        submit: 'Show findings',
        fields: [
          {
            kind: 'select',
            name: 'state',
            label: 'State',
            value: state,
            options: ['open', 'resolved', 'all'].map((s) => ({ value: s, label: s })),
          },
          {
            kind: 'select',
            name: 'kind',
            label: 'Kind',
            value: kind ?? '',
            options: [
              { value: '', label: 'every kind' },
              ...knownKinds(ctx.store, kind).map((k) => ({ value: k, label: k })),
            ],
          },
        ],
      },
      {
        kind: 'table',
        id: 'findings',
        caption: `Findings (${state})`,
        columns: FINDING_COLUMNS,
        rows: shown.map((f) => findingRow(ctx, f)),
        empty: 'No finding matches.',
        nextHref:
          rows.length > limit && last !== undefined
            ? hrefWith(`${ctx.base}/findings`, { state, kind, before: last.id })
            : undefined,
      },
    ],
  };
}

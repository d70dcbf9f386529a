/**
 * `/ui/findings`: every finding (coverage, identity and any later kind) from one findings model
 * (store/ui-findings.ts), rendered from the stored rows whatever their kind. The overview, user
 * and team pages render their findings with `findingRow` too.
 */

import { PageError } from '../../errors.js';
import { describeFinding } from '../../roster/coverage-events.js';
import type { Finding } from '../../roster/coverage-types.js';
import { describeIdentityFinding } from '../../roster/identity-events.js';
import type { IdentityFinding } from '../../roster/identity-types.js';
import type { Store } from '../../store/db.js';
import {
  type FindingCursor,
  type FindingRow,
  loadFindingsPage,
  loadOpenFindingCounts,
} from '../../store/ui-findings.js';
import { type Cell, mono, type Page, text } from '../model.js';
import {
  hrefWith,
  type PageContext,
  param,
  rowsFor,
  runHref,
  summariseJson,
  teamCell,
  timeCell,
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
function describe(ctx: PageContext, f: FindingRow, data: Record<string, unknown>): string {
  try {
    const sentence = (
      f.family === 'identity'
        ? describeIdentityFinding(data as unknown as IdentityFinding, ctx.now.toISOString())
        : describeFinding(data as unknown as Finding)
    ) as string | undefined;
    if (typeof sentence === 'string' && sentence !== '') return sentence;
  } catch {
    // A kind this build does not know: fall through to its data.
  }
  return typeof data.message === 'string' ? data.message : summariseJson(data);
}

/** Ids are per family: `#12` is a coverage finding, `#i12` an identity one. */
const findingLabel = (f: FindingRow): string => (f.family === 'identity' ? `#i${f.id}` : `#${f.id}`);

const cursorOf = (f: FindingRow): string => `${f.firstSeen}~${f.family}~${f.id}`;

function cursorParam(ctx: PageContext): FindingCursor | undefined {
  const value = param(ctx, 'before');
  if (value === undefined) return undefined;
  const match = /^([0-9T:.Z+-]{10,40})~(coverage|identity)~([1-9]\d{0,15})$/.exec(value);
  if (match === null) {
    throw new PageError(
      400,
      `before must be a findings cursor such as 2026-03-03T10:00:00.000Z~coverage~12, got "${value}"`,
    );
  }
  return {
    firstSeen: match[1] as string,
    family: match[2] as FindingCursor['family'],
    id: Number(match[3]),
  };
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
    mono(findingLabel(f)),
    text(f.kind, hrefWith(`${ctx.base}/findings`, { kind: f.kind, state: 'all' })),
    typeof data.username === 'string' ? userCell(ctx, data.username) : text(''),
    typeof team?.slug === 'string'
      ? teamCell(ctx, team.slug, typeof team.name === 'string' ? team.name : undefined)
      : text(''),
    { text: describe(ctx, f, data), details: JSON.stringify(data, null, 2) },
    timeCell(ctx, f.firstSeen, { relative: f.resolvedAt === null }),
    timeCell(ctx, f.resolvedAt, { empty: 'open' }),
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
    before: cursorParam(ctx),
    limit: limit + 1,
  });
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return {
    title: 'Findings',
    nav: 'findings',
    heading: 'Findings',
    subtitle:
      'Gaps in who gets paged (policy polls) and accounts the identity sources disagree with (identity syncs).',
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
            ? hrefWith(`${ctx.base}/findings`, { state, kind, before: cursorOf(last) })
            : undefined,
      },
    ],
  };
}

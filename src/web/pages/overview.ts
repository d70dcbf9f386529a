/** `/ui`: org size over time, changes per day, the last run of each kind, findings, delivery health. */

import { lastRunPerKind } from '../../store/runs.js';
import { loadOpenFindingCounts } from '../../store/ui-findings.js';
import { loadChangesByDay, loadDeliveryHealth, loadOrgSizeByDay } from '../../store/ui-reads.js';
import { renderLineChart } from '../chart.js';
import { mono, type Page, text } from '../model.js';
import { localDaySpans } from '../time.js';
import { hrefWith, type PageContext, runHref, timeCell } from './context.js';
import { destinationsTable } from './deliveries.js';

const CHART_DAYS = 90;
const CHANGE_DAYS = 30;

export function buildOverviewPage(ctx: PageContext): Page {
  // Days are the viewer's (UI_TIMEZONE), not UTC dates.
  const chartDays = localDaySpans(ctx.zone, ctx.now, CHART_DAYS);
  const size = loadOrgSizeByDay(ctx.store, chartDays);
  const svg = renderLineChart(
    `Users, teams and memberships per day over the last ${CHART_DAYS} days`,
    size.map((p) => p.day),
    [
      { label: 'users', className: 's1', values: size.map((p) => p.users) },
      { label: 'teams', className: 's2', values: size.map((p) => p.teams) },
      { label: 'memberships', className: 's3', values: size.map((p) => p.memberships) },
    ],
  );
  const runs = lastRunPerKind(ctx.store);
  const changes = loadChangesByDay(ctx.store, chartDays.slice(-CHANGE_DAYS).reverse());
  const spanOf = new Map(chartDays.map((d) => [d.day, d]));
  const findings = loadOpenFindingCounts(ctx.store);
  const health = loadDeliveryHealth(ctx.store);
  return {
    title: 'Overview',
    nav: 'overview',
    heading: 'Overview',
    subtitle: 'What roster-watch has recorded about the VictorOps org.',
    blocks: [
      { kind: 'chart', caption: `Org size (last ${CHART_DAYS} days)`, svg },
      {
        kind: 'table',
        id: 'org-size',
        caption: `Org size per day (${ctx.zone})`,
        columns: ['Day', 'Users', 'Teams', 'Memberships'],
        rows: size
          .slice()
          .reverse()
          .slice(0, ctx.csv ? undefined : 7)
          .map((p) => [mono(p.day), text(p.users), text(p.teams), text(p.memberships)]),
        empty: 'No roster run has counted the org yet.',
      },
      {
        kind: 'table',
        id: 'last-runs',
        caption: 'Last run of each kind',
        columns: ['Kind', 'Run', 'Started', 'Status', 'Changes', 'Error'],
        rows: runs.map((r) => [
          text(r.kind, hrefWith(`${ctx.base}/runs`, { kind: r.kind })),
          mono(`#${r.id}`, runHref(ctx, r.id)),
          timeCell(ctx, r.startedAt, { relative: true }),
          text(r.status),
          text(r.changeCount),
          text(r.error ?? ''),
        ]),
        empty: 'No run recorded yet.',
      },
      {
        kind: 'table',
        id: 'changes-per-day',
        caption: `Changes per day (last ${CHANGE_DAYS} days, ${ctx.zone})`,
        columns: ['Day', 'Changes'],
        rows: changes.map((c) => [
          mono(
            c.day,
            hrefWith(`${ctx.base}/timeline`, {
              since: spanOf.get(c.day)?.fromIso,
              until: spanOf.get(c.day)?.toIso,
            }),
          ),
          text(c.changes),
        ]),
        empty: `No run in the last ${CHANGE_DAYS} days.`,
      },
      {
        kind: 'table',
        id: 'open-findings',
        caption: 'Open findings by kind',
        columns: ['Kind', 'Open'],
        rows: findings.map((f) => [
          text(f.kind, hrefWith(`${ctx.base}/findings`, { kind: f.kind })),
          text(f.open),
        ]),
        empty: 'No open findings.',
      },
      destinationsTable(ctx, 'delivery-health', 'Delivery health per destination', health),
    ],
  };
}

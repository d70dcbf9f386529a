/**
 * `/ui/oncall`: who was (and will be) on call, from the recorded schedule reads. A week or month
 * calendar of one team (one row per local day and policy, in ONCALL_TIMEZONE), the hours per
 * person with the business / out-of-hours / weekend / holiday split (downloadable as CSV like
 * every table), and who was on call at the moment picked. Server-rendered; no script.
 */
import { defaultOncallConfig } from '../../config/oncall.js';
import { PageError } from '../../errors.js';
import {
  listOncallAt,
  listOncallIntervals,
  mergeOncallIntervals,
  type OncallRead,
} from '../../roster/oncall-intervals.js';
import { buildOncallReport } from '../../roster/oncall-report.js';
import {
  localDate,
  localDateTime,
  nextDate,
  type SplitRules,
  zonedInstant,
} from '../../roster/oncall-split.js';
import { usernameKey } from '../../roster/types.js';
import { loadDisplayNames, loadOncallReads, loadOncallTeams } from '../../store/oncall-reads.js';
import { type Block, type Cell, mono, type Page, text } from '../model.js';
import { formatLocal } from '../time.js';
import { atPicker, hrefWith, type PageContext, param, teamCell, timeCell, userCell } from './context.js';

const hoursText = (h: number) => h.toFixed(2);

/** The calendar's local days: the week (from Monday) or month holding `date`. */
function calendarDays(view: 'week' | 'month', date: string): string[] {
  const day = new Date(`${date}T00:00:00Z`);
  let first: string;
  if (view === 'week') {
    const back = (day.getUTCDay() + 6) % 7;
    first = new Date(day.getTime() - back * 86_400_000).toISOString().slice(0, 10);
  } else first = `${date.slice(0, 8)}01`;
  const days: string[] = [];
  for (
    let d = first;
    view === 'week' ? days.length < 7 : d.slice(0, 7) === first.slice(0, 7);
    d = nextDate(d)
  )
    days.push(d);
  return days;
}

function calendarBlock(rules: SplitRules, reads: OncallRead[], days: string[]): Block {
  const { timeZone } = rules;
  const rows: Cell[][] = [];
  for (const day of days) {
    const startMs = zonedInstant(timeZone, day, 0);
    const endMs = zonedInstant(timeZone, nextDate(day), 0);
    const byPolicy = new Map<string, { name: string; parts: string[] }>();
    const people = mergeOncallIntervals(listOncallIntervals(reads, startMs, endMs));
    const stretches = people.flatMap((p) => p.intervals.map(([a, b]) => ({ p, a, b })));
    stretches.sort((x, y) => x.a - y.a || x.p.username.localeCompare(y.p.username));
    for (const { p, a, b } of stretches) {
      const entry = byPolicy.get(p.policySlug) ?? { name: p.policyName, parts: [] };
      const time = (ms: number) => (ms >= endMs ? '24:00' : localDateTime(timeZone, ms).slice(11));
      entry.parts.push(`${p.username} ${time(a)}–${time(b)}`);
      byPolicy.set(p.policySlug, entry);
    }
    const weekday = new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', {
      weekday: 'short',
      timeZone: 'UTC',
    });
    const label = `${weekday} ${day}${rules.holidays.has(day) ? ' (holiday)' : ''}`;
    if (byPolicy.size === 0) rows.push([mono(label), text(''), text('nobody recorded')]);
    for (const [slug, entry] of [...byPolicy.entries()].sort((x, y) => x[0].localeCompare(y[0])))
      rows.push([
        mono(label),
        text(entry.name === slug ? slug : `${entry.name} (${slug})`),
        text(entry.parts.join(', ')),
      ]);
  }
  return {
    kind: 'table',
    id: 'calendar',
    caption: `Calendar (${timeZone})`,
    columns: ['Day', 'Policy', 'On call (local time)'],
    rows,
    empty: 'No days in this range.',
  };
}

export function buildOncallPage(ctx: PageContext): Page {
  const rules: SplitRules = ctx.oncall ?? defaultOncallConfig();
  const view = param(ctx, 'view') ?? 'week';
  if (view !== 'week' && view !== 'month')
    throw new PageError(400, `view must be week or month, got "${view}"`);
  const startParam = param(ctx, 'date');
  if (startParam !== undefined && !/^\d{4}-\d\d-\d\d$/.test(startParam))
    throw new PageError(400, `date must be a date such as 2026-12-01, got "${startParam}"`);
  const date = startParam ?? localDate(rules.timeZone, ctx.now.getTime());
  const days = calendarDays(view, date);
  const fromMs = zonedInstant(rules.timeZone, days[0] ?? date, 0);
  const toMs = zonedInstant(rules.timeZone, nextDate(days.at(-1) ?? date), 0);
  const { atIso, field: atField } = atPicker(ctx, 'On call at');

  const fromIso = new Date(fromMs).toISOString();
  const toIso = new Date(toMs).toISOString();
  // The team picker needs every team's name, the page only the chosen team's shifts.
  const teams = loadOncallTeams(ctx.store, fromIso, toIso);
  const team = param(ctx, 'team') ?? [...teams.keys()].sort()[0];
  const reads = team === undefined ? [] : loadOncallReads(ctx.store, fromIso, toIso, team);
  const keys = reads.flatMap((r) => r.shifts.map((s) => usernameKey(s.username)));
  const report = buildOncallReport({
    reads,
    fromMs,
    toMs,
    rules,
    displayNames: loadDisplayNames(ctx.store, keys),
  });

  const atReads = loadOncallReads(ctx.store, atIso, new Date(Date.parse(atIso) + 1).toISOString(), team);
  const at = listOncallAt(atReads, Date.parse(atIso));

  const pageHref = (params: Record<string, string | undefined>) =>
    hrefWith(`${ctx.base}/oncall`, { team, view, date, ...params });
  const shift = (days: number) =>
    new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
  const previous =
    view === 'week'
      ? shift(-7)
      : `${nextDate(`${date.slice(0, 8)}01`).slice(0, 8)}01`.replace(
          /^(\d{4})-(\d\d)/,
          (_, y: string, m: string) =>
            m === '01' ? `${Number(y) - 1}-12` : `${y}-${String(Number(m) - 1).padStart(2, '0')}`,
        );
  const next = view === 'week' ? shift(7) : nextDate(days.at(-1) ?? date);

  return {
    title: 'On call',
    nav: 'oncall',
    heading: team === undefined ? 'On call' : `On call: ${teams.get(team) ?? team}`,
    subtitle: `${view === 'week' ? 'Week' : 'Month'} from ${days[0]} to ${days.at(-1)} in ${rules.timeZone}. Who was on call at T is what the latest schedule read before T showed for T (overrides applied); future days are planned from the latest read.`,
    blocks: [
      {
        kind: 'form',
        caption: 'Show',
        action: `${ctx.base}/oncall`,
        submit: 'Show',
        fields: [
          {
            kind: 'select',
            name: 'team',
            label: 'Team',
            value: team ?? '',
            options: [...teams.entries()]
              .sort()
              .map(([slug, name]) => ({ value: slug, label: `${name} (${slug})` })),
          },
          {
            kind: 'select',
            name: 'view',
            label: 'Calendar',
            value: view,
            options: [
              { value: 'week', label: 'Week' },
              { value: 'month', label: 'Month' },
            ],
          },
          {
            kind: 'input',
            type: 'text',
            name: 'date',
            label: 'Holding the date',
            value: date,
            hint: 'YYYY-MM-DD',
          },
          atField,
        ],
      },
      {
        kind: 'text',
        lines: [
          text(`← ${view === 'week' ? 'previous week' : 'previous month'}`, pageHref({ date: previous })),
          text(`${view === 'week' ? 'next week' : 'next month'} →`, pageHref({ date: next })),
          text(
            view === 'week' ? 'month view' : 'week view',
            pageHref({ view: view === 'week' ? 'month' : 'week' }),
          ),
        ],
      },
      {
        kind: 'table',
        id: 'at',
        caption: `On call at ${formatLocal(atIso, ctx.zone, ctx.now)} (${ctx.zone})`,
        columns: ['Team', 'Policy', 'Rotation', 'Person', 'Override for', 'From', 'Until', 'Read at'],
        rows: at.map((e) => [
          teamCell(ctx, e.teamSlug, e.teamName),
          text(`${e.policyName} (${e.policySlug})`),
          text([e.rotationName, e.shiftName].filter((n) => n !== '').join(' / ')),
          userCell(ctx, e.username),
          e.overrideFor === null ? text('') : userCell(ctx, e.overrideFor),
          timeCell(ctx, e.start),
          timeCell(ctx, e.end),
          timeCell(ctx, e.readAt, { relative: true }),
        ]),
        empty: 'Nobody on call at that moment by the recorded schedules.',
      },
      calendarBlock(rules, reads, days),
      {
        kind: 'table',
        id: 'hours',
        caption: `Hours per person (${days[0]} to ${days.at(-1)})`,
        columns: [
          'Person',
          'Name',
          'Policy',
          'Hours',
          'Business',
          'Out of hours',
          'Weekend',
          'Holiday',
          'Override',
        ],
        rows: report.rows.map((r) => [
          userCell(ctx, r.username),
          text(r.displayName ?? ''),
          text(`${r.policy.name} (${r.policy.slug})`),
          mono(hoursText(r.hours)),
          mono(hoursText(r.businessHours)),
          mono(hoursText(r.outOfHoursHours)),
          mono(hoursText(r.weekendHours)),
          mono(hoursText(r.holidayHours)),
          mono(hoursText(r.overrideHours)),
        ]),
        empty: 'Nobody on call in this range by the recorded schedules.',
      },
    ],
  };
}

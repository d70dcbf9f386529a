/**
 * The on-call report: hours per person × team × policy over a window, split into business hours,
 * weekday out-of-hours, weekend and holidays. Pure; the reads come from the store.
 */
import {
  listOncallIntervals,
  mergeOncallIntervals,
  type OncallInterval,
  type OncallRead,
} from './oncall-intervals.js';
import { buildHourCalendar, emptySplit, type SplitRules, splitByCalendar } from './oncall-split.js';
import { usernameKey } from './types.js';

export interface OncallReportRow {
  username: string;
  /** The person's name as last recorded in the roster, or null when the roster does not know them. */
  displayName: string | null;
  team: { slug: string; name: string };
  policy: { slug: string; name: string };
  hours: number;
  businessHours: number;
  outOfHoursHours: number;
  weekendHours: number;
  holidayHours: number;
  /** Of `hours`, the time covered by override for someone else. */
  overrideHours: number;
}

export interface OncallReport {
  from: string;
  to: string;
  timeZone: string;
  rows: OncallReportRow[];
}

export interface OncallReportInput {
  reads: readonly OncallRead[];
  fromMs: number;
  toMs: number;
  rules: SplitRules;
  /** Only this team / policy, when set. */
  teamSlug?: string | undefined;
  policySlug?: string | undefined;
  /** Display names by lower-cased username. */
  displayNames: ReadonlyMap<string, string>;
}

/** Hours to the second: enough for pay, and sums stay readable. */
const hoursOf = (ms: number) => Math.round(ms / 1000) / 3600;

export function buildOncallReport(input: OncallReportInput): OncallReport {
  const reads =
    input.teamSlug === undefined ? input.reads : input.reads.filter((r) => r.teamSlug === input.teamSlug);
  return reportOncallIntervals({ ...input, intervals: listOncallIntervals(reads, input.fromMs, input.toMs) });
}

/**
 * The report from intervals already cut to [fromMs, toMs) and to one team if asked (the store's
 * oncall parts, or listOncallIntervals over the reads), in read order within each team.
 */
export function reportOncallIntervals(
  input: Omit<OncallReportInput, 'reads' | 'teamSlug'> & { intervals: OncallInterval[] },
): OncallReport {
  const { fromMs, toMs, rules } = input;
  const intervals =
    input.policySlug === undefined
      ? input.intervals
      : input.intervals.filter((i) => i.policySlug === input.policySlug);
  const calendar = buildHourCalendar(rules, fromMs, toMs);
  const rows = mergeOncallIntervals(intervals).map((p): OncallReportRow => {
    const split = splitByCalendar(calendar, p.intervals, emptySplit());
    const total = p.intervals.reduce((sum, [a, b]) => sum + (b - a), 0);
    return {
      username: p.username,
      displayName: input.displayNames.get(usernameKey(p.username)) ?? null,
      team: { slug: p.teamSlug, name: p.teamName },
      policy: { slug: p.policySlug, name: p.policyName },
      hours: hoursOf(total),
      businessHours: hoursOf(split.business),
      outOfHoursHours: hoursOf(split.outOfHours),
      weekendHours: hoursOf(split.weekend),
      holidayHours: hoursOf(split.holiday),
      overrideHours: hoursOf(p.overrideMs),
    };
  });
  return {
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    timeZone: rules.timeZone,
    rows,
  };
}

export const ONCALL_REPORT_COLUMNS = [
  'username',
  'displayName',
  'team',
  'policy',
  'hours',
  'businessHours',
  'outOfHoursHours',
  'weekendHours',
  'holidayHours',
  'overrideHours',
] as const;

/** The report's rows as flat records, in ONCALL_REPORT_COLUMNS order (for CSV and tables). */
export function flattenOncallRow(row: OncallReportRow): (string | number)[] {
  return [
    row.username,
    row.displayName ?? '',
    row.team.slug,
    row.policy.slug,
    row.hours,
    row.businessHours,
    row.outOfHoursHours,
    row.weekendHours,
    row.holidayHours,
    row.overrideHours,
  ];
}

/** What every page builder receives, and the small helpers they share. */

import { PageError } from '../../errors.js';
import { parseIsoInstant } from '../../parse/instant.js';
import type { Exemption } from '../../roster/identity-types.js';
import { localDateTime, type SplitRules, zonedInstant } from '../../roster/oncall-split.js';
import type { Store } from '../../store/db.js';
import { type Cell, type Field, text } from '../model.js';
import { formatLocal, formatRelative } from '../time.js';

export interface PageContext {
  store: Store;
  /** Where the view is mounted, such as `/ui`. */
  base: string;
  url: URL;
  now: Date;
  /** Building for a CSV download: paginated tables return more rows. */
  csv: boolean;
  /** The IANA zone times are shown in (UI_TIMEZONE). */
  zone: string;
  /** How the On-call page splits hours (ONCALL_*); UTC, Mon-Fri 09:00-17:00, no holidays when absent. */
  oncall?: SplitRules | undefined;
  /** The identity exemptions (IDENTITY_MAPPING_FILE's `exempt`), so a user page says when one applies. */
  exemptions?: readonly Exemption[] | undefined;
  /** REACH_EXEMPT, so the Reachability and policy pages say why a key has no finding. */
  reachExemptions?: readonly Exemption[] | undefined;
}

/** Rows per HTML page of a paginated table, and the cap on a CSV download of one. */
export const PAGE_ROWS = 50;
export const CSV_ROWS = 10_000;

export const rowsFor = (ctx: PageContext): number => (ctx.csv ? CSV_ROWS : PAGE_ROWS);

/**
 * A name as one path segment. Dots are encoded too, so a user called `jdoe.csv` links to their
 * page and not to the CSV of a user called `jdoe`.
 */
const segment = (name: string): string => encodeURIComponent(name).replace(/\./g, '%2E');

/**
 * A page named by a path segment, except `.` and `..`: browsers fold those (even encoded) into
 * the parent path before sending, so their pages are addressed as `?name=` instead.
 */
const namedHref = (ctx: PageContext, kind: 'users' | 'teams', name: string): string =>
  name === '.' || name === '..'
    ? `${ctx.base}/${kind}?name=${encodeURIComponent(name)}`
    : `${ctx.base}/${kind}/${segment(name)}`;

export const userHref = (ctx: PageContext, username: string): string => namedHref(ctx, 'users', username);
export const teamHref = (ctx: PageContext, slug: string): string => namedHref(ctx, 'teams', slug);
export const runHref = (ctx: PageContext, id: number): string => `${ctx.base}/runs/${id}`;
export const eventHref = (ctx: PageContext, sequence: number): string => `${ctx.base}/events/${sequence}`;

export const policyHref = (ctx: PageContext, slug: string): string => `${ctx.base}/policies/${segment(slug)}`;

/** A user by username, or by their name with the username in small print when the name is known. */
export const userCell = (ctx: PageContext, username: string, name?: string | null): Cell =>
  name === undefined || name === null || name === '' || name === username
    ? text(username, userHref(ctx, username))
    : { text: name, href: userHref(ctx, username), note: username };

/** A team by its name; the slug on hover (and the slug alone when the name is unknown). */
export const teamCell = (ctx: PageContext, slug: string, name?: string): Cell =>
  name === undefined || name === slug
    ? text(slug, teamHref(ctx, slug))
    : { text: name, href: teamHref(ctx, slug), title: `team slug: ${slug}` };

/** A policy by its name, the slug on hover, linking to its page. */
export const policyCell = (ctx: PageContext, slug: string, name?: string): Cell =>
  name === undefined || name === slug
    ? text(slug, policyHref(ctx, slug))
    : { text: name, href: policyHref(ctx, slug), title: `policy slug: ${slug}` };

/**
 * An instant as the viewer reads it ("Tue 3 Dec 14:05" in UI_TIMEZONE), the exact UTC instant in
 * `<time datetime>` and on hover; with `relative`, "3 h ago" in small print. The CSV keeps the
 * ISO instant. `empty` is shown for a missing instant (such as "now" for an open interval).
 */
export function timeCell(
  ctx: PageContext,
  iso: string | null | undefined,
  options: { relative?: boolean; empty?: string; href?: string } = {},
): Cell {
  if (iso === null || iso === undefined || iso === '') return text(options.empty ?? '');
  if (ctx.csv) return { text: iso, mono: true };
  const cell: Cell = {
    text: formatLocal(iso, ctx.zone, ctx.now),
    datetime: iso,
    title: `${iso} (UTC)`,
  };
  if (options.href !== undefined) cell.href = options.href;
  if (options.relative === true) cell.note = formatRelative(iso, ctx.now);
  return cell;
}

/** A link to `path` with these query parameters (empty ones dropped). */
export function hrefWith(path: string, params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const query = search.toString();
  return query === '' ? path : `${path}?${query}`;
}

export function param(ctx: PageContext, name: string): string | undefined {
  const value = ctx.url.searchParams.get(name)?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** A positive integer parameter (a keyset cursor), or a 400 naming it. */
export function intParam(ctx: PageContext, name: string): number | undefined {
  const value = param(ctx, name);
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,15}$/.test(value))
    throw new PageError(400, `${name} must be a positive whole number, got "${value}"`);
  return Number(value);
}

/** An ISO date-time that names its zone (`Z` or an offset), as a permalink carries it. */
const NAMES_ZONE = /T\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)$/i;

/**
 * An instant parameter, returned as an ISO string in UTC, or a 400 naming the parameter. A
 * date-time with a zone (`Z` or an offset, as every link the view writes) is that instant; what a
 * date-time picker sends (no zone) and a bare date are wall-clock time in the view's zone
 * (UI_TIMEZONE), the zone the pickers show.
 */
export function instantParam(ctx: PageContext, name: string): string | undefined {
  const value = param(ctx, name);
  if (value === undefined) return undefined;
  // Impossible dates (2026-02-30) are refused, not rolled over to March.
  const parsed = parseIsoInstant(value);
  if (parsed === null)
    throw new PageError(
      400,
      `${name} must be an ISO-8601 date-time such as 2026-03-03T12:00:00Z, got "${value}"`,
    );
  if (NAMES_ZONE.test(value.replace(' ', 'T'))) return parsed;
  // Without a zone the parser read the wall clock as UTC: read the same wall clock in the view's zone.
  const date = parsed.slice(0, 10);
  const msOfDay = Date.parse(parsed) - Date.parse(`${date}T00:00:00.000Z`);
  return new Date(zonedInstant(ctx.zone, date, msOfDay / 60_000)).toISOString();
}

/** The value a datetime-local picker shows for an ISO instant: its wall-clock time in the view's zone, to the second. */
export function pickerValue(ctx: PageContext, iso: string | undefined): string {
  if (iso === undefined) return '';
  const ms = Date.parse(iso);
  const seconds = new Date(ms).toISOString().slice(16, 19);
  return `${localDateTime(ctx.zone, ms).replace(' ', 'T')}${seconds}`;
}

/**
 * The moment a page is about (`?at=`, default now) and the picker that chooses it, labelled with
 * the view's zone: the roster as of T and who was on call at T share it.
 */
export function atPicker(ctx: PageContext, label: string): { atIso: string; field: Field } {
  const atIso = instantParam(ctx, 'at') ?? ctx.now.toISOString();
  return {
    atIso,
    field: {
      kind: 'input',
      type: 'datetime-local',
      name: 'at',
      label: `${label} (${ctx.zone})`,
      value: pickerValue(ctx, atIso),
    },
  };
}

/** A one-line summary of any stored JSON value, for table cells. */
export function summariseJson(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return String(value);
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

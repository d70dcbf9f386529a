/** Shared by every page that lists events: one row per event, expanding to its CloudEvent JSON. */
import type { TimelineEvent } from '../../store/ui-timeline.js';
import { type Cell, mono, text } from '../model.js';
import {
  eventHref,
  type PageContext,
  policyCell,
  runHref,
  summariseJson,
  teamCell,
  timeCell,
  userCell,
} from './context.js';

export const EVENT_COLUMNS = [
  'Sequence',
  'Time',
  'Type',
  'Subject',
  'What (expand for the CloudEvent)',
  'Run',
];

interface EventData {
  username?: unknown;
  user?: { username?: unknown };
  team?: { slug?: unknown; name?: unknown };
  policy?: { slug?: unknown; name?: unknown };
  changes?: { field?: unknown; before?: unknown; after?: unknown }[];
  message?: unknown;
}

/**
 * A readable line for any event type, from the fields events commonly carry, so types added
 * later (new findings, new notices) are shown without a change here.
 */
export function summariseEvent(data: EventData | undefined): string {
  if (data === undefined || data === null || typeof data !== 'object') return '';
  if (typeof data.message === 'string') return data.message;
  if (Array.isArray(data.changes)) {
    return data.changes
      .map((c) => `${String(c.field)}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`)
      .join('; ');
  }
  const parts: string[] = [];
  if (typeof data.team?.name === 'string') parts.push(`team ${data.team.name}`);
  if (typeof data.policy?.name === 'string') parts.push(`policy '${data.policy.name}'`);
  if (parts.length === 0) {
    const user = data.user as Record<string, unknown> | undefined;
    if (user !== undefined && typeof user.username === 'string') {
      const name = [user.firstName, user.lastName].filter((p) => typeof p === 'string' && p !== '').join(' ');
      parts.push(name === '' ? user.username : `${name} (${user.username})`);
      if (typeof user.email === 'string') parts.push(user.email);
    }
  }
  return parts.length > 0 ? parts.join(', ') : summariseJson(data);
}

/**
 * An event's subject as the view names it, judged from the event's own shape: a user links to
 * their page; a team or a policy is shown by its name (the slug on hover) and links to its page.
 */
function subjectCell(ctx: PageContext, type: string, subject: string, data: EventData | undefined): Cell {
  if (/\.(user|membership)\./.test(type) || typeof data?.username === 'string') return userCell(ctx, subject);
  const team = data?.team;
  if (/\.team\./.test(type) || (team !== undefined && subject === team.slug))
    return teamCell(ctx, subject, typeof team?.name === 'string' ? team.name : undefined);
  const policy = data?.policy;
  if (
    /\.policy\./.test(type) &&
    policy !== undefined &&
    (policy.slug === undefined || policy.slug === subject)
  )
    return policyCell(ctx, subject, typeof policy.name === 'string' ? policy.name : undefined);
  return text(subject);
}

export function eventRow(ctx: PageContext, e: TimelineEvent): Cell[] {
  let parsed: { data?: EventData } = {};
  try {
    parsed = JSON.parse(e.envelope) as { data?: EventData };
  } catch {
    // A damaged envelope is still shown, raw, rather than breaking the page.
  }
  const pretty = parsed.data === undefined ? e.envelope : JSON.stringify(parsed, null, 2);
  return [
    mono(`#${e.sequence}`, eventHref(ctx, e.sequence)),
    timeCell(ctx, e.time),
    mono(e.type),
    subjectCell(ctx, e.type, e.subject, parsed.data),
    { text: summariseEvent(parsed.data) || e.type, details: pretty },
    e.runId === null ? text('') : mono(`#${e.runId}`, runHref(ctx, e.runId)),
  ];
}

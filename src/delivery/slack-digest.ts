/**
 * The Slack digest for one poll run: counts in the header, then grouped sections, filled in
 * order until a block or character budget runs out, after which the rest is summarised as
 * "…and N more" with the command that shows everything. Pure: events in, message out.
 */
import {
  type CloudEvent,
  EVENT_TYPES,
  type EventDataByType,
  isChangeEvent,
  isMembershipEvent,
  isPolicyEvent,
  isRoutingKeyEvent,
  isTeamEvent,
} from '../roster/events.js';
import { describeTargets } from '../roster/routing-keys.js';
import type { User } from '../roster/types.js';
import {
  blockTextLength,
  codeSpan,
  contextBlock,
  escapeMrkdwn,
  fallbackText,
  headerBlock,
  SLACK_LIMITS,
  type SlackBlock,
  type SlackMessage,
  sectionBlock,
  truncate,
} from './slack-blocks.js';

export interface PersonName {
  firstName: string | null;
  lastName: string | null;
}

export interface DigestOptions {
  /** The command that lists everything, e.g. `roster-watch history --since 2024-05-01T10:00:00.000Z`. */
  historyHint: string;
  /** Names for users that only appear in membership events, keyed by lower-cased username. */
  people?: ReadonlyMap<string, PersonName>;
}

interface Line {
  text: string;
  /** How many events the line stands for, so "…and N more" is exact. */
  count: number;
}

interface Group {
  title: string;
  lines: Line[];
}

/** Lines longer than this are split, so any single line fits in a section with room to spare. */
const LINE_MAX = 1_000;
const NAME_MAX = 80;
const VALUE_MAX = 60;
/** Kept free for the "…and N more" section. */
const RESERVED_CHARS = 400;

type Change<T extends keyof EventDataByType> = CloudEvent<T>;

function fullName(p: PersonName | undefined): string | null {
  const name = [p?.firstName, p?.lastName].filter((s): s is string => !!s && s.trim() !== '').join(' ');
  return name === '' ? null : name;
}

function createPersonLabeller(
  events: readonly CloudEvent[],
  people: ReadonlyMap<string, PersonName> | undefined,
) {
  const known = new Map<string, PersonName>(people ?? []);
  const remember = (u: User) => known.set(u.username.toLowerCase(), u);
  for (const e of events) {
    if (
      e.type === 'victorops.user.added' ||
      e.type === 'victorops.user.removed' ||
      e.type === 'victorops.user.registered'
    ) {
      remember((e as Change<'victorops.user.added'>).data.user);
    } else if (e.type === 'victorops.user.changed') {
      remember((e as Change<'victorops.user.changed'>).data.after);
    }
  }
  return (username: string): string => {
    const name = fullName(known.get(username.toLowerCase()));
    const label = name === null ? username : `${truncate(name, NAME_MAX)} (${username})`;
    return escapeMrkdwn(truncate(label, NAME_MAX * 2));
  };
}

function teamLabel(name: string): string {
  return `*${escapeMrkdwn(truncate(name.replace(/\*/g, ''), NAME_MAX))}*`;
}

/** "prefix: a, b, c" split into as many lines as needed to keep each under LINE_MAX. */
function chunkedLines(prefix: string, items: readonly string[]): Line[] {
  const lines: Line[] = [];
  let current: string[] = [];
  let length = prefix.length;
  for (const item of items) {
    if (current.length > 0 && length + item.length + 2 > LINE_MAX) {
      lines.push({ text: `${prefix}${current.join(', ')}`, count: current.length });
      current = [];
      length = prefix.length;
    }
    current.push(item);
    length += item.length + 2;
  }
  if (current.length > 0) lines.push({ text: `${prefix}${current.join(', ')}`, count: current.length });
  return lines;
}

function formatValue(value: string | boolean | null): string {
  return value === null ? '_none_' : codeSpan(String(value), VALUE_MAX);
}

/**
 * "field before → after". Two long values that share a beginning (a policy's steps, where step 3
 * changed) would both be cut to that same beginning, so both are shown from a little before the
 * first character where they differ, the shared part elided.
 */
function formatChange(c: {
  field: string;
  before: string | boolean | null;
  after: string | boolean | null;
}): string {
  let { before, after } = c;
  if (typeof before === 'string' && typeof after === 'string') {
    const longer = Math.max(before.length, after.length);
    let same = 0;
    while (same < before.length && same < after.length && before[same] === after[same]) same += 1;
    if (longer > VALUE_MAX && same > VALUE_MAX / 2) {
      // From the last word boundary a little before the difference, or from near it if none.
      const space = before.lastIndexOf(' ', same - 10);
      const from = space > 0 ? space : Math.max(0, same - 10);
      if (from > 0) {
        before = `…${before.slice(from).trimStart()}`;
        after = `…${after.slice(from).trimStart()}`;
      }
    }
  }
  return `${escapeMrkdwn(c.field)} ${formatValue(before)} → ${formatValue(after)}`;
}

function membershipGroup(events: readonly CloudEvent[], label: (u: string) => string): Group {
  const moves = events
    .filter((e) => e.type === 'victorops.membership.added' || e.type === 'victorops.membership.removed')
    .map((e) => {
      const d = (e as Change<'victorops.membership.added'>).data;
      return { joined: e.type === 'victorops.membership.added', username: d.username, team: d.team };
    });
  const teams = new Set(moves.map((m) => m.team.slug));
  const users = new Set(moves.map((m) => m.username.toLowerCase()));
  const byTeam = teams.size <= users.size;
  const groups = new Map<string, { heading: string; joined: string[]; left: string[] }>();
  for (const m of moves) {
    const key = byTeam ? m.team.slug : m.username.toLowerCase();
    const heading = byTeam ? teamLabel(m.team.name) : label(m.username);
    const entry = groups.get(key) ?? { heading, joined: [], left: [] };
    (m.joined ? entry.joined : entry.left).push(byTeam ? label(m.username) : teamLabel(m.team.name));
    groups.set(key, entry);
  }
  const lines: Line[] = [];
  for (const g of groups.values()) {
    if (g.joined.length > 0)
      lines.push(...chunkedLines(byTeam ? `• ${g.heading} + ` : `• ${g.heading} joined `, g.joined));
    if (g.left.length > 0)
      lines.push(...chunkedLines(byTeam ? `• ${g.heading} − ` : `• ${g.heading} left `, g.left));
  }
  return { title: byTeam ? 'Membership changes by team' : 'Membership changes by user', lines };
}

function userChangedLine(e: Change<'victorops.user.changed'>, label: (u: string) => string): Line {
  let text = `• ${label(e.data.username)}:`;
  const changes = e.data.changes;
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    const part = ` ${formatChange(c)}${i < changes.length - 1 ? ';' : ''}`;
    if (text.length + part.length > LINE_MAX - 40) {
      text += ` (+${changes.length - i} more fields)`;
      break;
    }
    text += part;
  }
  return { text, count: 1 };
}

function buildGroups(events: readonly CloudEvent[], label: (u: string) => string): Group[] {
  const of = <T extends keyof EventDataByType>(type: T) =>
    events.filter((e) => e.type === type) as Change<T>[];
  const userLine = (u: User): Line => ({
    text: `• ${label(u.username)}${u.email ? ` · ${escapeMrkdwn(truncate(u.email, NAME_MAX))}` : ''}`,
    count: 1,
  });
  const teamLine = (t: { name: string; slug: string }): Line => ({
    text: `• ${teamLabel(t.name)} ${codeSpan(t.slug, NAME_MAX)}`,
    count: 1,
  });
  // Every change type the digest has a section for; anything newer is counted, not dropped.
  const known = new Set<string>(EVENT_TYPES.filter(isChangeEvent));
  const policyLine = (sign: string, p: { name: string; slug: string }, detail = ''): Line => ({
    text: `• ${sign} ${teamLabel(p.name)} ${codeSpan(p.slug, NAME_MAX)}${detail}`,
    count: 1,
  });
  const keyLine = (sign: string, routingKey: string, detail = ''): Line => ({
    text: `• ${sign} ${codeSpan(routingKey, NAME_MAX)}${detail}`,
    count: 1,
  });
  return [
    { title: 'Users added', lines: of('victorops.user.added').map((e) => userLine(e.data.user)) },
    { title: 'Users removed', lines: of('victorops.user.removed').map((e) => userLine(e.data.user)) },
    { title: 'Users changed', lines: of('victorops.user.changed').map((e) => userChangedLine(e, label)) },
    {
      title: 'Invitations',
      lines: [
        ...of('victorops.user.invited').map((e) => ({
          ...userLine(e.data.user),
          text: `${userLine(e.data.user).text} · invited`,
        })),
        ...of('victorops.user.registered').map((e) => ({
          text: `• ${label(e.data.username)} registered (was ${escapeMrkdwn(truncate(e.data.invitedAs, NAME_MAX))})`,
          count: 1,
        })),
        ...of('victorops.user.invite_withdrawn').map((e) => ({
          ...userLine(e.data.user),
          text: `${userLine(e.data.user).text} · invitation withdrawn or expired`,
        })),
      ],
    },
    membershipGroup(events, label),
    { title: 'Teams added', lines: of('victorops.team.added').map((e) => teamLine(e.data.team)) },
    { title: 'Teams removed', lines: of('victorops.team.removed').map((e) => teamLine(e.data.team)) },
    {
      title: 'Teams changed',
      lines: of('victorops.team.changed').map((e) => ({
        text: `• ${codeSpan(e.data.slug, NAME_MAX)}: ${teamLabel(e.data.before.name)} → ${teamLabel(e.data.after.name)}`,
        count: 1,
      })),
    },
    {
      title: 'Escalation policies',
      lines: [
        ...of('victorops.policy.added').map((e) => policyLine('added', e.data.policy)),
        ...of('victorops.policy.changed').map((e) =>
          policyLine('changed', e.data.after, `: ${e.data.changes.map(formatChange).join('; ')}`),
        ),
        ...of('victorops.policy.removed').map((e) => policyLine('removed', e.data.policy)),
      ],
    },
    {
      title: 'Routing keys',
      lines: [
        ...of('victorops.routing_key.added').map((e) =>
          keyLine(
            'added',
            e.data.routingKey.routingKey,
            `: → ${escapeMrkdwn(truncate(describeTargets(e.data.routingKey.targets), LINE_MAX - 40))}`,
          ),
        ),
        ...of('victorops.routing_key.changed').map((e) =>
          keyLine('changed', e.data.routingKey, `: ${e.data.changes.map(formatChange).join('; ')}`),
        ),
        ...of('victorops.routing_key.removed').map((e) => keyLine('removed', e.data.routingKey.routingKey)),
      ],
    },
    {
      // Hints only (…42, @example.com): the events never carry a full number or address.
      title: 'Contact methods and paging policies',
      lines: [
        ...of('victorops.user.contact_methods_changed'),
        ...of('victorops.user.paging_policy_changed'),
      ].map((e) => ({ text: `• ${escapeMrkdwn(truncate(e.data.message, LINE_MAX - 10))}`, count: 1 })),
    },
    {
      title: 'Other changes',
      lines: events
        .filter((e) => !known.has(e.type))
        .map((e) => ({
          text: `• ${codeSpan(e.type, NAME_MAX)} ${escapeMrkdwn(truncate(e.subject, NAME_MAX))}`,
          count: 1,
        })),
    },
  ];
}

function countsSummary(events: readonly CloudEvent[]): string {
  const n = (pred: (t: string) => boolean) => events.filter((e) => pred(e.type)).length;
  const parts: [number, string, string][] = [
    [n((t) => t === 'victorops.user.added'), 'user added', 'users added'],
    [n((t) => t === 'victorops.user.removed'), 'user removed', 'users removed'],
    [n((t) => t === 'victorops.user.changed'), 'user changed', 'users changed'],
    [n((t) => t === 'victorops.user.registered'), 'user registered', 'users registered'],
    [
      n((t) => t === 'victorops.user.invited' || t === 'victorops.user.invite_withdrawn'),
      'invitation change',
      'invitation changes',
    ],
    [n(isMembershipEvent), 'membership change', 'membership changes'],
    [n(isTeamEvent), 'team change', 'team changes'],
    [n(isPolicyEvent), 'policy change', 'policy changes'],
    [n(isRoutingKeyEvent), 'routing key change', 'routing key changes'],
  ];
  const text = parts
    .filter(([count]) => count > 0)
    .map(([count, one, many]) => `${count} ${count === 1 ? one : many}`)
    .join(', ');
  return text === '' ? `${events.length} changes` : text;
}

export function formatRunDigest(events: readonly CloudEvent[], opts: DigestOptions): SlackMessage {
  const label = createPersonLabeller(events, opts.people);
  const summary = countsSummary(events);
  const first = events[0];
  const runText = first === undefined ? '' : ` in run ${first.runid}`;
  const header = headerBlock(`Roster drift: ${summary}`);
  const context = contextBlock(
    `${events.length} change${events.length === 1 ? '' : 's'}${runText}${first ? ` · ${escapeMrkdwn(first.time)}` : ''}`,
  );
  const blocks: SlackBlock[] = [header, context];
  let used = blockTextLength(header) + blockTextLength(context);
  let shown = 0;

  // Each group gets a fair share of what is left, so a run of 900 additions still shows its
  // removals; space a small group does not use passes on to the groups after it.
  let charLimit = 0;
  let blockLimit = 0;
  const canAdd = (text: string) => blocks.length < blockLimit && used + text.length <= charLimit;
  const push = (text: string) => {
    blocks.push(sectionBlock(text));
    used += text.length;
  };

  const groups = buildGroups(events, label).filter((g) => g.lines.length > 0);
  groups.forEach((group, index) => {
    const groupsLeft = groups.length - index;
    charLimit = used + Math.floor((SLACK_LIMITS.totalBlockText - RESERVED_CHARS - used) / groupsLeft);
    blockLimit =
      blocks.length + Math.max(1, Math.floor((SLACK_LIMITS.blocks - 1 - blocks.length) / groupsLeft));
    let text = `*${group.title}*`;
    let pending = 0;
    for (const line of group.lines) {
      const candidate = `${text}\n${line.text}`;
      if (candidate.length <= SLACK_LIMITS.sectionText && canAdd(candidate)) {
        text = candidate;
        pending += line.count;
        continue;
      }
      if (pending > 0) {
        push(text);
        shown += pending;
      }
      text = `*${group.title} (continued)*\n${line.text}`;
      pending = line.count;
      if (!canAdd(text)) {
        pending = 0;
        break;
      }
    }
    if (pending > 0) {
      push(text);
      shown += pending;
    }
  });

  const omitted = events.length - shown;
  const more = `…and ${omitted} more: \`${opts.historyHint.replace(/`/g, "'")}\``;
  if (omitted > 0) push(truncate(more, SLACK_LIMITS.sectionText));
  const fallback = `Roster drift${runText}: ${summary}${omitted > 0 ? ` (see ${opts.historyHint})` : ''}`;
  return { text: fallbackText(escapeMrkdwn(fallback)), blocks };
}

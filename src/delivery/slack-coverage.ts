/**
 * Slack messages for coverage findings: one notice per finding that appeared or resolved, and
 * one summary when a run produced many (see COVERAGE_NOTICE_MAX in roster/delivery-plan.ts). Pure.
 */

import type { FindingKind } from '../roster/coverage-types.js';
import { type CloudEvent, type CoverageEventData, isIdentityEvent } from '../roster/events.js';
import {
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

/** Every kind has a title: a Record over FindingKind makes a new kind without one a type error. */
const TITLES: Record<FindingKind, string> = {
  dangling_reference: 'Escalation policy pages a removed user',
  removed_user_on_call: 'Removed user still on call',
  team_without_members: 'Team without members',
  team_without_policy: 'Team without an escalation policy',
  empty_step: 'Escalation step pages nobody',
  unverified_on_call: 'On call but cannot be paged',
  nobody_on_call: 'Nobody on call',
  empty_policy: 'Escalation policy pages nobody',
  unreachable_on_call: 'On call but unreachable',
  email_only_paging: 'On call, reachable by email only',
  routing_key_unrouted: 'Routing key routes nowhere',
  routing_key_unstaffed: 'Routing key reaches nobody',
};

const LINE_MAX = 500;
/** Kept free for the "…and N more" line and the context. */
const RESERVED_CHARS = 400;

function dataOf(event: CloudEvent): CoverageEventData {
  return event.data as CoverageEventData;
}

export function coverageTitle(data: CoverageEventData): string {
  const title = TITLES[data.kind as FindingKind] ?? data.kind;
  return data.state === 'resolved' ? `✅ Resolved: ${title}` : `⚠️ ${title}`;
}

/** The notice for one coverage event: the actionable sentence, and how long it was open. */
export function formatCoverageNotice(event: CloudEvent): { title: string; body: string } {
  const d = dataOf(event);
  const body =
    d.state === 'resolved'
      ? `Fixed: ${escapeMrkdwn(truncate(d.message, LINE_MAX))} (open since ${escapeMrkdwn(d.firstSeen)}).`
      : `${escapeMrkdwn(truncate(d.message, LINE_MAX))}\nSee all open findings with \`roster-watch coverage\`.`;
  return { title: coverageTitle(d), body };
}

/** One message for a run's many findings: new ones first, then resolved, within Slack's limits. */
export function formatCoverageSummary(events: readonly CloudEvent[]): SlackMessage {
  const opened = events.filter((e) => dataOf(e).state === 'open');
  const resolved = events.filter((e) => dataOf(e).state === 'resolved');
  const parts = [
    opened.length > 0 ? `${opened.length} new` : '',
    resolved.length > 0 ? `${resolved.length} resolved` : '',
  ].filter((p) => p !== '');
  const first = events[0];
  // An identity sync's findings are summarised the same way, under their own name and command.
  const identity = first !== undefined && isIdentityEvent(first.type);
  const command = identity ? 'roster-watch identity' : 'roster-watch coverage';
  const title = `${identity ? 'Identity reconciliation' : 'Coverage audit'}: ${parts.join(', ')} finding${events.length === 1 ? '' : 's'}`;
  const blocks: SlackBlock[] = [headerBlock(title)];
  let used = title.length;
  let shown = 0;
  const budget = SLACK_LIMITS.totalBlockText - RESERVED_CHARS;
  const groups: [string, readonly CloudEvent[]][] = [
    ['*New findings*', opened],
    ['*Resolved*', resolved],
  ];
  for (const [heading, group] of groups) {
    let text: string = heading;
    let lines = 0;
    const flush = () => {
      if (lines === 0) return;
      blocks.push(sectionBlock(text));
      used += text.length;
      shown += lines;
    };
    for (const e of group) {
      const line = `• ${escapeMrkdwn(truncate(dataOf(e).message, LINE_MAX))}`;
      if (`${text}\n${line}`.length > SLACK_LIMITS.sectionText) {
        flush();
        text = `${heading} (continued)`;
        lines = 0;
      }
      if (used + text.length + line.length + 1 > budget || blocks.length >= SLACK_LIMITS.blocks - 3) break;
      text = `${text}\n${line}`;
      lines += 1;
    }
    flush();
  }
  const omitted = events.length - shown;
  if (omitted > 0) blocks.push(sectionBlock(`…and ${omitted} more: \`${command}\``));
  blocks.push(
    contextBlock(
      `roster-watch${first?.runid ? ` · run ${first.runid}` : ''}${first ? ` · ${escapeMrkdwn(first.time)}` : ''}`,
    ),
  );
  return { text: fallbackText(`${title}: run ${command} for the list`), blocks };
}

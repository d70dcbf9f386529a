/**
 * Slack Block Kit shapes and limits, and the text helpers that keep messages inside them.
 * Slack rejects a message over these limits outright (some, like the ~13.2k block-text limit,
 * are undocumented), so formatting stays a safe margin below each.
 */

import type {
  ContextBlock,
  DividerBlock,
  HeaderBlock,
  MrkdwnElement,
  PlainTextElement,
  SectionBlock,
} from '@slack/types';

/**
 * Every mrkdwn object roster-watch sends is `verbatim`: its text carries VictorOps names, and
 * without it Slack auto-links URLs, channel names and some mentions in plain text (Block Kit
 * text object reference, `verbatim`). Our own formatting (*bold*, `code`) still renders.
 */
export type SlackText = (MrkdwnElement & { verbatim: true }) | PlainTextElement;

/**
 * The Block Kit blocks roster-watch sends, as Slack's own types narrowed to what we use: a
 * section always has text, and text objects are never images, so length checks can read them.
 */
export type SlackBlock =
  | (Omit<HeaderBlock, 'text'> & { text: PlainTextElement & { emoji: boolean } })
  | (Omit<SectionBlock, 'text' | 'fields'> & { text: SlackText; fields?: SlackText[] })
  | (Omit<ContextBlock, 'elements'> & { elements: SlackText[] })
  | DividerBlock;

export interface SlackMessage {
  /** Plain fallback shown in notifications and by clients that cannot render blocks. */
  text: string;
  blocks: SlackBlock[];
}

export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3_000,
  fields: 10,
  fieldText: 2_000,
  contextElements: 10,
  /** Documented messages go to 40k, but block text past ~13.2k fails with msg_blocks_too_long. */
  totalBlockText: 12_000,
  fallbackText: 3_000,
} as const;

/** Slack mrkdwn treats &, < and > as control characters (links, mentions). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Cuts to at most `max` characters, marking the cut with an ellipsis. The cut falls at the last
 * word boundary that keeps at least half of the room, so a line never ends mid-word; one long word
 * (a URL, a slug) is cut where it must be.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const room = Math.max(0, max - 1);
  const head = text.slice(0, room);
  const boundary = text[room] === undefined || /\s/.test(text[room]) ? room : head.search(/\s\S*$/);
  const cut = boundary >= room / 2 ? head.slice(0, boundary) : head;
  return `${cut.trimEnd()}…`;
}

/** A value shown in a code span: a backtick inside would end the span early. */
export function codeSpan(value: string, max: number): string {
  return `\`${escapeMrkdwn(truncate(value.replace(/`/g, "'"), max))}\``;
}

export function blockTextLength(block: SlackBlock): number {
  switch (block.type) {
    case 'header':
      return block.text.text.length;
    case 'section':
      return block.text.text.length + (block.fields ?? []).reduce((sum, f) => sum + f.text.length, 0);
    case 'context':
      return block.elements.reduce((sum, e) => sum + e.text.length, 0);
    case 'divider':
      return 0;
  }
}

/** Every limit the message breaks, empty when Slack will accept it. */
export function findLimitViolations(message: SlackMessage): string[] {
  const problems: string[] = [];
  if (message.text.trim() === '') problems.push('empty fallback text');
  if (message.text.length > SLACK_LIMITS.fallbackText)
    problems.push(`fallback text ${message.text.length} chars`);
  if (message.blocks.length > SLACK_LIMITS.blocks) problems.push(`${message.blocks.length} blocks`);
  let total = 0;
  message.blocks.forEach((block, i) => {
    total += blockTextLength(block);
    if (block.type === 'header' && block.text.text.length > SLACK_LIMITS.headerText) {
      problems.push(`block ${i}: header ${block.text.text.length} chars`);
    }
    if (block.type === 'section') {
      if (block.text.text.length > SLACK_LIMITS.sectionText)
        problems.push(`block ${i}: section ${block.text.text.length} chars`);
      if (block.text.text.trim() === '') problems.push(`block ${i}: empty section`);
      const fields = block.fields ?? [];
      if (fields.length > SLACK_LIMITS.fields) problems.push(`block ${i}: ${fields.length} fields`);
      if (fields.some((f) => f.text.length > SLACK_LIMITS.fieldText))
        problems.push(`block ${i}: field too long`);
    }
    if (block.type === 'context' && block.elements.length > SLACK_LIMITS.contextElements) {
      problems.push(`block ${i}: ${block.elements.length} context elements`);
    }
  });
  if (total > SLACK_LIMITS.totalBlockText) problems.push(`block text ${total} chars`);
  return problems;
}

export function headerBlock(text: string): SlackBlock {
  return {
    type: 'header',
    text: { type: 'plain_text', text: truncate(text, SLACK_LIMITS.headerText), emoji: true },
  };
}

/** A mrkdwn text object that Slack renders literally (no auto-linking of names). */
export function mrkdwnText(text: string, max: number): SlackText {
  return { type: 'mrkdwn', text: truncate(text, max), verbatim: true };
}

export function sectionBlock(mrkdwn: string, fields?: string[]): SlackBlock {
  const text = mrkdwnText(mrkdwn, SLACK_LIMITS.sectionText);
  if (fields === undefined || fields.length === 0) return { type: 'section', text };
  return {
    type: 'section',
    text,
    fields: fields.slice(0, SLACK_LIMITS.fields).map((f) => mrkdwnText(f, SLACK_LIMITS.fieldText)),
  };
}

export function contextBlock(mrkdwn: string): SlackBlock {
  return {
    type: 'context',
    elements: [mrkdwnText(mrkdwn, SLACK_LIMITS.sectionText)],
  };
}

/** A fallback `text` from mrkdwn: Slack still parses it, so entities stay escaped. */
export function fallbackText(mrkdwn: string): string {
  const plain = mrkdwn.replace(/[*_`]/g, '').trim();
  return truncate(plain === '' ? 'roster-watch' : plain, SLACK_LIMITS.fallbackText);
}

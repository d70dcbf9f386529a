/**
 * VictorOps names must reach Slack as text, never as links or mentions: every mrkdwn text object
 * carries `verbatim: true` (Slack's Block Kit text object: without it URLs are auto-linked and
 * channel names link-ified), and &, <, > stay escaped so no manual link syntax survives either.
 */
import { describe, expect, it } from 'vitest';
import type { SlackBlock, SlackMessage } from '../../../src/delivery/slack-blocks.js';
import { formatRunDigest } from '../../../src/delivery/slack-digest.js';
import { formatNotice } from '../../../src/delivery/slack-notice.js';
import type { EventDraft } from '../../../src/roster/events.js';
import { aCloudEvent, aTeam, aUser, drafts } from '../../helpers/delivery-fixtures.js';

function textObjects(message: SlackMessage): { type: string; text: string; verbatim?: boolean }[] {
  return message.blocks.flatMap((block: SlackBlock) => {
    if (block.type === 'section') return [block.text, ...(block.fields ?? [])];
    if (block.type === 'context') return block.elements;
    if (block.type === 'header') return [block.text];
    return [];
  });
}

const hostile = aUser('mallory', {
  firstName: '#general https://evil.example/x',
  lastName: '@channel <!here>',
});
const team = aTeam('team-ops', '#ops <@U123|boss>');

describe('Slack text from VictorOps', () => {
  it('is sent in verbatim mrkdwn (or plain_text) in digests and notices, with <, > and & escaped', () => {
    const list: EventDraft[] = [drafts.userAdded(hostile), drafts.membershipAdded('mallory', team)];
    const messages = [
      formatRunDigest(
        list.map((d, i) => aCloudEvent(d, i + 1, 7)),
        { historyHint: 'roster-watch history' },
      ),
      formatNotice(aCloudEvent(drafts.baseline(), 3, 7)),
    ];
    for (const message of messages) {
      const objects = textObjects(message);
      expect(objects.length).toBeGreaterThan(0);
      for (const object of objects) {
        if (object.type === 'mrkdwn') expect(object, object.text).toMatchObject({ verbatim: true });
        else expect(object.type).toBe('plain_text');
      }
    }
    const digest = JSON.stringify(messages[0]?.blocks);
    expect(digest).toContain('@channel &lt;!here&gt;');
    expect(digest).not.toContain('<!here>');
    expect(digest).not.toContain('<@U123');
  });
});

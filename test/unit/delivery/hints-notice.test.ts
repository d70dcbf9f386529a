import { describe, expect, it } from 'vitest';
import { findLimitViolations } from '../../../src/delivery/slack-blocks.js';
import { formatNotice } from '../../../src/delivery/slack-notice.js';
import type { EventDraft } from '../../../src/roster/events.js';
import { aCloudEvent } from '../../helpers/delivery-fixtures.js';
import { assertValidEvent } from '../../helpers/event-schema.js';

const draft: EventDraft = {
  type: 'rosterwatch.hints.unreliable',
  subject: 'hints',
  data: {
    team: { slug: 'team-00VkR4NvJvM5h9Ae', name: 'Infra <b>' },
    teamsWithUnannouncedChanges: 1,
    listedMemberCount: 4,
    readMemberCount: 5,
    detectedAt: '2026-06-01T12:00:00.000Z',
    message:
      'team "Infra" is listed with memberCount 4 in GET /v1/team but its members read 5; every poll now reads every team until the counts agree for a whole verify interval',
  },
};

describe('rosterwatch.hints.unreliable', () => {
  it('matches the event schema', () => {
    assertValidEvent(aCloudEvent(draft, 1));
  });

  it('tells Slack which team, what it costs and how to trust the hints again', () => {
    const message = formatNotice(aCloudEvent(draft, 1));
    expect(findLimitViolations(message)).toEqual([]);
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('Membership hints proved unreliable');
    expect(text).toContain('Infra');
    expect(text).not.toContain('<b>');
    expect(text).toContain('roster-watch hints --reset');
    // The two counts that disagree, and that the product recovers on its own.
    expect(text).toContain('`memberCount` 4, but reading its members gave 5');
    expect(text).toContain('followed again on their own');
  });
});

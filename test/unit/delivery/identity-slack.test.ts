import { describe, expect, it } from 'vitest';
import { findLimitViolations } from '../../../src/delivery/slack-blocks.js';
import { formatCoverageSummary } from '../../../src/delivery/slack-coverage.js';
import { formatNotice } from '../../../src/delivery/slack-notice.js';
import { COVERAGE_NOTICE_MAX, planDeliveries } from '../../../src/roster/delivery-plan.js';
import type { CloudEvent, IdentityEventData } from '../../../src/roster/events.js';
import { aCloudEvent } from '../../helpers/delivery-fixtures.js';

const slack = [{ name: 'slack', kind: 'slack' as const, events: [] }];

function leaverEvent(i: number, state: 'open' | 'resolved' = 'open'): CloudEvent {
  const data: IdentityEventData<'identity.inactive'> = {
    kind: 'identity.inactive',
    key: `identity.inactive:user${i}`,
    username: `user${i}`,
    email: `user${i}@example.com`,
    matchedBy: 'email',
    identities: [
      {
        source: 'okta',
        id: `00u${i}`,
        email: `user${i}@example.com`,
        displayName: null,
        status: 'DEPROVISIONED',
        statusChangedAt: null,
      },
    ],
    activeElsewhere: [],
    statusUnknown: null,
    pending: false,
    exposure: { teams: [], policies: [], shifts: [], shiftCount: 0 },
    state,
    message: `user${i} left (Okta: DEPROVISIONED 3 days ago) but is still paged by Payments <primary>`,
    firstSeen: '2026-03-03T14:05:00.000Z',
    resolvedAt: state === 'resolved' ? '2026-03-04T00:00:00.000Z' : null,
  };
  return aCloudEvent({ type: 'rosterwatch.identity.inactive', subject: `user${i}`, data }, i, 9);
}

describe('identity findings in Slack', () => {
  it('a notice says who left, what still pages them, and escapes mrkdwn', () => {
    const message = formatNotice(leaverEvent(1));
    expect(message.text).toContain('Leaver still in VictorOps');
    expect(JSON.stringify(message.blocks)).toContain(
      'user1 left (Okta: DEPROVISIONED 3 days ago) but is still paged by Payments &lt;primary&gt;',
    );
    expect(formatNotice(leaverEvent(1, 'resolved')).text).toMatch(/^✅ Resolved: Leaver still in VictorOps/);
    expect(findLimitViolations(message)).toEqual([]);
  });

  it('a sync with many findings reaches Slack as one summary naming the identity command', () => {
    const many = Array.from({ length: COVERAGE_NOTICE_MAX + 1 }, (_, i) => ({
      sequence: i + 1,
      type: 'rosterwatch.identity.unmatched',
      runId: 9,
    }));
    expect(planDeliveries(many, slack).map((d) => d.kind)).toEqual(['coverage']);
    const few = many.slice(0, COVERAGE_NOTICE_MAX);
    expect(planDeliveries(few, slack).map((d) => d.kind)).toEqual(few.map(() => 'event'));
    const summary = formatCoverageSummary(Array.from({ length: 40 }, (_, i) => leaverEvent(i)));
    expect(summary.text).toMatch(/^Identity reconciliation: 40 new findings: run roster-watch identity/);
    expect(findLimitViolations(summary)).toEqual([]);
  });
});

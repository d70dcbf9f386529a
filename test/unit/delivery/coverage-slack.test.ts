import { describe, expect, it } from 'vitest';
import { findLimitViolations } from '../../../src/delivery/slack-blocks.js';
import { formatCoverageSummary } from '../../../src/delivery/slack-coverage.js';
import { formatNotice } from '../../../src/delivery/slack-notice.js';
import { COVERAGE_NOTICE_MAX, planDeliveries } from '../../../src/roster/delivery-plan.js';
import type { CloudEvent, CoverageEventData } from '../../../src/roster/events.js';
import { aCloudEvent } from '../../helpers/delivery-fixtures.js';

const slack = [{ name: 'slack', kind: 'slack' as const, events: [] }];
const hook = [{ name: 'hook', kind: 'webhook' as const, events: [] }];

function danglingEvent(i: number, state: 'open' | 'resolved' = 'open'): CloudEvent {
  const data: CoverageEventData<'dangling_reference'> = {
    kind: 'dangling_reference',
    key: `dangling_reference:pol-${i}:2:user${i}`,
    policy: { slug: `pol-${i}`, name: `Policy ${i} <&>` },
    team: { slug: 'team-a', name: 'A' },
    step: 2,
    username: `user${i}`,
    removedAt: '2026-03-03T14:05:00.000Z',
    state,
    message: `Escalation policy 'Policy ${i} <&>' (team A), step 2, still pages user${i}, removed at 2026-03-03 14:05 UTC: replace user${i} in that step.${'x'.repeat(i % 7 === 0 ? 400 : 0)}`,
    firstSeen: '2026-03-03T14:05:00.000Z',
    resolvedAt: state === 'resolved' ? '2026-03-04T00:00:00.000Z' : null,
  };
  return aCloudEvent({ type: 'rosterwatch.coverage.dangling_reference', subject: `user${i}`, data }, i, 7);
}

const routable = (n: number, runId = 7) =>
  Array.from({ length: n }, (_, i) => ({ sequence: i + 1, type: 'rosterwatch.coverage.empty_step', runId }));

describe('coverage delivery', () => {
  it(`a run with up to ${COVERAGE_NOTICE_MAX} findings sends one Slack notice each`, () => {
    const planned = planDeliveries(routable(COVERAGE_NOTICE_MAX), slack);
    expect(planned.map((p) => p.kind)).toEqual(Array(COVERAGE_NOTICE_MAX).fill('event'));
  });

  it('a burst becomes one Slack summary, while webhooks still get every event', () => {
    const events = [...routable(40), { sequence: 41, type: 'victorops.user.removed', runId: 7 }];
    const toSlack = planDeliveries(events, slack);
    expect(toSlack.map((p) => [p.kind, p.eventSequence])).toEqual([
      ['coverage', 1],
      ['digest', 41],
    ]);
    expect(planDeliveries(events, hook)).toHaveLength(41);
  });

  it('a notice carries the actionable sentence', () => {
    const message = formatNotice(danglingEvent(1));
    expect(message.text).toContain(
      "Escalation policy 'Policy 1 &lt;&amp;&gt;' (team A), step 2, still pages user1",
    );
    expect(findLimitViolations(message)).toEqual([]);
    expect(formatNotice(danglingEvent(1, 'resolved')).blocks[0]).toMatchObject({
      text: { text: '✅ Resolved: Escalation policy pages a removed user' },
    });
  });

  it.each([4, 60, 2_000])(
    'a summary of %i findings stays within Slack limits and counts what it leaves out',
    (n) => {
      const events = Array.from({ length: n }, (_, i) =>
        danglingEvent(i + 1, i % 5 === 0 ? 'resolved' : 'open'),
      );
      const message = formatCoverageSummary(events);
      expect(findLimitViolations(message)).toEqual([]);
      const text = JSON.stringify(message.blocks);
      const shown = (text.match(/still pages user/g) ?? []).length;
      const more = /…and (\d+) more/.exec(text);
      expect(shown + Number(more?.[1] ?? 0)).toBe(n);
    },
  );
});

import { afterEach, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../../src/delivery/dispatcher.js';
import type { SlackMessage } from '../../../src/delivery/slack-blocks.js';
import { findLimitViolations } from '../../../src/delivery/slack-blocks.js';
import { createSilentLogger } from '../../../src/logger.js';
import { computeFindings, diffFindings } from '../../../src/roster/coverage.js';
import { findingEvents } from '../../../src/roster/coverage-events.js';
import type { Policy } from '../../../src/roster/policy-types.js';
import { renderSlackMessage, startSlackReceiver } from '../../../src/simulator/receivers/slack-receiver.js';
import { aRoster } from '../../helpers/builders.js';
import {
  aDeliveryConfig,
  aTeam,
  aUser,
  commitRun,
  createTempStore,
  TEST_SOURCE,
} from '../../helpers/delivery-fixtures.js';
import { createFakeClock } from '../../helpers/fake-clock.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const NOW = '2026-03-03T14:05:00.000Z';

function danglingDrafts(count: number) {
  const team = aTeam('team-db', 'DB');
  const policies: Policy[] = Array.from({ length: count }, (_, i) => ({
    slug: `pol-${i}`,
    name: `DB Primary ${i}`,
    teamSlug: team.slug,
    steps: [
      { index: 1, timeout: 5, entries: [{ kind: 'user', username: 'alice' }] },
      { index: 2, timeout: 5, entries: [{ kind: 'user', username: 'jdoe' }] },
    ],
  }));
  const roster = aRoster({ users: [aUser('alice')], teams: [team], memberships: [['alice', team.slug]] });
  const findings = computeFindings({
    roster,
    policies,
    schedules: [],
    removedUsers: new Map([['jdoe', NOW]]),
    now: NOW,
  });
  return findingEvents(diffFindings([], findings), NOW);
}

async function setup() {
  const slack = await startSlackReceiver({ host: '127.0.0.1', port: 0 });
  const t = createTempStore();
  const clock = createFakeClock();
  const config = aDeliveryConfig(t.dir, t.path, { slackUrl: `${slack.url}/services/T/B/x` });
  const dispatcher = createDispatcher({
    store: t.store,
    config,
    logger: createSilentLogger(),
    clock,
    source: TEST_SOURCE,
  });
  cleanups.push(
    () => slack.close(),
    t.cleanup,
    () => dispatcher.stop(),
  );
  return { slack, t, config, dispatcher, clock };
}

describe('coverage findings in Slack', () => {
  it('one actionable message per new finding', async () => {
    const { slack, t, config, dispatcher, clock } = await setup();
    commitRun(t.store, config, danglingDrafts(1), clock.now());
    expect(await dispatcher.runOnce()).toMatchObject({ delivered: 1 });
    const text = renderSlackMessage(slack.messages[0]!);
    expect(text).toContain(
      "Escalation policy 'DB Primary 0' (team DB), step 2, still pages jdoe, removed at 2026-03-03 14:05 UTC",
    );
  });

  it('a burst of findings from one run is one summary message within Slack limits', async () => {
    const { slack, t, config, dispatcher, clock } = await setup();
    commitRun(t.store, config, danglingDrafts(300), clock.now());
    expect(await dispatcher.runOnce()).toMatchObject({ delivered: 1 });
    expect(slack.messages).toHaveLength(1);
    expect(findLimitViolations(slack.messages[0] as SlackMessage)).toEqual([]);
    const text = renderSlackMessage(slack.messages[0]!);
    expect(text).toContain('Coverage audit: 300 new findings');
    expect(text).toMatch(/…and \d+ more: `roster-watch coverage`/);
  });
});

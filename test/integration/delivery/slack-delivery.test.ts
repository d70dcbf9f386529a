import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.js';
import { createDispatcher } from '../../../src/delivery/dispatcher.js';
import type { ReceiverReply } from '../../../src/delivery/receiver.js';
import type { SlackMessage } from '../../../src/delivery/slack-blocks.js';
import { findLimitViolations } from '../../../src/delivery/slack-blocks.js';
import {
  renderSlackMessage,
  type SlackReceiver,
  startSlackReceiver,
} from '../../../src/delivery/slack-receiver.js';
import type { Logger } from '../../../src/logger.js';
import { createSilentLogger } from '../../../src/logger.js';
import { listDeliveries } from '../../../src/store/outbox-reads.js';
import { createCapturingLogger } from '../../helpers/capture-logger.js';
import {
  aDeliveryConfig,
  aTeam,
  aUser,
  commitRun,
  createTempStore,
  drafts,
  TEST_SOURCE,
  waitFor,
} from '../../helpers/delivery-fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function slackSetup(options: {
  respond?: (message: SlackMessage, index: number) => ReceiverReply | Promise<ReceiverReply>;
  env?: Record<string, string>;
  logger?: Logger;
}) {
  const slack: SlackReceiver = await startSlackReceiver({
    host: '127.0.0.1',
    port: 0,
    ...(options.respond ? { respond: options.respond } : {}),
  });
  cleanups.push(() => slack.close());
  const t = createTempStore();
  // A path with a token in it, like a real Slack webhook URL, to prove it never reaches logs.
  const url = `${slack.url}/services/T000/B000/secret-token-xyz`;
  const config = aDeliveryConfig(t.dir, t.path, {
    slackUrl: url,
    ...(options.env ? { env: options.env } : {}),
  });
  const dispatcher = createDispatcher({
    store: t.store,
    config,
    logger: options.logger ?? createSilentLogger(),
    clock: systemClock,
    source: TEST_SOURCE,
  });
  cleanups.push(t.cleanup, () => dispatcher.stop());
  return { slack, t, config, dispatcher };
}

describe('Slack delivery', () => {
  it('sends one digest per run and one message per notice, in order', async () => {
    const { slack, t, config, dispatcher } = await slackSetup({});
    const team = aTeam('team-p', 'Platform');
    commitRun(t.store, config, [
      drafts.userAdded(aUser('jdoe', { firstName: 'Jane', lastName: 'Doe' })),
      drafts.membershipAdded('jdoe', team),
    ]);
    commitRun(t.store, config, [drafts.baseline()]);
    commitRun(t.store, config, [drafts.teamAdded(aTeam('team-q', 'Q'))]);
    const pass = await dispatcher.runOnce();
    expect(pass).toMatchObject({ attempted: 3, delivered: 3 });
    expect(slack.messages).toHaveLength(3);
    expect(slack.messages.every((m) => findLimitViolations(m).length === 0)).toBe(true);
    const [digest, notice, second] = slack.messages.map(renderSlackMessage);
    expect(digest).toContain('1 user added, 1 membership change');
    expect(digest).toContain('Jane Doe (jdoe)');
    expect(notice).toContain('Roster baseline recorded');
    expect(second).toContain('1 team change');
  });

  it('waits for Retry-After after a 429, then delivers', async () => {
    const { slack, t, config, dispatcher } = await slackSetup({
      respond: (_m, index) =>
        index === 0
          ? { status: 429, headers: { 'retry-after': '1' }, body: 'rate_limited' }
          : { status: 200, body: 'ok' },
    });
    commitRun(t.store, config, [drafts.userAdded(aUser('a'))]);
    commitRun(t.store, config, [drafts.userAdded(aUser('b'))]);
    const pass = await dispatcher.runOnce();
    // The 429 pauses the whole Slack destination: the second digest is not even tried.
    expect(pass).toMatchObject({ attempted: 1, failed: 1 });
    expect((await dispatcher.runOnce()).attempted).toBe(0);
    dispatcher.start();
    await waitFor(() => slack.messages.length === 2, 'the delivery after Retry-After');
    expect(slack.requestTimes[1]! - slack.requestTimes[0]!).toBeGreaterThanOrEqual(950);
    const rows = listDeliveries(t.store, { limit: 10 });
    expect(rows.every((r) => r.status === 'delivered')).toBe(true);
    const codes = t.store.sqlite
      .prepare('SELECT status_code FROM delivery_attempts ORDER BY id')
      .pluck()
      .all();
    expect(codes).toEqual([429, 200, 200]);
  });

  it('marks a delivery dead on 404 and logs the problem without the URL', async () => {
    const { logger, lines } = createCapturingLogger();
    const { slack, t, config, dispatcher } = await slackSetup({
      respond: () => ({ status: 404, body: 'no_service' }),
      logger,
    });
    commitRun(t.store, config, [drafts.userAdded(aUser('a'))]);
    const pass = await dispatcher.runOnce();
    expect(pass).toMatchObject({ attempted: 1, dead: 1 });
    expect(slack.messages).toHaveLength(0);
    const [row] = listDeliveries(t.store, { limit: 1 });
    expect(row).toMatchObject({ status: 'dead', attempts: 1, lastStatusCode: 404 });
    expect(row!.lastError).toContain('no_service');
    const logged = lines().join('\n');
    expect(logged).toContain('Slack answered 404 no_service: the incoming webhook was removed or disabled');
    expect(logged).not.toContain('secret-token-xyz');
    expect(JSON.stringify(listDeliveries(t.store, { limit: 10 }))).not.toContain('secret-token-xyz');
  });

  it('retries 5xx', async () => {
    const { slack, t, config, dispatcher } = await slackSetup({
      respond: (_m, index) => (index === 0 ? { status: 503, body: 'down' } : { status: 200, body: 'ok' }),
    });
    commitRun(t.store, config, [drafts.userAdded(aUser('a'))]);
    expect(await dispatcher.runOnce()).toMatchObject({ failed: 1 });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await dispatcher.runOnce()).toMatchObject({ delivered: 1 });
    expect(slack.messages).toHaveLength(1);
  });

  it('never sends more than one message per minimum interval', async () => {
    const { slack, t, config, dispatcher } = await slackSetup({ env: { SLACK_MIN_INTERVAL_MS: '200' } });
    for (let i = 0; i < 4; i++) commitRun(t.store, config, [drafts.userAdded(aUser(`u${i}`))]);
    await dispatcher.runOnce();
    expect(slack.messages).toHaveLength(4);
    const gaps = slack.requestTimes.slice(1).map((time, i) => time - slack.requestTimes[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(190);
  });
});

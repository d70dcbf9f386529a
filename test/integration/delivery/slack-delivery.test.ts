import { afterEach, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../../src/delivery/dispatcher.js';
import type { SlackMessage as SentSlackMessage } from '../../../src/delivery/slack-blocks.js';
import { findLimitViolations } from '../../../src/delivery/slack-blocks.js';
import type { Logger } from '../../../src/logger.js';
import { createSilentLogger } from '../../../src/logger.js';
import type { ReceiverReply } from '../../../src/simulator/receivers/local-http.js';
import {
  type SlackMessage as ReceivedSlackMessage,
  renderSlackMessage,
  type SlackReceiver,
  startSlackReceiver,
} from '../../../src/simulator/receivers/slack-receiver.js';
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
} from '../../helpers/delivery-fixtures.js';
import { createFakeClock } from '../../helpers/fake-clock.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function slackSetup(options: {
  respond?: (message: ReceivedSlackMessage, index: number) => ReceiverReply | Promise<ReceiverReply>;
  env?: Record<string, string>;
  logger?: Logger;
}) {
  const clock = createFakeClock();
  const slack: SlackReceiver = await startSlackReceiver({
    host: '127.0.0.1',
    port: 0,
    clock,
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
    clock,
    source: TEST_SOURCE,
    // Jitter in the middle, so a retry is due exactly at its schedule's entry.
    random: () => 0.5,
  });
  cleanups.push(t.cleanup, () => dispatcher.stop());
  const commit = (list: Parameters<typeof commitRun>[2]) => commitRun(t.store, config, list, clock.now());
  return { slack, t, dispatcher, clock, commit };
}

describe('Slack delivery', () => {
  it('sends one digest per run and one message per notice, in order', async () => {
    const { slack, dispatcher, commit } = await slackSetup({});
    const team = aTeam('team-p', 'Platform');
    commit([
      drafts.userAdded(aUser('jdoe', { firstName: 'Jane', lastName: 'Doe' })),
      drafts.membershipAdded('jdoe', team),
    ]);
    commit([drafts.baseline()]);
    commit([drafts.teamAdded(aTeam('team-q', 'Q'))]);
    const pass = await dispatcher.runOnce();
    expect(pass).toMatchObject({ attempted: 3, delivered: 3 });
    expect(slack.messages).toHaveLength(3);
    expect(slack.messages.every((m) => findLimitViolations(m as SentSlackMessage).length === 0)).toBe(true);
    const [digest, notice, second] = slack.messages.map(renderSlackMessage);
    expect(digest).toContain('1 user added, 1 membership change');
    expect(digest).toContain('Jane Doe (jdoe)');
    expect(notice).toContain('Roster baseline recorded');
    expect(second).toContain('1 team change');
  });

  it('waits for Retry-After after a 429, then delivers', async () => {
    const { slack, t, dispatcher, clock, commit } = await slackSetup({
      respond: (_m, index) =>
        index === 0
          ? { status: 429, headers: { 'retry-after': '1' }, body: 'rate_limited' }
          : { status: 200, body: 'ok' },
    });
    commit([drafts.userAdded(aUser('a'))]);
    commit([drafts.userAdded(aUser('b'))]);
    const pass = await dispatcher.runOnce();
    // The 429 pauses the whole Slack destination: the second digest is not even tried.
    expect(pass).toMatchObject({ attempted: 1, failed: 1 });
    expect((await dispatcher.runOnce()).attempted).toBe(0);
    // One millisecond short of the Retry-After, Slack is still paused and nothing is sent.
    await clock.advance(999);
    expect((await dispatcher.runOnce()).attempted).toBe(0);
    expect(slack.requestTimes).toHaveLength(1);
    await clock.advance(1);
    expect(await dispatcher.runOnce()).toMatchObject({ attempted: 2, delivered: 2 });
    expect(slack.messages).toHaveLength(2);
    expect(slack.requestTimes[1]! - slack.requestTimes[0]!).toBe(1_000);
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
    const { slack, t, dispatcher, commit } = await slackSetup({
      respond: () => ({ status: 404, body: 'no_service' }),
      logger,
    });
    commit([drafts.userAdded(aUser('a'))]);
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
    const { slack, dispatcher, clock, commit } = await slackSetup({
      respond: (_m, index) => (index === 0 ? { status: 503, body: 'down' } : { status: 200, body: 'ok' }),
    });
    commit([drafts.userAdded(aUser('a'))]);
    expect(await dispatcher.runOnce()).toMatchObject({ failed: 1 });
    // The second attempt is due after the schedule's 50 ms (jitter pinned to the middle), not before.
    await clock.advance(49);
    expect((await dispatcher.runOnce()).attempted).toBe(0);
    await clock.advance(1);
    expect(await dispatcher.runOnce()).toMatchObject({ delivered: 1 });
    expect(slack.messages).toHaveLength(1);
  });

  it('never sends more than one message per minimum interval', async () => {
    const { slack, dispatcher, clock, commit } = await slackSetup({
      env: { SLACK_MIN_INTERVAL_MS: '200' },
    });
    for (let i = 0; i < 4; i++) commit([drafts.userAdded(aUser(`u${i}`))]);
    // The pass waits on the clock between sends; the fake clock moves to each wait's end.
    expect(await clock.runUntilSettled(dispatcher.runOnce())).toMatchObject({ delivered: 4 });
    expect(slack.messages).toHaveLength(4);
    const gaps = slack.requestTimes.slice(1).map((time, i) => time - slack.requestTimes[i]!);
    expect(gaps).toEqual([200, 200, 200]);
  });
});

/**
 * Endpoints that echo the request back: a Slack stand-in that puts the webhook path (and with it
 * the token) into its error bodies, and a webhook receiver that echoes its full URL with a query
 * token. Neither token may reach the attempts table, the outbox rows or a log line; of a Slack
 * body only the status and a short error code are kept.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../../src/delivery/dispatcher.js';
import { listDeliveries } from '../../../src/store/outbox-reads.js';
import { createCapturingLogger } from '../../helpers/capture-logger.js';
import {
  aDeliveryConfig,
  aUser,
  aWebhookSecret,
  commitRun,
  createTempStore,
  drafts,
  TEST_SOURCE,
} from '../../helpers/delivery-fixtures.js';
import { createFakeClock } from '../../helpers/fake-clock.js';

let server: Server | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  server?.closeAllConnections();
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
  server = undefined;
});

/** Answers every POST with `status` and a body that echoes the full request URL, as some proxies do. */
async function startEchoingEndpoint(statuses: number[]): Promise<string> {
  let index = 0;
  server = createServer((req, res) => {
    req.resume();
    const status = statuses[Math.min(index++, statuses.length - 1)]!;
    const echoed = `http://${req.headers.host}${req.url}`;
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(`error handling POST ${echoed} (path ${req.url})`);
  });
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function storedTexts(t: ReturnType<typeof createTempStore>): string {
  const attempts = t.store.sqlite.prepare('SELECT error FROM delivery_attempts').pluck().all();
  return JSON.stringify([attempts, listDeliveries(t.store, { limit: 100 })]);
}

async function deliverTo(options: { slackUrl?: string; webhookUrl?: string }) {
  const t = createTempStore();
  cleanups.push(t.cleanup);
  const config = aDeliveryConfig(t.dir, t.path, {
    ...(options.slackUrl ? { slackUrl: options.slackUrl } : {}),
    ...(options.webhookUrl
      ? { webhooks: [{ name: 'siem', url: options.webhookUrl, secret: aWebhookSecret() }] }
      : {}),
  });
  const capture = createCapturingLogger();
  const clock = createFakeClock();
  const dispatcher = createDispatcher({
    store: t.store,
    config,
    logger: capture.logger,
    clock,
    source: TEST_SOURCE,
  });
  commitRun(t.store, config, [drafts.userAdded(aUser('a'))], clock.now());
  await dispatcher.runOnce();
  // Past the second attempt's 50 ms ± 20% jitter, so the endpoint's second answer is seen too.
  await clock.advance(100);
  await dispatcher.runOnce();
  await dispatcher.stop();
  return { t, logs: capture.lines().join('\n') };
}

describe('tokens echoed back by endpoints', () => {
  it('Slack: a 5xx and a 4xx that echo /services/T…/B…/token keep only the status and the error code', async () => {
    const origin = await startEchoingEndpoint([503, 400]);
    const { t, logs } = await deliverTo({ slackUrl: `${origin}/services/T000/B000/slack-tok3n` });
    const stored = storedTexts(t);
    for (const text of [stored, logs]) {
      expect(text).not.toContain('slack-tok3n');
      expect(text).not.toContain('/services/T000');
    }
    const errors = t.store.sqlite.prepare('SELECT error FROM delivery_attempts ORDER BY id').pluck().all();
    expect(errors).toEqual(['Slack answered 503', 'Slack answered 400: the message will not be retried']);
  });

  it('webhooks: an error page echoing the URL path and query is stored and logged without them', async () => {
    const origin = await startEchoingEndpoint([500]);
    const { t, logs } = await deliverTo({ webhookUrl: `${origin}/ingest/path-tok3n?sig=query-tok3n` });
    const stored = storedTexts(t);
    for (const text of [stored, logs]) {
      expect(text).not.toMatch(/tok3n/);
    }
    const [first] = t.store.sqlite.prepare('SELECT error FROM delivery_attempts ORDER BY id').pluck().all();
    expect(first).toBe(`HTTP 500: error handling POST ${origin}/… (path /…)`);
  });

  it('webhooks: a 410 that echoes the URL leaves no path or query in the attempt, the endpoint state, events or logs', async () => {
    const origin = await startEchoingEndpoint([410]);
    const { t, logs } = await deliverTo({ webhookUrl: `${origin}/ingest/path-tok3n?sig=query-tok3n` });
    const reason = t.store.sqlite.prepare('SELECT disabled_reason FROM destinations').pluck().get();
    expect(reason).toBe('the endpoint answered 410 Gone');
    const attempt = t.store.sqlite.prepare('SELECT error FROM delivery_attempts').pluck().get();
    expect(attempt).toBe(`HTTP 410: error handling POST ${origin}/… (path /…)`);
    expect(JSON.stringify(t.store.sqlite.prepare('SELECT * FROM events').all())).not.toMatch(/tok3n/);
    expect(logs).not.toMatch(/tok3n/);
  });
});

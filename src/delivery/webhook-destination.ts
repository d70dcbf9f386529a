/** A signed-webhook destination: one configured URL and secret, several sends in flight. */
import { type DestinationPlugin, LEASE_MARGIN_MS } from './destination-runtime.js';
import { createWebhookSender } from './webhook-sender.js';

export const webhookDestination: DestinationPlugin<'webhook'> = {
  kind: 'webhook',
  create(name, deps) {
    const { delivery } = deps;
    const webhook = delivery.webhooks.find((w) => w.name === name);
    if (webhook === undefined) return null;
    const sender = createWebhookSender({
      url: webhook.url,
      secret: webhook.secret,
      timeoutMs: delivery.webhookTimeoutMs,
      agent: deps.agent,
      clock: deps.clock,
    });
    return {
      concurrency: delivery.concurrencyPerDestination,
      leaseMs: delivery.webhookTimeoutMs + LEASE_MARGIN_MS,
      minIntervalMs: 0,
      send: (row) => sender.send({ id: row.eventId, body: row.envelope }),
    };
  },
};

import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.js';
import { createDestinationRuntimes, DESTINATION_PLUGINS } from '../../../src/delivery/destinations.js';
import {
  aDeliveryConfig,
  aWebhookSecret,
  createTempStore,
  type TempStore,
} from '../../helpers/delivery-fixtures.js';

const stores: TempStore[] = [];
const agent = new Agent();
afterEach(() => {
  for (const t of stores.splice(0)) t.cleanup();
});

describe('destination registry', () => {
  it('has one plugin per destination kind, under its own kind', () => {
    for (const [kind, plugin] of Object.entries(DESTINATION_PLUGINS)) expect(plugin.kind).toBe(kind);
  });

  it('builds one runtime per configured destination, in routing order, with its kind’s pacing', () => {
    const t = createTempStore();
    stores.push(t);
    const secret = aWebhookSecret();
    const config = aDeliveryConfig(t.dir, ':memory:', {
      webhooks: [
        { name: 'audit', url: 'https://audit.example.com/hook', secret },
        { name: 'siem', url: 'https://siem.example.com/hook', secret, events: ['victorops.user.*'] },
      ],
      slackUrl: 'https://hooks.slack.com/services/T000/B000/XXXX',
    });
    const runtimes = createDestinationRuntimes({ store: t.store, config, clock: systemClock, agent });
    expect(runtimes.map((r) => [r.spec.name, r.spec.kind, r.concurrency, r.minIntervalMs])).toEqual([
      ['audit', 'webhook', config.delivery.concurrencyPerDestination, 0],
      ['siem', 'webhook', config.delivery.concurrencyPerDestination, 0],
      ['slack', 'slack', 1, config.delivery.slack?.minIntervalMs],
    ]);
    expect(runtimes[1]?.spec.events).toEqual(['victorops.user.*']);
    expect(
      createDestinationRuntimes({
        store: t.store,
        config: aDeliveryConfig(t.dir, ':memory:', {}),
        clock: systemClock,
        agent,
      }),
    ).toEqual([]);
  });

  it('builds the events file one append at a time, after the webhooks', () => {
    const t = createTempStore();
    stores.push(t);
    const config = aDeliveryConfig(t.dir, ':memory:', {
      webhooks: [{ name: 'audit', url: 'https://audit.example.com/hook', secret: aWebhookSecret() }],
      env: { EVENTS_FILE: `${t.dir}/events.jsonl`, EVENTS_FILE_EVENTS: 'victorops.*' },
    });
    const runtimes = createDestinationRuntimes({ store: t.store, config, clock: systemClock, agent });
    expect(runtimes.map((r) => [r.spec.name, r.spec.kind, r.concurrency, r.minIntervalMs])).toEqual([
      ['audit', 'webhook', config.delivery.concurrencyPerDestination, 0],
      ['events-file', 'file', 1, 0],
    ]);
    expect(runtimes[1]?.spec.events).toEqual(['victorops.*']);
  });
});

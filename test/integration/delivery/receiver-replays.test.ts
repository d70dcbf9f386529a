/**
 * The demo receiver (`roster-watch receive`, the demo) refuses a captured request sent again,
 * while roster-watch's own retries and `redeliver` (same webhook-id, freshly signed) are
 * acknowledged as duplicates and not handed on a second time.
 */
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../../src/simulator/receivers/webhook-receiver.js';
import { aWebhookSecret } from '../../helpers/delivery-fixtures.js';

let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const body = JSON.stringify({ specversion: '1.0', id: 'e1', type: 'victorops.user.added', subject: 'a' });

function signed(secret: string, id: string, atSeconds: number): Record<string, string> {
  return {
    'content-type': 'application/cloudevents+json',
    'webhook-id': id,
    'webhook-timestamp': String(atSeconds),
    'webhook-signature': new Webhook(secret).sign(id, new Date(atSeconds * 1000), body),
  };
}

describe('the demo receiver and replayed webhook-ids', () => {
  it('refuses a byte-for-byte replay with 409 and acknowledges a freshly signed duplicate without handing it on', async () => {
    const secret = aWebhookSecret();
    receiver = await startWebhookReceiver({ host: '127.0.0.1', port: 0, secret, replays: 'reject' });
    const now = Math.floor(Date.now() / 1000);
    const original = signed(secret, 'msg_1', now);
    const send = (headers: Record<string, string>) =>
      fetch(receiver!.url, { method: 'POST', headers, body }).then((r) => r.status);
    expect(await send(original)).toBe(204);
    expect(await send(original)).toBe(409);
    expect(await send(signed(secret, 'msg_1', now - 2))).toBe(200);
    expect(await send(signed(secret, 'msg_2', now))).toBe(204);
    expect(receiver.received.map((r) => r.webhookId)).toEqual(['msg_1', 'msg_2']);
    expect(receiver.replayed).toBe(1);
  });
});

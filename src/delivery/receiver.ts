/**
 * A local Standard Webhooks receiver: verifies every request with the standardwebhooks package,
 * answers 204 (or what `respond` says) to valid ones and 401 to the rest, and keeps what it
 * accepted. Used by `roster-watch receive`, the demo, docker-compose and the delivery tests.
 */
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import type { CloudEvent } from '../roster/events.js';
import { closeServer, listen, MAX_BODY_BYTES, type ReceiverReply, readBody, reply } from './local-http.js';

export type { ReceiverReply } from './local-http.js';
export { renderSlackMessage, type SlackReceiver, startSlackReceiver } from './slack-receiver.js';

export interface ReceivedWebhook {
  webhookId: string;
  /** Unix seconds from `webhook-timestamp`. */
  timestamp: number;
  event: CloudEvent;
  /** The raw body, as signed. */
  body: string;
  receivedAt: string;
}

export interface WebhookReceiverOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  secret: string;
  /** Called for each verified request that was answered 2xx. */
  onEvent?: (event: ReceivedWebhook) => void;
  /** Keep only the newest this many events in memory (a long-running receiver); default: all. */
  keep?: number;
  /** Decides the answer to a verified request (default 204); may wait, to simulate a hanging endpoint. */
  respond?: (event: ReceivedWebhook) => ReceiverReply | Promise<ReceiverReply>;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  /** Verified requests answered 2xx, in arrival order (duplicates included). */
  received: ReceivedWebhook[];
  /** Every verified request, whatever the answer. */
  attempts: ReceivedWebhook[];
  /** Requests that failed signature verification. */
  rejected: number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const verifier = new Webhook(options.secret);
  const received: ReceivedWebhook[] = [];
  const attempts: ReceivedWebhook[] = [];
  let rejected = 0;

  const server = createServer((req, res) => {
    void (async () => {
      if (req.method === 'GET' && req.url === '/healthz') return reply(res, { status: 200, body: 'ok\n' });
      if (req.method === 'GET' && req.url === '/_received') {
        return reply(res, {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(received.map((r) => r.event)),
        });
      }
      if (req.method !== 'POST') return reply(res, { status: 405 });
      const body = await readBody(req, MAX_BODY_BYTES);
      if (body === null) return reply(res, { status: 413 });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers[name] = value;
      }
      let event: ReceivedWebhook;
      try {
        verifier.verify(body, headers);
        event = {
          webhookId: headers['webhook-id'] ?? '',
          timestamp: Number(headers['webhook-timestamp']),
          event: JSON.parse(body) as CloudEvent,
          body,
          receivedAt: new Date().toISOString(),
        };
      } catch {
        rejected += 1;
        return reply(res, { status: 401, body: 'invalid signature\n' });
      }
      attempts.push(event);
      if (options.keep !== undefined && attempts.length > options.keep) attempts.shift();
      const answer = options.respond ? await options.respond(event) : { status: 204 };
      if (answer.status >= 200 && answer.status < 300) {
        received.push(event);
        if (options.keep !== undefined && received.length > options.keep) received.shift();
        options.onEvent?.(event);
      }
      reply(res, answer);
    })().catch(() => {
      if (!res.headersSent) reply(res, { status: 500 });
    });
  });
  const { url, port } = await listen(server, options.host, options.port);
  return {
    url,
    port,
    received,
    attempts,
    get rejected() {
      return rejected;
    },
    close: () => closeServer(server),
  };
}

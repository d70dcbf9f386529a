/**
 * A local Standard Webhooks receiver: verifies every request with the standardwebhooks package,
 * answers 204 (or what `respond` says) to valid ones and 401 to the rest, and keeps what it
 * accepted. Used by `roster-watch receive`, the demo, docker-compose and the delivery tests.
 * For demos and tests only: plain HTTP, memory only, no authentication beyond the signature.
 */
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import type { CloudEvent } from '../../roster/events.js';
import {
  answerCommonRequests,
  closeServer,
  listen,
  MAX_BODY_BYTES,
  type ReceiverReply,
  readBody,
  reply,
} from './local-http.js';

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
  /**
   * 'reject' (the demo and `roster-watch receive`): a request whose webhook-id was already
   * accepted is not handed on again. A byte-for-byte replay (same id and signature: a captured
   * request sent again) is refused with 409; the same id freshly signed (the sender's own retry
   * or `redeliver`) is acknowledged with 200 as a duplicate. Default 'accept' hands every
   * verified request on (tests count duplicates).
   */
  replays?: 'accept' | 'reject';
}

/** How many accepted webhook-ids a replay-rejecting receiver remembers (oldest forgotten first). */
const REMEMBERED_IDS = 10_000;

export interface WebhookReceiver {
  url: string;
  port: number;
  /** Verified requests answered 2xx, in arrival order (duplicates included). */
  received: ReceivedWebhook[];
  /** Every verified request, whatever the answer. */
  attempts: ReceivedWebhook[];
  /** Requests that failed signature verification. */
  rejected: number;
  /** Requests refused as replays of an accepted webhook-id (replays: 'reject'). */
  replayed: number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const verifier = new Webhook(options.secret);
  const received: ReceivedWebhook[] = [];
  const attempts: ReceivedWebhook[] = [];
  let rejected = 0;
  let replayed = 0;
  // webhook-id → the signature header it was accepted with.
  const accepted = new Map<string, string>();

  const server = createServer((req, res) => {
    void (async () => {
      if (answerCommonRequests(req, res, () => received.map((r) => r.event))) return;
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
      const signature = headers['webhook-signature'] ?? '';
      const seen = options.replays === 'reject' ? accepted.get(event.webhookId) : undefined;
      if (seen !== undefined) {
        if (seen === signature) {
          replayed += 1;
          return reply(res, {
            status: 409,
            body: 'replayed webhook-id: this signed request was already received\n',
          });
        }
        return reply(res, {
          status: 200,
          body: 'duplicate webhook-id: already received, not processed again\n',
        });
      }
      attempts.push(event);
      if (options.keep !== undefined && attempts.length > options.keep) attempts.shift();
      const answer = options.respond ? await options.respond(event) : { status: 204 };
      if (answer.status >= 200 && answer.status < 300) {
        if (options.replays === 'reject') rememberAccepted(accepted, event.webhookId, signature);
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
    get replayed() {
      return replayed;
    },
    close: () => closeServer(server),
  };
}

function rememberAccepted(accepted: Map<string, string>, webhookId: string, signature: string): void {
  accepted.set(webhookId, signature);
  if (accepted.size > REMEMBERED_IDS) {
    const oldest = accepted.keys().next().value;
    if (oldest !== undefined) accepted.delete(oldest);
  }
}

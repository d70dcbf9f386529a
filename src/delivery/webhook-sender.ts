/**
 * One signed POST per event, Standard Webhooks style. The body is the stored CloudEvent string,
 * untouched, because the signature covers those exact bytes and receivers verify them.
 */

import { Webhook } from 'standardwebhooks';
import { Agent, type Dispatcher, request } from 'undici';
import type { Clock } from '../clock.js';
import { parseRetryAfter } from '../parse/retry-after.js';
import { createUrlScrubber, registerSecrets } from '../redact.js';

export type WebhookSendResult =
  | { kind: 'delivered'; statusCode: number; latencyMs: number }
  /** Any other status, a timeout or a network error: the retry policy decides what next. */
  | {
      kind: 'failed';
      statusCode: number | null;
      retryAfterMs?: number | undefined;
      error: string;
      latencyMs: number;
      /** The receiver did not answer within the timeout (it hangs, rather than refuses). */
      timedOut?: boolean;
    }
  /** 410 Gone: the receiver asks never to be called again, so the destination is disabled. */
  | { kind: 'gone'; statusCode: 410; error: string; latencyMs: number };

export interface WebhookSender {
  send(message: { id: string; body: string }): Promise<WebhookSendResult>;
}

/** Enough of a response body to explain a failure in the attempt log. */
const RESPONSE_EXCERPT_BYTES = 512;
/** Bodies up to this size are drained so the keep-alive connection can be reused; larger ones cost the socket. */
const DRAIN_LIMIT_BYTES = 64 * 1024;

/** One shared keep-alive pool for every webhook destination of a process. */
export function createWebhookAgent(options: { connectionsPerOrigin: number }): Agent {
  return new Agent({ connections: options.connectionsPerOrigin, keepAliveTimeout: 30_000, pipelining: 1 });
}

async function readExcerpt(
  body: Dispatcher.ResponseData['body'],
  scrub: (text: string) => string,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      if (size < RESPONSE_EXCERPT_BYTES) chunks.push(buffer);
      size += buffer.length;
      if (size >= DRAIN_LIMIT_BYTES) break;
    }
  } catch {
    // The status already tells us what happened; a broken body only loses the excerpt.
  }
  // Receivers echo request URLs (and their tokens) in error pages.
  return scrub(Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8'));
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

function describeError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (isTimeout(error)) return `no response within ${timeoutMs} ms`;
    const code = (error as NodeJS.ErrnoException).code;
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${code ? `${code} ` : ''}${error.message}${cause}`;
  }
  return String(error);
}

export function createWebhookSender(options: {
  url: string;
  /** `whsec_` + base64. Kept only in this closure; never logged or stored. */
  secret: string;
  timeoutMs: number;
  agent: Dispatcher;
  clock: Clock;
}): WebhookSender {
  const signer = new Webhook(options.secret);
  registerSecrets([{ url: options.url }, options.secret, options.secret.replace(/^whsec_/, '')]);
  const scrub = createUrlScrubber(options.url);
  return {
    async send(message) {
      const started = options.clock.now();
      const timestamp = new Date(started);
      // Latency is a measurement, not a schedule, so it uses the monotonic clock, not `Clock`.
      const t0 = performance.now();
      const headers = {
        'content-type': 'application/cloudevents+json',
        'user-agent': 'roster-watch',
        'webhook-id': message.id,
        'webhook-timestamp': String(Math.floor(started / 1000)),
        'webhook-signature': signer.sign(message.id, timestamp, message.body),
      };
      const latency = () => Math.round(performance.now() - t0);
      try {
        // undici's request follows no redirects: a 3xx is a failed attempt, as Standard Webhooks asks.
        const response = await request(options.url, {
          method: 'POST',
          headers,
          body: message.body,
          dispatcher: options.agent,
          signal: AbortSignal.timeout(options.timeoutMs),
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
        });
        const status = response.statusCode;
        if (status >= 200 && status < 300) {
          await response.body.dump({ limit: DRAIN_LIMIT_BYTES }).catch(() => undefined);
          return { kind: 'delivered', statusCode: status, latencyMs: latency() };
        }
        const excerpt = await readExcerpt(response.body, scrub);
        const error = `HTTP ${status}${excerpt === '' ? '' : `: ${excerpt}`}`;
        if (status === 410) return { kind: 'gone', statusCode: 410, error, latencyMs: latency() };
        const header = response.headers['retry-after'];
        const retryAfterMs = parseRetryAfter(Array.isArray(header) ? header[0] : header, options.clock.now());
        return {
          kind: 'failed',
          statusCode: status,
          error,
          latencyMs: latency(),
          retryAfterMs,
        };
      } catch (error) {
        return {
          kind: 'failed',
          statusCode: null,
          error: scrub(describeError(error, options.timeoutMs)),
          latencyMs: latency(),
          timedOut: isTimeout(error),
        };
      }
    },
  };
}

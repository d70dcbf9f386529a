/**
 * Posts one message to a Slack incoming webhook through @slack/webhook, and turns its errors
 * into what the dispatcher needs: retry (429, 5xx, network), or give up (other 4xx). The URL
 * carries the webhook's token, so it never appears in a result, an error or a log line.
 */
import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError } from '@slack/webhook';
import type { Clock } from '../clock.js';
import { parseRetryAfter } from '../parse/retry-after.js';
import { createUrlScrubber, registerSecrets } from '../redact.js';
import type { SlackMessage } from './slack-blocks.js';

export type SlackSendResult =
  | { kind: 'delivered'; statusCode: number; latencyMs: number }
  | { kind: 'failed'; statusCode: number | null; retryAfterMs?: number; error: string; latencyMs: number }
  /** Slack will never accept this (bad token, channel gone, invalid payload): retrying cannot help. */
  | { kind: 'rejected'; statusCode: number | null; error: string; latencyMs: number };

export interface SlackSender {
  send(message: SlackMessage): Promise<SlackSendResult>;
}

/**
 * Used when Slack answers 429 without a usable Retry-After; its docs ask for roughly one message
 * per second, so half a minute is a cautious wait.
 */
export const SLACK_DEFAULT_RETRY_AFTER_MS = 30_000;

const KNOWN_SLACK_ERRORS: Record<string, string> = {
  invalid_token: 'the webhook token is invalid: create a new incoming webhook and update SLACK_WEBHOOK_URL',
  no_service: 'the incoming webhook was removed or disabled: create a new one and update SLACK_WEBHOOK_URL',
  no_service_id: 'the webhook URL is incomplete: check SLACK_WEBHOOK_URL',
  no_team: 'the Slack workspace was not found or was deleted: check SLACK_WEBHOOK_URL',
  team_disabled: 'the Slack workspace is disabled',
  channel_not_found: 'the channel no longer exists: point the webhook at another channel',
  channel_is_archived: 'the channel is archived: unarchive it or use another webhook',
  action_prohibited: 'a workspace admin restricted posting to this channel',
  posting_to_general_channel_denied: 'only admins may post to this channel',
  invalid_payload: 'Slack rejected the message format',
  invalid_blocks: 'Slack rejected the message blocks',
  msg_blocks_too_long: 'the message blocks were too long for Slack',
  too_many_attachments: 'the message had too many attachments',
};

/**
 * The short error code of a Slack answer (`invalid_token`, `no_service`…), or '' when the body
 * is anything else. Only this is kept: a body may echo the request path, and with it the token.
 */
export function slackErrorCode(body: string): string {
  const code = body.trim();
  return /^[a-z0-9_]{1,64}$/.test(code) ? code : '';
}

/** A person-readable reason for a Slack 4xx, naming the problem and what to do. */
export function explainSlackRejection(statusCode: number, body: string): string {
  const code = slackErrorCode(body);
  const known = KNOWN_SLACK_ERRORS[code];
  return `Slack answered ${statusCode}${code === '' ? '' : ` ${code}`}: ${known ?? 'the message will not be retried'}`;
}

export function createSlackSender(options: { url: string; timeoutMs: number; clock: Clock }): SlackSender {
  registerSecrets([{ url: options.url }]);
  const scrub = createUrlScrubber(options.url);
  return {
    async send(message) {
      const t0 = performance.now();
      const latency = () => Math.round(performance.now() - t0);
      // @slack/webhook's errors carry status and body but not headers, so a fetch wrapper keeps
      // the Retry-After of the response. One webhook client per send keeps that capture local.
      let retryAfter: string | null = null;
      const webhook = new IncomingWebhook(options.url, {
        timeout: options.timeoutMs,
        fetch: async (url, init) => {
          const response = await fetch(url, init);
          retryAfter = response.headers.get('retry-after');
          return response;
        },
      });
      try {
        await webhook.send(message);
        return { kind: 'delivered', statusCode: 200, latencyMs: latency() };
      } catch (error) {
        if (error instanceof IncomingWebhookHTTPError) {
          const status = error.statusCode;
          const body = typeof error.body === 'string' ? error.body : '';
          if (status === 429) {
            const after = parseRetryAfter(retryAfter, options.clock.now()) ?? SLACK_DEFAULT_RETRY_AFTER_MS;
            return {
              kind: 'failed',
              statusCode: 429,
              retryAfterMs: after,
              error: 'Slack rate limit (429)',
              latencyMs: latency(),
            };
          }
          if (status >= 500) {
            return {
              kind: 'failed',
              statusCode: status,
              error: `Slack answered ${status} ${slackErrorCode(body)}`.trim(),
              latencyMs: latency(),
            };
          }
          return {
            kind: 'rejected',
            statusCode: status,
            error: scrub(explainSlackRejection(status, body)),
            latencyMs: latency(),
          };
        }
        const reason =
          error instanceof IncomingWebhookRequestError
            ? error.original.name === 'TimeoutError'
              ? `no response from Slack within ${options.timeoutMs} ms`
              : `${error.original.message}${error.original.cause instanceof Error ? `: ${error.original.cause.message}` : ''}`
            : String(error);
        return { kind: 'failed', statusCode: null, error: scrub(reason), latencyMs: latency() };
      }
    },
  };
}

/**
 * A fake Slack incoming-webhook endpoint: accepts messages like Slack does ("ok"), renders them
 * as terminal text for the demo, and can be told to answer 429, 404 or 500 for tests.
 */
import { createServer } from 'node:http';
import type { KnownBlock } from '@slack/types';
import { type Clock, systemClock } from '../../clock.js';
import {
  answerCommonRequests,
  closeServer,
  listen,
  MAX_BODY_BYTES,
  type ReceiverReply,
  readBody,
  reply,
} from './local-http.js';

export interface SlackReceiverOptions {
  host: string;
  port: number;
  /** Called for each message answered 2xx. */
  onMessage?: (message: SlackMessage) => void;
  /** Decides the answer (default 200 "ok"); `index` counts every request from 0. */
  respond?: (message: SlackMessage, index: number) => ReceiverReply | Promise<ReceiverReply>;
  /** Stamps `requestTimes`; tests pass their fake clock. Defaults to the system clock. */
  clock?: Clock;
}

export interface SlackReceiver {
  url: string;
  port: number;
  /** Messages answered 2xx. */
  messages: SlackMessage[];
  /** Arrival times (epoch ms, by `clock`) of every request, for pacing checks. */
  requestTimes: number[];
  close(): Promise<void>;
}

function unescapeMrkdwn(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * What an incoming webhook receives, typed by Slack's own Block Kit types rather than by our
 * sender's: a stand-in that shared the sender's types would agree with it whatever it sent.
 */
export interface SlackMessage {
  text: string;
  blocks?: KnownBlock[];
}

const textOf = (element: object): string =>
  'text' in element && typeof element.text === 'string' ? element.text : '';

function renderBlock(block: KnownBlock): string {
  switch (block.type) {
    case 'header':
      return `== ${block.text.text} ==`;
    case 'section':
      return [block.text?.text ?? '', ...(block.fields ?? []).map((f) => `  ${f.text.replace(/\n/g, ': ')}`)]
        .map(unescapeMrkdwn)
        .join('\n');
    case 'context':
      return block.elements.map((e) => `  (${unescapeMrkdwn(textOf(e))})`).join('\n');
    case 'divider':
      return '----';
    default:
      return `[${block.type} block]`;
  }
}

/** A message as a person would read it in a terminal. */
export function renderSlackMessage(message: SlackMessage): string {
  if (message.blocks === undefined || message.blocks.length === 0) return unescapeMrkdwn(message.text);
  return message.blocks.map(renderBlock).join('\n');
}

export async function startSlackReceiver(options: SlackReceiverOptions): Promise<SlackReceiver> {
  const messages: SlackMessage[] = [];
  const requestTimes: number[] = [];
  let index = 0;
  const clock = options.clock ?? systemClock;
  const server = createServer((req, res) => {
    void (async () => {
      if (answerCommonRequests(req, res, () => messages)) return;
      requestTimes.push(clock.now());
      const body = await readBody(req, MAX_BODY_BYTES);
      let message: SlackMessage;
      try {
        message = JSON.parse(body ?? '') as SlackMessage;
      } catch {
        return reply(res, { status: 400, body: 'invalid_payload' });
      }
      if (typeof message.text !== 'string' || message.text === '')
        return reply(res, { status: 400, body: 'no_text' });
      const answer = options.respond ? await options.respond(message, index++) : { status: 200, body: 'ok' };
      if (answer.status >= 200 && answer.status < 300) {
        messages.push(message);
        options.onMessage?.(message);
      }
      reply(res, answer);
    })().catch(() => {
      if (!res.headersSent) reply(res, { status: 500 });
    });
  });
  const { url, port } = await listen(server, options.host, options.port);
  return { url, port, messages, requestTimes, close: () => closeServer(server) };
}

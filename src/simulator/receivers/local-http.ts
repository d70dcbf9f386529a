/** The small HTTP plumbing the local receivers share. */
import type { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceiverReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export const MAX_BODY_BYTES = 1024 * 1024;

/** Reads a request body up to `max` bytes; resolves null when it is larger. */
export async function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function reply(res: ServerResponse, answer: ReceiverReply): void {
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}

/**
 * Answers what every local receiver answers alike: `GET /healthz`, `GET /_received` (what it has
 * accepted so far, as JSON) and 405 for anything but a POST. True when the request was answered.
 */
export function answerCommonRequests(
  req: IncomingMessage,
  res: ServerResponse,
  received: () => unknown,
): boolean {
  if (req.method === 'GET' && req.url === '/healthz') {
    reply(res, { status: 200, body: 'ok\n' });
    return true;
  }
  if (req.method === 'GET' && req.url === '/_received') {
    reply(res, {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(received()),
    });
    return true;
  }
  if (req.method !== 'POST') {
    reply(res, { status: 405 });
    return true;
  }
  return false;
}

export async function listen(
  server: ReturnType<typeof createServer>,
  host: string,
  port: number,
): Promise<{ url: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${shownHost}:${address.port}`, port: address.port };
}

export function closeServer(server: ReturnType<typeof createServer>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Hanging test endpoints keep sockets open; closing must not wait for them.
    server.closeAllConnections();
  });
}

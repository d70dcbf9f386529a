/** A tiny HTTP server on 127.0.0.1 for one identity-provider fake; replies are values. */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Reply, readBody, replyJson, sendReply } from '../http-io.js';

export interface FakeRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface FakeServer {
  origin: string;
  /** Requests answered so far, by path (for tests of paging and retries). */
  requests: { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

export async function startFakeServer(
  handle: (req: FakeRequest) => Reply | Promise<Reply>,
  options: { host?: string; port?: number } = {},
): Promise<FakeServer> {
  const requests: FakeServer['requests'] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      let reply: Reply;
      try {
        reply = await handle({
          method: req.method ?? 'GET',
          url,
          headers: req.headers,
          body: await readBody(req),
        });
      } catch (error) {
        reply = replyJson(500, { error: error instanceof Error ? error.message : String(error) });
      }
      requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, status: reply.status });
      sendReply(res, reply);
    })();
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${options.host ?? '127.0.0.1'}:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * `text` as a careless server echoes it back, in every form at once: as is, upper and lower case,
 * percent-encoded, JSON-escaped with `\/`, and base64. The fakes' echo modes put this into their
 * error bodies, so tests can show that no form of a credential survives into any output.
 */
export function echoedEveryWay(text: string): string {
  return [
    `as sent: ${text}`,
    `upper: ${text.toUpperCase()}`,
    `lower: ${text.toLowerCase()}`,
    `percent: ${encodeURIComponent(text)}`,
    `json: ${JSON.stringify(text).slice(1, -1).replace(/\//g, '\\/')}`,
    `base64: ${Buffer.from(text).toString('base64')}`,
  ].join('; ');
}

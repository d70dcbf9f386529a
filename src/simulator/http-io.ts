/** The small HTTP vocabulary the simulator's routes speak: replies as values, bodies as parsed JSON. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

export interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface ParsedRequest {
  method: string;
  /** Percent-decoded path segments after the prefix (`/api-public` or `/_sim`). */
  segments: string[];
  query: URLSearchParams;
  rawBody: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {}

export function replyJson(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body: JSON.stringify(value), headers: { 'content-type': JSON_TYPE, ...headers } };
}

/** For bodies already serialised (and cached) elsewhere. */
export function replyRawJson(status: number, body: string): Reply {
  return { status, body, headers: { 'content-type': JSON_TYPE } };
}

export function replyError(status: number, message: string): Reply {
  return replyJson(status, { error: message });
}

export function sendReply(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
  res.end(reply.body);
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError('request body exceeds 1 MiB');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Throws URIError on a malformed escape; the caller answers 400. */
export function splitPath(path: string): string[] {
  return path
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment) => decodeURIComponent(segment));
}

export type BodyResult<T> = { ok: true; value: T } | { ok: false; reply: Reply };

/** Parses a JSON body against a schema; a missing or invalid body is a 400 naming the fields. */
export function parseBody<T>(rawBody: string, schema: z.ZodType<T>): BodyResult<T> {
  let json: unknown;
  try {
    json = rawBody.trim() === '' ? undefined : JSON.parse(rawBody);
  } catch {
    return { ok: false, reply: replyError(400, 'Request body is not valid JSON') };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  const fields = [...new Set(result.error.issues.map((issue) => issue.path.join('.')).filter(Boolean))];
  const message =
    fields.length > 0
      ? `Missing or invalid field(s): ${fields.join(', ')}`
      : 'A JSON object body is required';
  return { ok: false, reply: replyError(400, message) };
}

export interface Route {
  /** Literal segments, or `:name` for a parameter. */
  pattern: string[];
  methods: Record<string, (request: ParsedRequest, params: Record<string, string>) => Reply>;
}

/** Matches segments to a route: 404 when no pattern fits, 405 when the method does not. */
export function dispatch(routes: readonly Route[], request: ParsedRequest): Reply {
  for (const route of routes) {
    if (route.pattern.length !== request.segments.length) continue;
    const params: Record<string, string> = {};
    const fits = route.pattern.every((part, index) => {
      const segment = request.segments[index] ?? '';
      if (part.startsWith(':')) {
        params[part.slice(1)] = segment;
        return true;
      }
      return part === segment;
    });
    if (!fits) continue;
    const handler = route.methods[request.method];
    if (!handler) {
      const allow = Object.keys(route.methods).join(', ');
      return replyJson(405, { error: `Method ${request.method} not allowed` }, { allow });
    }
    return handler(request, params);
  }
  return replyError(404, 'Resource not found');
}

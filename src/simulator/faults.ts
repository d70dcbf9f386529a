/**
 * One-shot failures injected on matching paths, to exercise a client's retry and
 * tolerance code against the ways the real API and its edge proxies fail.
 */
import { type Reply, replyJson, replyRawJson } from './http-io.js';

export const FAULT_KINDS = [
  'http500',
  'http503',
  'malformed',
  'html502',
  'hang',
  'http403',
  'http429',
  'empty200',
  'wrongShape200',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  /** A substring of, or a pattern tested against, the request path (without the query). */
  match: string | RegExp;
  kind: FaultKind;
  /** How many matching requests fail before the fault is used up. */
  times: number;
  retryAfterSeconds?: number;
  /** `malformed`: the body that is not JSON, such as a real answer cut short (default: a cut-off user list). */
  body?: string;
}

export interface FaultInjector {
  inject(spec: FaultSpec): void;
  /** Consumes one use of the first live fault matching the path. */
  take(path: string): FaultSpec | undefined;
  /** Live faults with their remaining uses. */
  pending(): FaultSpec[];
  clear(): void;
}

export function createFaultInjector(): FaultInjector {
  let faults: FaultSpec[] = [];
  const matches = (spec: FaultSpec, path: string): boolean =>
    typeof spec.match === 'string' ? path.includes(spec.match) : spec.match.test(path);

  return {
    inject(spec) {
      if (!Number.isInteger(spec.times) || spec.times < 1)
        throw new RangeError('times must be an integer ≥ 1');
      faults.push({ ...spec });
    },
    take(path) {
      const fault = faults.find((candidate) => matches(candidate, path));
      if (!fault) return undefined;
      fault.times -= 1;
      if (fault.times <= 0) faults = faults.filter((candidate) => candidate !== fault);
      return { ...fault, times: 1 };
    },
    pending: () => faults.map((fault) => ({ ...fault })),
    clear() {
      faults = [];
    },
  };
}

const CLOUDFLARE_502 = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>cloudflare</center>
</body>
</html>
`;

const AUTH_OR_RATE_LIMIT = { errors: ['Missing or invalid API key and/or API id'] };

/** How a fault answers; 'hang' means never answer (the socket stays open until close()). */
export function replyForFault(fault: FaultSpec): Reply | 'hang' {
  const retryAfter: Record<string, string> =
    fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
  switch (fault.kind) {
    case 'hang':
      return 'hang';
    case 'http500':
      return replyJson(500, { error: 'Internal Server Error' }, retryAfter);
    case 'http503':
      return replyJson(503, { error: 'Service Unavailable' }, retryAfter);
    case 'http403':
      // The same body as a bad key: real 403s do not say whether they mean auth or rate limit.
      return replyJson(403, AUTH_OR_RATE_LIMIT, retryAfter);
    case 'http429':
      return replyJson(429, { error: 'Too Many Requests' }, retryAfter);
    case 'malformed':
      return replyRawJson(200, fault.body ?? '{"users":[[{"user');
    case 'empty200':
      return replyRawJson(200, '');
    case 'wrongShape200':
      // Valid JSON in the wrong shape: a schedule roll in the deprecated v1 form without its times.
      return replyJson(200, { schedules: [{ schedule: [{ rolls: [{ onCallUser: { username: 'x' } }] }] }] });
    case 'html502':
      return { status: 502, body: CLOUDFLARE_502, headers: { 'content-type': 'text/html', ...retryAfter } };
  }
}

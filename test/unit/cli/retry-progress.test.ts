/** Retry progress as doctor, poll and fetch print it; poll and fetch only on a terminal. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CliContext } from '../../../src/cli/context.js';
import { createProgressReporter, describeRetry } from '../../../src/cli/progress.js';
import { VictorOpsError } from '../../../src/errors.js';
import type { RetryInfo } from '../../../src/victorops/client.js';
import { describeNetworkFailure, retryCause } from '../../../src/victorops/errors.js';

const forbidden: RetryInfo = {
  path: '/v1/user',
  retry: 2,
  of: 3,
  delayMs: 1234,
  reason: 'GET /v1/user: 403',
  cause: '403',
  error: new VictorOpsError('rate_limited', 'GET /v1/user: 403', { retryable: true, status: 403 }),
};

function refused(): RetryInfo {
  const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  const error = new VictorOpsError('network', 'GET /v1/team failed', { retryable: true, cause });
  return {
    path: '/v1/team?x=1',
    retry: 1,
    of: 5,
    delayMs: 400,
    reason: error.message,
    cause: retryCause(error),
    error,
  };
}

function context(tty: boolean): CliContext {
  return {
    env: {},
    out: () => {},
    exact: () => {},
    err: () => {},
    stderrIsTTY: tty,
    signal: new AbortController().signal,
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('retry progress', () => {
  it('says which request, which retry of how many, how long and after what', () => {
    expect(describeRetry(forbidden)).toBe('GET /v1/user: retrying 2/3 in 1.2 s after 403…');
    expect(describeRetry(refused())).toBe('GET /v1/team: retrying 1/5 in 0.4 s after connection refused…');
  });

  it('poll and fetch print it on a terminal, on a line of its own above the live progress line', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const reporter = createProgressReporter(context(true));
    reporter.onProgress({ done: 1, planned: 3, elapsedMs: 1000, strategy: null });
    reporter.onRetry(forbidden);
    const written = write.mock.calls.map((c) => String(c[0]));
    expect(written.at(-1)).toBe('\r\x1b[2KGET /v1/user: retrying 2/3 in 1.2 s after 403…\n');
  });

  it('stays silent off a terminal (the debug log has it)', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    createProgressReporter(context(false)).onRetry(forbidden);
    expect(write).not.toHaveBeenCalled();
  });
});

describe('describeNetworkFailure', () => {
  const failure = (code: string, message = code) =>
    describeNetworkFailure(Object.assign(new Error(message), { code }));

  it.each([
    ['ECONNREFUSED', 'nothing is listening at that address', true],
    ['ENOTFOUND', 'does not resolve', true],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'TLS mismatch: VO_BASE_URL says https', false],
    ['HPE_INVALID_CONSTANT', 'the answer is not HTTP', false],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'TLS certificate is not trusted', false],
  ])('%s: says %s (retryable %s)', (code, words, retryable) => {
    const described = failure(code);
    expect(described.text).toContain(words);
    expect(described.retryable).toBe(retryable);
  });

  it('never shows OpenSSL’s text for a TLS mismatch', () => {
    const described = failure(
      'ERR_SSL_WRONG_VERSION_NUMBER',
      '809C09D6857F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number',
    );
    expect(described.text).not.toMatch(/SSL routines|0A00010B/);
  });
});

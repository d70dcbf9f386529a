import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { explainError } from '../../../src/cli/explain-error.js';
import {
  CliExit,
  ConfigError,
  HttpServerError,
  IdentitySourceError,
  InvalidOptionError,
  NoRosterError,
  OutboxError,
  PageError,
  PolicyListTooSoonError,
  PollAbortedError,
  SimOrgError,
  StoreError,
  VictorOpsError,
} from '../../../src/errors.js';

describe('explainError: the one mapping from an error to what a person reads and the exit code', () => {
  it.each([
    [
      new ConfigError(['A is wrong', 'B is missing']),
      ['configuration error:', '  - A is wrong', '  - B is missing'],
      2,
    ],
    [new InvalidOptionError('--since must be a date'), ['error: --since must be a date'], 2],
    [new CliExit(3, 'references remain'), ['error: references remain'], 3],
    [new CliExit(4, ''), [], 4],
    [
      new VictorOpsError('auth', 'VictorOps refused the key', { retryable: false }),
      ['error: could not fetch the roster from VictorOps: VictorOps refused the key'],
      1,
    ],
    [new StoreError('no database at x'), ['error: no database at x'], 1],
    [new NoRosterError(), [`error: ${new NoRosterError().message}`], 1],
    [
      new PolicyListTooSoonError(30_000, 60_000),
      [`error: ${new PolicyListTooSoonError(30_000, 60_000).message}`],
      1,
    ],
    [new IdentitySourceError('auth', 'LDAP bind refused', false), ['error: LDAP bind refused'], 1],
    [new PollAbortedError(), [`error: ${new PollAbortedError().message}`], 1],
    // `redeliver` with an unknown event id or an unreadable --since: a usage problem.
    [new OutboxError('unknown-event', 'no event with id e-1'), ['error: no event with id e-1'], 2],
    [
      new HttpServerError('cannot listen on 127.0.0.1:9464 (EADDRINUSE)'),
      ['error: cannot listen on 127.0.0.1:9464 (EADDRINUSE)'],
      1,
    ],
    [new PageError(404, 'No run #7 is recorded.'), ['error: No run #7 is recorded.'], 1],
    [new SimOrgError('user-not-found', 'User ann was not found'), ['error: User ann was not found'], 1],
  ])('%s', (error, lines, exitCode) => {
    expect(explainError(error, false)).toEqual({ lines, exitCode });
  });

  it('exits 0 after commander printed help or the version, 2 after a usage error', () => {
    expect(explainError(new CommanderError(0, 'commander.helpDisplayed', ''), false)).toEqual({
      lines: [],
      exitCode: 0,
    });
    expect(explainError(new CommanderError(1, 'commander.unknownOption', 'x'), false)).toEqual({
      lines: [],
      exitCode: 2,
    });
  });

  it('says how to get details for an unexpected error, and gives the stack only at debug', () => {
    expect(explainError(new Error('boom'), false)).toEqual({
      lines: ['error: boom', '(set LOG_LEVEL=debug for details)'],
      exitCode: 1,
    });
    const debug = explainError(new Error('boom'), true);
    expect(debug.lines[1]).toContain('explain-error.test.ts');
  });
});

describe('every typed error says what went wrong and whether a retry can help', () => {
  it.each([
    [new ConfigError(['x']), 'config', false],
    [new InvalidOptionError('x'), 'usage', false],
    [new CliExit(1, 'x'), 'exit', false],
    [new StoreError('x'), 'store', false],
    [new VictorOpsError('rate_limited', 'x', { retryable: true }), 'rate_limited', true],
    [new IdentitySourceError('timeout', 'x', true), 'timeout', true],
    [new PolicyListTooSoonError(1, 2), 'too_soon', true],
    [new NoRosterError(), 'no_roster', false],
    [new PollAbortedError(), 'aborted', true],
    [new OutboxError('bad-selector', 'x'), 'bad-selector', false],
    [new HttpServerError('x'), 'http', false],
    [new PageError(400, 'x'), 'bad_request', false],
    [new PageError(404, 'x'), 'not_found', false],
    [new SimOrgError('slug-taken', 'x'), 'slug-taken', false],
  ])('%s', (error, code, retryable) => {
    expect({ name: error.name, code: error.code, retryable: error.retryable }).toEqual({
      name: error.constructor.name,
      code,
      retryable,
    });
  });
});

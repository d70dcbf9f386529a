import { describe, expect, it } from 'vitest';
import { VictorOpsError } from '../../../src/errors.js';
import { parseRetryAfter } from '../../../src/parse/retry-after.js';
import { encodePathSegment } from '../../../src/victorops/client.js';
import { ENDPOINT_CLASSES, endpointClassOf } from '../../../src/victorops/endpoint-class.js';
import { chooseStrategy } from '../../../src/victorops/fetch-roster.js';
import { backoffDelayMs, shouldRetry } from '../../../src/victorops/retry-policy.js';
import { teamListSchema, teamMembersSchema, userListSchema } from '../../../src/victorops/schemas.js';

const limits = { maxRetries: 5, max403Retries: 3 };
const err = (status: number | undefined, retryable: boolean) =>
  new VictorOpsError('http', 'x', { retryable, ...(status === undefined ? {} : { status }) });

describe('shouldRetry', () => {
  it.each([
    // status, retryable, retries so far, expected
    [500, true, 0, true],
    [500, true, 4, true],
    [500, true, 5, false],
    [429, true, 4, true],
    [403, true, 2, true],
    [403, true, 3, false], // 403 gives up sooner: it is most likely bad credentials
    [404, false, 0, false],
    [401, false, 0, false],
    [undefined, true, 1, true], // network error / timeout / malformed body
  ])('status %s retryable %s after %i retries → %s', (status, retryable, retries, expected) => {
    expect(shouldRetry(err(status, retryable), retries, limits)).toBe(expected);
  });
});

describe('shape errors', () => {
  const shape = new VictorOpsError('shape', 'v1/team: body: expected array', { retryable: true });
  it('are retried once, however many retries other failures get', () => {
    expect(shouldRetry(shape, 0, limits)).toBe(true);
    expect(shouldRetry(shape, 1, limits)).toBe(false);
    expect(shouldRetry(shape, 0, { maxRetries: 0, max403Retries: 3 })).toBe(false);
  });

  it.each([
    ['/v1/user', 'v1/user'],
    ['/v2/user?email=a@b', 'v2/user'],
    ['/v1/team', 'v1/team'],
    ['/v1/team/team-abc/members', 'v1/team/{team}/members'],
    ['/v1/user/jane.doe/teams', 'v1/user/{user}/teams'],
    ['/v1/policies', 'v1/policies'],
    ['/v1/policies/pol-1', 'v1/policies/{policy}'],
    ['/v2/team/team-abc/oncall/schedule?daysForward=14', 'v2/team/{team}/oncall/schedule'],
    ['/v9/unknown/thing', 'other'],
  ])('%s is endpoint class %s', (path, expected) => {
    expect(endpointClassOf(path)).toBe(expected);
    expect(ENDPOINT_CLASSES).toContain(expected);
  });
});

describe('backoffDelayMs', () => {
  it.each([
    [{ retry: 0, baseMs: 500, capMs: 30_000, random: 0.999 }, 499],
    [{ retry: 3, baseMs: 500, capMs: 30_000, random: 0.5 }, 2_000],
    [{ retry: 10, baseMs: 500, capMs: 30_000, random: 0.5 }, 15_000], // capped
    [{ retry: 0, baseMs: 500, capMs: 30_000, random: 0, retryAfterMs: 7_000 }, 7_000], // Retry-After is a floor
    [{ retry: 0, baseMs: 500, capMs: 30_000, random: 0 }, 0], // full jitter reaches zero
    [{ retry: 0, baseMs: 500, capMs: 30_000, random: 0, retryAfterMs: 86_400_000 }, 300_000], // a day: capped at 5 min
  ])('%o → %i', (input, expected) => {
    expect(backoffDelayMs(input)).toBe(expected);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['3', 3_000],
    ['0.5', 500],
    ['Thu, 01 Jan 2026 00:00:10 GMT', 10_000],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%s → %s', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });
});

describe('encodePathSegment', () => {
  it.each([
    ['jane.doe', 'jane.doe'],
    ['ops+oncall', 'ops%2Boncall'],
    ['m@rk', 'm@rk'],
    ['li-wei_2', 'li-wei_2'],
    ['a/b', 'a%2Fb'],
    ['Søren', 'S%C3%B8ren'],
    // dot segments: a normalising proxy would otherwise resolve them to another endpoint
    ['.', '%2E'],
    ['..', '%2E%2E'],
    ['...', '...'],
    ['.hidden', '.hidden'],
  ])('%s → %s', (input, expected) => {
    expect(encodePathSegment(input)).toBe(expected);
  });
});

describe('response schemas', () => {
  it('flattens nested users arrays (the real v1 shape) and accepts flat ones', () => {
    const nested = userListSchema.parse({
      _selfUrl: '/x',
      users: [[{ username: 'a' }], [{ username: 'b', email: 'b@x' }]],
    });
    expect(nested.map((u) => u.username)).toEqual(['a', 'b']);
    expect(userListSchema.parse({ users: [{ username: 'a' }] }).map((u) => u.username)).toEqual(['a']);
  });

  it('tolerates missing optional fields, nulls and unknown fields', () => {
    const [user] = userListSchema.parse({
      users: [[{ username: 'a', email: null, admin: true, extra: { x: 1 } }]],
    });
    expect(user).toEqual({ username: 'a', email: null });
  });

  it('rejects junk', () => {
    expect(userListSchema.safeParse({ users: [[{ firstName: 'no username' }]] }).success).toBe(false);
    expect(userListSchema.safeParse({ user: [] }).success).toBe(false);
    expect(userListSchema.safeParse([]).success).toBe(false);
    expect(teamListSchema.safeParse({ teams: [] }).success).toBe(false);
  });

  it('reads team lists as bare arrays and members without email', () => {
    expect(teamListSchema.parse([{ slug: 'team-1', name: 'One', memberCount: 3 }])).toEqual([
      { slug: 'team-1', name: 'One', memberCount: 3 },
    ]);
    expect(teamMembersSchema.parse({ members: [{ username: 'a', firstName: 'A', version: 2 }] })).toEqual([
      'a',
    ]);
  });
});

describe('chooseStrategy', () => {
  it.each([
    ['auto', 1000, 30, 'team'],
    ['auto', 10, 30, 'user'],
    ['auto', 30, 30, 'team'],
    ['user', 1000, 30, 'user'],
    ['team', 10, 30, 'team'],
  ] as const)('%s with %i users and %i teams → %s', (setting, users, teams, expected) => {
    expect(chooseStrategy(setting, users, teams)).toBe(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { pollHealthEvents } from '../../../src/roster/poll-health.js';

const base = { consecutiveFailures: 0, failingSince: null, pollFailingAfter: 3, now: 'T9', error: null };

describe('pollHealthEvents', () => {
  it.each([
    // kind, ok, failures before, expected type
    ['roster', false, 0, null],
    ['roster', false, 1, null],
    ['roster', false, 2, 'rosterwatch.poll.failing'],
    ['roster', false, 3, null], // announced once, not on every further failure
    ['roster', true, 2, null], // recovered before it was ever announced
    ['roster', true, 3, 'rosterwatch.poll.recovered'],
    ['policy', false, 2, 'rosterwatch.poll.failing'],
    ['policy', true, 5, 'rosterwatch.poll.recovered'],
  ] as const)('%s ok=%s after %i failures → %s', (kind, ok, failures, type) => {
    const events = pollHealthEvents({
      ...base,
      kind,
      ok,
      consecutiveFailures: failures,
      error: ok ? null : 'boom',
    });
    expect(events.map((e) => e.type)).toEqual(type === null ? [] : [type]);
    for (const e of events) expect(e.subject).toBe(kind === 'roster' ? 'poll' : 'policy-poll');
  });

  it('carries which poll, the streak and its start', () => {
    expect(
      pollHealthEvents({
        ...base,
        kind: 'policy',
        ok: false,
        consecutiveFailures: 2,
        failingSince: 'T1',
        error: 'HTTP 503',
      }),
    ).toEqual([
      {
        type: 'rosterwatch.poll.failing',
        subject: 'policy-poll',
        data: { poll: 'policy', consecutiveFailures: 3, lastError: 'HTTP 503', since: 'T1' },
      },
    ]);
  });
});

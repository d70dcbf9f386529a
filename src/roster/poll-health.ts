/**
 * When a poll announces that polling is failing or has recovered: the same rule for roster polls
 * and policy polls, so a dead VictorOps key is noticed whichever poll hits it first.
 */
import type { EventDraft } from './events.js';

export type PollKind = 'roster' | 'policy';

export interface PollHealthInput {
  kind: PollKind;
  /** Whether this poll's fetch succeeded. */
  ok: boolean;
  /** Failed polls of this kind since the last one that was not failed, before this one. */
  consecutiveFailures: number;
  /** When that streak began, if any. */
  failingSince: string | null;
  pollFailingAfter: number;
  /** This poll's start, ISO. */
  now: string;
  /** This poll's error, when it failed. */
  error: string | null;
}

/** `rosterwatch.poll.failing` on the Nth consecutive failure, `recovered` on the first success after. */
export function pollHealthEvents(input: PollHealthInput): EventDraft[] {
  const subject = input.kind === 'roster' ? 'poll' : 'policy-poll';
  if (!input.ok) {
    const failures = input.consecutiveFailures + 1;
    if (failures !== input.pollFailingAfter) return [];
    return [
      {
        type: 'rosterwatch.poll.failing',
        subject,
        data: {
          poll: input.kind,
          consecutiveFailures: failures,
          lastError: input.error ?? 'unknown error',
          since: input.failingSince ?? input.now,
        },
      },
    ];
  }
  if (input.consecutiveFailures < input.pollFailingAfter) return [];
  return [
    {
      type: 'rosterwatch.poll.recovered',
      subject,
      data: {
        poll: input.kind,
        failedRuns: input.consecutiveFailures,
        since: input.failingSince ?? input.now,
      },
    },
  ];
}

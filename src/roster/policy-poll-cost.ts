/**
 * What a policy poll costs the key and the POLICY_SCHEDULE that fits it (issue 27, schedule by
 * cost). A policy poll reads the policy list, the routing keys, each policy's detail and each team's
 * on-call schedule (fetch-policies.ts): 2 + policies + teams requests, at the budget's pace (VO_MAX_RPS × VO_RATE_PACE),
 * sharing it with roster polls. Used by doctor (the schedule it recommends) and by the daemon (a
 * warning at start-up when the configured schedule is shorter than a poll).
 */

export interface PolicyPollCost {
  requests: number;
  /** At the budget's pace, with the key to itself. */
  seconds: number;
}

export function policyPollCost(org: { policies: number; teams: number }, pacedRps: number): PolicyPollCost {
  const requests = 2 + org.policies + org.teams;
  return { requests, seconds: pacedRps > 0 ? requests / pacedRps : Number.POSITIVE_INFINITY };
}

/**
 * Room left for roster polls and one-shot commands: a schedule fits when a poll takes at most 80 %
 * of its interval (the same margin as the warning after a long poll).
 */
const HEADROOM = 1.25;

/** The shortest whole-minute (or whole-hour) schedule a poll of `seconds` fits in, as a cron expression. */
export function scheduleThatFits(seconds: number): { minutes: number; expression: string } {
  const minutes = Math.max(1, Math.ceil((seconds * HEADROOM) / 60));
  if (minutes === 1) return { minutes, expression: '* * * * *' };
  if (minutes < 60) {
    // Cron steps divide the hour: the next divisor of 60 at or above what is needed.
    const step = [2, 3, 4, 5, 6, 10, 12, 15, 20, 30].find((d) => d >= minutes) ?? 60;
    return step === 60
      ? { minutes: 60, expression: '0 * * * *' }
      : { minutes: step, expression: `*/${step} * * * *` };
  }
  const hours = Math.ceil(minutes / 60);
  const step = [1, 2, 3, 4, 6, 8, 12, 24].find((d) => d >= hours) ?? 24;
  return {
    minutes: step * 60,
    expression: step === 1 ? '0 * * * *' : step === 24 ? '0 0 * * *' : `0 */${step} * * *`,
  };
}

/** Schedule by cost (issue 27): the policy poll's cost, the schedule that fits it, the start-up warning. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/logger.js';
import { policyPollCost, scheduleThatFits } from '../../../src/roster/policy-poll-cost.js';
import { warnWhenPolicyScheduleTooShort } from '../../../src/service/daemon.js';

describe('policyPollCost and scheduleThatFits', () => {
  it('costs a poll as the list, each policy and each team, at the paced rate', () => {
    expect(policyPollCost({ policies: 80, teams: 80 }, 1.8)).toEqual({ requests: 162, seconds: 162 / 1.8 });
  });

  it.each([
    [30, 1, '* * * * *'],
    [89.4, 2, '*/2 * * * *'],
    [200, 5, '*/5 * * * *'],
    [500, 12, '*/12 * * * *'],
    [2_000, 60, '0 * * * *'],
    [10_000, 240, '0 */4 * * *'],
    [100_000, 1_440, '0 0 * * *'],
  ])('a poll of %f s fits every %i min (%s)', (seconds, minutes, expression) => {
    expect(scheduleThatFits(seconds)).toEqual({ minutes, expression });
  });
});

describe('the start-up warning', () => {
  const warnings = (env: Record<string, string>, scope: { policies: number; teams: number } | null) => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'info', format: 'json', destination });
    const config = loadConfig(
      { VO_API_ID: 'id', VO_API_KEY: 'key', VO_MAX_RPS: '2', DATABASE_PATH: '/tmp/x.db', ...env },
      { requireVictorOps: true },
    );
    warnWhenPolicyScheduleTooShort(config, scope, logger);
    return lines.map(
      (l) => JSON.parse(l) as { level: number; msg: string; recommendedPolicySchedule?: string },
    );
  };

  it('says when POLICY_SCHEDULE is shorter than a poll of the recorded org, and what fits', () => {
    const [warning, ...rest] = warnings(
      { POLICY_SCHEDULE: '* * * * *', VO_RATE_PACE: '0.9' },
      { policies: 80, teams: 80 },
    );
    expect(rest).toEqual([]);
    expect(warning?.level).toBe(40);
    expect(warning?.msg).toContain('162 requests, about 90 s at 1.8 requests a second');
    expect(warning?.recommendedPolicySchedule).toBe('*/2 * * * *');
  });

  it('is quiet when the schedule fits, before any policy poll, and with policy polls off', () => {
    expect(warnings({ POLICY_SCHEDULE: '*/3 * * * *' }, { policies: 80, teams: 80 })).toEqual([]);
    expect(warnings({ POLICY_SCHEDULE: '* * * * *' }, null)).toEqual([]);
    expect(warnings({ POLICY_SCHEDULE: 'off' }, { policies: 800, teams: 800 })).toEqual([]);
  });
});

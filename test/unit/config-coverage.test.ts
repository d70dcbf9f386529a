import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { configProblems } from '../helpers/config-problems.js';

const base = { VO_API_ID: 'id-1', VO_API_KEY: 'very-secret-key' };

describe('coverage configuration', () => {
  it('defaults to an hourly policy poll, 14 days of shifts and one policy list call a minute', () => {
    const c = loadConfig(base, { requireVictorOps: true });
    expect(c.coverage).toEqual({
      schedule: { expression: '0 * * * *', intervalMs: 3_600_000 },
      daysForward: 14,
      policyListMinIntervalMs: 60_000,
    });
  });

  it('accepts POLICY_SCHEDULE=off', () => {
    expect(
      loadConfig({ ...base, POLICY_SCHEDULE: 'off' }, { requireVictorOps: true }).coverage.schedule,
    ).toBeNull();
  });

  it('names each bad variable and the expected form', () => {
    const problems = configProblems({
      ...base,
      POLICY_SCHEDULE: 'hourly',
      ONCALL_DAYS_FORWARD: '31',
      POLICY_LIST_MIN_INTERVAL_MS: '-1',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^POLICY_SCHEDULE must be a cron expression .* \(or "off"\)$/),
      'ONCALL_DAYS_FORWARD must be a whole number from 1 to 30, got "31"',
      'POLICY_LIST_MIN_INTERVAL_MS must be a whole number from 0 to 86400000, got "-1"',
    ]);
  });
});

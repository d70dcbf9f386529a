import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { configProblems } from '../helpers/config-problems.js';

const base = { VO_API_ID: 'id-1', VO_API_KEY: 'very-secret-key' };

const problemsOf = (env: Record<string, string>) => configProblems({ ...base, ...env });

describe('membership hint configuration', () => {
  it('defaults to hints on and an hourly verification of every team', () => {
    const c = loadConfig(base, { requireVictorOps: true });
    expect(c.victorOps.membershipHints).toBe('auto');
    expect(c.victorOps.membershipVerifyIntervalMs).toBe(3_600_000);
  });

  it.each([
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['90s', 90_000],
    ['2d', 172_800_000],
  ])('reads MEMBERSHIP_VERIFY_INTERVAL=%s', (text, ms) => {
    expect(
      loadConfig({ ...base, MEMBERSHIP_VERIFY_INTERVAL: text }, { requireVictorOps: true }).victorOps
        .membershipVerifyIntervalMs,
    ).toBe(ms);
  });

  it('accepts MEMBERSHIP_HINTS=off', () => {
    expect(
      loadConfig({ ...base, MEMBERSHIP_HINTS: 'off' }, { requireVictorOps: true }).victorOps.membershipHints,
    ).toBe('off');
  });

  it('names each bad value on one line, all at once', () => {
    const problems = problemsOf({ MEMBERSHIP_HINTS: 'sometimes', MEMBERSHIP_VERIFY_INTERVAL: '3600' });
    expect(problems).toEqual([
      expect.stringMatching(/^MEMBERSHIP_VERIFY_INTERVAL must be one duration .* got "3600"$/),
      'MEMBERSHIP_HINTS must be one of auto, off, got "sometimes"',
    ]);
  });

  it.each(['30s', '8d', '1h,2h'])('refuses MEMBERSHIP_VERIFY_INTERVAL=%s', (text) => {
    expect(problemsOf({ MEMBERSHIP_VERIFY_INTERVAL: text })).toEqual([
      expect.stringContaining('MEMBERSHIP_VERIFY_INTERVAL must be one duration from 1m to 7d'),
    ]);
  });
});

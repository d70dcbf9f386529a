import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';

const base = { VO_API_ID: 'id-1', VO_API_KEY: 'very-secret-key' };
const load = (env: Record<string, string>) => loadConfig({ ...base, ...env }, { requireVictorOps: true });

describe('contacts configuration', () => {
  it('is off by default, reads everyone at least daily, exempts nobody', () => {
    const config = load({});
    expect(config.contacts).toEqual({ schedule: null, verifyIntervalMs: 86_400_000 });
    expect(config.reach).toEqual({ exemptions: [] });
  });

  it('reads CONTACTS_SCHEDULE, CONTACTS_VERIFY_INTERVAL and REACH_EXEMPT (commas or newlines)', () => {
    const config = load({
      CONTACTS_SCHEDULE: '15 * * * *',
      CONTACTS_VERIFY_INTERVAL: '7d',
      REACH_EXEMPT: 'svc-*=service accounts page a webhook\nbreakglass = owned by SRE, db-*=webhook only',
    });
    expect(config.contacts).toEqual({
      schedule: { expression: '15 * * * *', intervalMs: 3_600_000 },
      verifyIntervalMs: 7 * 86_400_000,
    });
    // One REACH_EXEMPT for routing keys and people alike (src/config/reach.ts).
    expect(config.reach).toEqual({
      exemptions: [
        { pattern: 'svc-*', reason: 'service accounts page a webhook' },
        { pattern: 'breakglass', reason: 'owned by SRE' },
        { pattern: 'db-*', reason: 'webhook only' },
      ],
    });
  });

  it('names each bad variable and the expected form', () => {
    let problems: string[] = [];
    try {
      load({ CONTACTS_SCHEDULE: 'hourly', CONTACTS_VERIFY_INTERVAL: '5m', REACH_EXEMPT: 'svc-*' });
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(/^CONTACTS_SCHEDULE .*\(or "off"\)$/),
      'CONTACTS_VERIFY_INTERVAL must be one duration from 1h to 30d such as "24h" or "7d" (units ms, s, m, h, d), got "5m"',
      'REACH_EXEMPT must be pattern=reason pairs separated by commas or newlines (e.g. "legacy-*=feeds a webhook only"), got "svc-*"',
    ]);
  });
});

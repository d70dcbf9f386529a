import { describe, expect, it } from 'vitest';
import { demoPolicyListPerMinute, demoPolicyPacing } from '../../../src/cli/demo.js';
import { loadConfig } from '../../../src/config/load-config.js';

describe('demo policy pacing', () => {
  it.each([2, 5, 7, 30, 90])(
    'with --interval-seconds %i a policy change is polled within one interval, within what the simulator admits',
    (interval) => {
      const pacing = demoPolicyPacing(interval);
      const every = Math.min(interval, 59);
      // Polled as often as the roster, not once a minute (the ~50 s delay the trial saw).
      expect(pacing.POLICY_SCHEDULE).toBe(`*/${every} * * * * *`);
      expect(Number(pacing.POLICY_LIST_MIN_INTERVAL_MS)).toBeLessThanOrEqual(every * 1000);
      // Cron `*/n` fires ceil(60 / n) times a minute: the demo's simulator must admit each list call.
      expect(demoPolicyListPerMinute(interval)).toBeGreaterThanOrEqual(Math.ceil(60 / every));
      const config = loadConfig(
        { VO_API_ID: 'id', VO_API_KEY: 'key', VO_BASE_URL: 'http://127.0.0.1:1', ...pacing },
        { requireVictorOps: true },
      );
      expect(config.coverage.policyListMinIntervalMs).toBe(Number(pacing.POLICY_LIST_MIN_INTERVAL_MS));
      expect(config.coverage.schedule).not.toBeNull();
    },
  );
});

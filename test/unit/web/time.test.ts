import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/errors.js';
import { formatLocal, formatRelative, localDaySpans } from '../../../src/web/time.js';

const NOW = new Date('2026-12-03T15:00:00.000Z');

describe('times as a person reads them', () => {
  it('formats an instant in the given zone as "Tue 3 Dec 14:05", the year only when it differs', () => {
    expect(formatLocal('2026-12-01T13:05:00.000Z', 'UTC', NOW)).toBe('Tue 1 Dec 13:05');
    expect(formatLocal('2026-12-01T13:05:00.000Z', 'Europe/Paris', NOW)).toBe('Tue 1 Dec 14:05');
    // Across midnight in the zone: a different day than in UTC.
    expect(formatLocal('2026-12-01T23:30:00.000Z', 'Asia/Tokyo', NOW)).toBe('Wed 2 Dec 08:30');
    expect(formatLocal('2025-07-04T09:00:00.000Z', 'America/New_York', NOW)).toBe('Fri 4 Jul 2025 05:00');
    expect(formatLocal('not a date', 'UTC', NOW)).toBe('not a date');
  });

  it('says how long ago (or ahead) an instant is', () => {
    expect(formatRelative('2026-12-03T14:59:30.000Z', NOW)).toBe('just now');
    expect(formatRelative('2026-12-03T14:48:00.000Z', NOW)).toBe('12 min ago');
    expect(formatRelative('2026-12-03T12:00:00.000Z', NOW)).toBe('3 h ago');
    expect(formatRelative('2026-11-28T15:00:00.000Z', NOW)).toBe('5 d ago');
    expect(formatRelative('2026-12-03T17:00:00.000Z', NOW)).toBe('in 2 h');
  });

  it('UI_TIMEZONE takes an IANA zone and refuses anything else, naming the variable', () => {
    const config = loadConfig({ UI_TIMEZONE: 'Europe/Paris' }, { requireVictorOps: false });
    expect(config.ui.timeZone).toBe('Europe/Paris');
    expect(() => loadConfig({ UI_TIMEZONE: 'Mars/Olympus' }, { requireVictorOps: false })).toThrow(
      ConfigError,
    );
    try {
      loadConfig({ UI_TIMEZONE: 'Mars/Olympus' }, { requireVictorOps: false });
    } catch (error) {
      expect((error as Error).message).toContain('UI_TIMEZONE must be an IANA time zone');
    }
  });
});

describe('localDaySpans', () => {
  it('gives the days of the zone, not UTC dates, each from its local midnight to the next', () => {
    // 01:30 UTC on 29 March is already 03:30 in Paris, on the day the clocks went forward.
    const days = localDaySpans('Europe/Paris', new Date('2026-03-29T01:30:00.000Z'), 3);
    expect(days).toEqual([
      { day: '2026-03-27', fromIso: '2026-03-26T23:00:00.000Z', toIso: '2026-03-27T23:00:00.000Z' },
      { day: '2026-03-28', fromIso: '2026-03-27T23:00:00.000Z', toIso: '2026-03-28T23:00:00.000Z' },
      // 23 hours long.
      { day: '2026-03-29', fromIso: '2026-03-28T23:00:00.000Z', toIso: '2026-03-29T22:00:00.000Z' },
    ]);
    // Late evening UTC is the next day in Tokyo.
    expect(localDaySpans('Asia/Tokyo', new Date('2026-03-04T20:00:00.000Z'), 1)[0]?.day).toBe('2026-03-05');
  });
});

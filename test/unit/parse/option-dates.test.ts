import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/errors.js';
import { parseIsoInstant } from '../../../src/parse/instant.js';
import { parseInstant, parseSince } from '../../../src/parse/option-dates.js';

describe('parseInstant', () => {
  it.each([
    ['2026-03-03', '2026-03-03T00:00:00.000Z'],
    ['2026-03-03T14:00:00Z', '2026-03-03T14:00:00.000Z'],
    ['2026-03-03T14:00', '2026-03-03T14:00:00.000Z'], // no zone: UTC, whatever TZ says
    ['2026-03-03T14:00:00.250+02:00', '2026-03-03T12:00:00.250Z'],
    ['2026-03-03 14:00:00Z', '2026-03-03T14:00:00.000Z'],
  ])('%s → %s', (input, expected) => {
    expect(parseInstant(input, '--at')).toBe(expected);
  });

  it.each(['2026-02-30', '2026-13-01', 'yesterday', '2026-03-03T25:00Z', '03/03/2026', ''])(
    'refuses %j',
    (input) => {
      expect(() => parseInstant(input, '--at')).toThrow(InvalidOptionError);
    },
  );
});

describe('parseSince', () => {
  it('takes durations back from now', () => {
    const now = Date.parse('2026-03-10T00:00:00Z');
    expect(parseSince('7d', now)).toBe('2026-03-03T00:00:00.000Z');
    expect(parseSince('12h', now)).toBe('2026-03-09T12:00:00.000Z');
    expect(parseSince('2026-03-01', now)).toBe('2026-03-01T00:00:00.000Z');
  });

  it('refuses what --help does not offer, naming both forms it accepts', () => {
    expect(() => parseSince('7 days', 0)).toThrow(
      /--since must be an ISO time .* or a duration .* 7d.*got "7 days"/,
    );
  });
});

describe('parseIsoInstant (the web view and `redeliver --since` share it; issue 20)', () => {
  it.each(['2026-02-30', '2026-02-30T12:00:00Z', '2026-04-31T00:00', '2026-03-03T24:00:00Z'])(
    'refuses the impossible %j instead of rolling it over',
    (input) => {
      expect(parseIsoInstant(input)).toBeNull();
    },
  );
  it('reads a real one', () => {
    expect(parseIsoInstant('2026-02-28T23:59:59+01:00')).toBe('2026-02-28T22:59:59.000Z');
  });
});

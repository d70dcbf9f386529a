import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHolidayCalendar } from '../../../src/config/oncall.js';
import { parseBusinessHours } from '../../../src/parse/business-hours.js';
import {
  buildHourCalendar,
  localDate,
  type SplitRules,
  splitByCalendar,
  zonedInstant,
} from '../../../src/roster/oncall-split.js';

const H = 3_600_000;
const ms = (iso: string) => Date.parse(iso);
const ICS = readFileSync(resolve(import.meta.dirname, '../../fixtures/holidays/uk-sample.ics'), 'utf8');

function rules(timeZone: string, holidays: Set<string> = new Set()): SplitRules {
  const businessHours = parseBusinessHours('Mon-Fri 09:00-17:00');
  if (typeof businessHours === 'string') throw new Error(businessHours);
  return { timeZone, businessHours, holidays };
}

function split(r: SplitRules, from: string, to: string) {
  const calendar = buildHourCalendar(r, ms(from), ms(to));
  const s = splitByCalendar(calendar, [[ms(from), ms(to)]]);
  return {
    business: s.business / H,
    outOfHours: s.outOfHours / H,
    weekend: s.weekend / H,
    holiday: s.holiday / H,
  };
}

describe('ONCALL_BUSINESS_HOURS', () => {
  it('reads day ranges, lists and wrapping weeks', () => {
    expect(parseBusinessHours('Mon-Fri 09:00-17:00')).toEqual({
      days: new Set([1, 2, 3, 4, 5]),
      startMinute: 540,
      endMinute: 1020,
    });
    expect(parseBusinessHours('Sun-Thu 08:30-24:00')).toEqual({
      days: new Set([0, 1, 2, 3, 4]),
      startMinute: 510,
      endMinute: 1440,
    });
    expect(parseBusinessHours('Mon,Wed,Fri 10:00-14:00')).toMatchObject({ days: new Set([1, 3, 5]) });
    expect(parseBusinessHours('Fri-Mon 10:00-14:00')).toMatchObject({ days: new Set([5, 6, 0, 1]) });
  });

  it('names the problem in bad text', () => {
    expect(parseBusinessHours('weekdays 9-5')).toMatch(/not of the form "Mon-Fri 09:00-17:00"/);
    expect(parseBusinessHours('Mon-Fry 09:00-17:00')).toMatch(/"mon-fry" is not a day/);
    expect(parseBusinessHours('Mon-Fri 17:00-09:00')).toMatch(/start before end/);
    expect(parseBusinessHours('Mon-Fri 09:00-24:30')).toMatch(/at most 24:00/);
  });
});

describe('local times in a zone', () => {
  it('finds the instant of a local time on both sides of the London changes', () => {
    expect(new Date(zonedInstant('Europe/London', '2026-03-28', 9 * 60)).toISOString()).toBe(
      '2026-03-28T09:00:00.000Z',
    );
    expect(new Date(zonedInstant('Europe/London', '2026-03-30', 9 * 60)).toISOString()).toBe(
      '2026-03-30T08:00:00.000Z',
    );
    // 01:30 does not exist on 29 March 2026 (the clocks jump from 01:00 to 02:00): 02:30 BST.
    expect(new Date(zonedInstant('Europe/London', '2026-03-29', 90)).toISOString()).toBe(
      '2026-03-29T01:30:00.000Z',
    );
    // 01:30 happens twice on 25 October 2026: the first time (BST) is taken.
    expect(new Date(zonedInstant('Europe/London', '2026-10-25', 90)).toISOString()).toBe(
      '2026-10-25T00:30:00.000Z',
    );
    expect(localDate('Europe/London', ms('2026-06-30T23:30:00Z'))).toBe('2026-07-01');
    expect(localDate('America/Chicago', ms('2026-07-01T03:00:00Z'))).toBe('2026-06-30');
  });
});

describe('the split of on-call time', () => {
  it('a whole week in UTC: 40 business hours, 80 out of hours, 48 weekend', () => {
    expect(split(rules('UTC'), '2026-11-30T00:00:00Z', '2026-12-07T00:00:00Z')).toEqual({
      business: 40,
      outOfHours: 80,
      weekend: 48,
      holiday: 0,
    });
  });

  it('a shift across a weekend: Friday evening to Monday morning', () => {
    // Fri 4 Dec 2026 17:00 to Mon 7 Dec 10:00, UTC.
    expect(split(rules('UTC'), '2026-12-04T17:00:00Z', '2026-12-07T10:00:00Z')).toEqual({
      business: 1,
      outOfHours: 7 + 9,
      weekend: 48,
      holiday: 0,
    });
  });

  it('holidays from an .ics file take whole local days, also on a weekday and recurring ones', () => {
    const holidays = parseHolidayCalendar(ICS);
    expect(holidays.has('2026-12-25')).toBe(true);
    expect(holidays.has('2026-12-26')).toBe(true);
    expect(holidays.has('2026-12-27')).toBe(false);
    expect(holidays.has('2027-01-01')).toBe(true);
    expect(holidays.has('2030-01-01')).toBe(true);
    expect(holidays.has('2027-05-03')).toBe(true);
    // Thu 24 Dec 12:00 to Mon 28 Dec 12:00 in London (GMT = UTC in winter).
    expect(split(rules('Europe/London', holidays), '2026-12-24T12:00:00Z', '2026-12-28T12:00:00Z')).toEqual({
      business: 5 + 3,
      outOfHours: 7 + 9,
      // Fri 25 and Sat 26 are holidays (a holiday wins over the weekend); Sun 27 is weekend.
      holiday: 48,
      weekend: 24,
    });
  });

  it('spring forward in Europe/London: the Saturday-to-Monday shift is one hour shorter', () => {
    // Sat 28 Mar 2026 00:00 GMT to Mon 30 Mar 00:00 BST: 47 real hours (Sunday has 23).
    const r = split(rules('Europe/London'), '2026-03-28T00:00:00Z', '2026-03-29T23:00:00Z');
    expect(r).toEqual({ business: 0, outOfHours: 0, weekend: 47, holiday: 0 });
    // Fri 27 Mar 20:00 GMT to Mon 30 Mar 12:00 BST (11:00 UTC): 63 elapsed hours.
    expect(split(rules('Europe/London'), '2026-03-27T20:00:00Z', '2026-03-30T11:00:00Z')).toEqual({
      business: 3,
      outOfHours: 4 + 9,
      weekend: 47,
      holiday: 0,
    });
  });

  it('fall back in Europe/London: the Sunday has 25 hours and business hours follow the clock', () => {
    // Sat 24 Oct 2026 00:00 BST (23 Oct 23:00 UTC) to Mon 26 Oct 00:00 GMT: 49 real hours.
    expect(split(rules('Europe/London'), '2026-10-23T23:00:00Z', '2026-10-26T00:00:00Z')).toEqual({
      business: 0,
      outOfHours: 0,
      weekend: 49,
      holiday: 0,
    });
    // Mon 26 Oct: business is 09:00-17:00 GMT = 09:00-17:00 UTC; on Fri 23 Oct it was 08:00-16:00 UTC.
    expect(split(rules('Europe/London'), '2026-10-23T08:00:00Z', '2026-10-23T16:00:00Z').business).toBe(8);
    expect(split(rules('Europe/London'), '2026-10-26T08:00:00Z', '2026-10-26T16:00:00Z')).toEqual({
      business: 7,
      outOfHours: 1,
      weekend: 0,
      holiday: 0,
    });
  });
});

import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { defaultOncallConfig, parseHolidayCalendar } from '../../src/config/oncall.js';
import { configProblems } from '../helpers/config-problems.js';
import { scratchDir } from '../helpers/scratch-dir.js';

const base = { VO_API_ID: 'id-1', VO_API_KEY: 'very-secret-key' };
const ICS = resolve(import.meta.dirname, '../fixtures/holidays/uk-sample.ics');

const problemsOf = (env: Record<string, string>) => configProblems({ ...base, ...env }, false);

describe('on-call hours configuration', () => {
  it('defaults to UTC, Mon-Fri 09:00-17:00 and no holidays', () => {
    const c = loadConfig(base, { requireVictorOps: false }).oncall;
    expect(c.timeZone).toBe('UTC');
    expect(c.businessHours).toEqual({ days: new Set([1, 2, 3, 4, 5]), startMinute: 540, endMinute: 1020 });
    expect(c.holidays.size).toBe(0);
    expect(c.holidaysFile).toBeNull();
    // The On-call page, given no settings, uses these same defaults (no copy of its own).
    expect(defaultOncallConfig()).toEqual(c);
  });

  it('reads a zone, business hours and an .ics holidays file', () => {
    const c = loadConfig(
      {
        ...base,
        ONCALL_TIMEZONE: 'Europe/London',
        ONCALL_BUSINESS_HOURS: 'Sun-Thu 08:00-16:00',
        ONCALL_HOLIDAYS_FILE: ICS,
      },
      { requireVictorOps: false },
    ).oncall;
    expect(c.timeZone).toBe('Europe/London');
    expect(c.businessHours.days).toEqual(new Set([0, 1, 2, 3, 4]));
    expect([...c.holidays].filter((d) => d.startsWith('2026'))).toEqual([
      '2026-12-25',
      '2026-12-26',
      '2026-01-01',
    ]);
  });

  it('names each bad variable', () => {
    const dir = scratchDir('rw-ics-');
    const notIcs = join(dir, 'holidays.ics');
    writeFileSync(notIcs, 'Christmas: 25 December\n');
    const problems = problemsOf({
      ONCALL_TIMEZONE: 'Europe/Atlantis',
      ONCALL_BUSINESS_HOURS: 'weekdays',
      ONCALL_HOLIDAYS_FILE: notIcs,
    });
    expect(problems).toEqual([
      expect.stringContaining('ONCALL_TIMEZONE "Europe/Atlantis" is not an IANA time zone name'),
      expect.stringContaining('ONCALL_BUSINESS_HOURS "weekdays" is not of the form "Mon-Fri 09:00-17:00"'),
      expect.stringContaining(`ONCALL_HOLIDAYS_FILE: ${notIcs} is not an iCalendar (.ics) file`),
    ]);
    expect(problemsOf({ ONCALL_HOLIDAYS_FILE: join(dir, 'missing.ics') })).toEqual([
      expect.stringContaining('ONCALL_HOLIDAYS_FILE: cannot read'),
    ]);
  });

  it('parses holidays with the CommonJS build of ical.js it requires as the ES build would (property)', () => {
    const compact = (d: Date) => d.toISOString().slice(0, 10).replaceAll('-', '');
    const event = fc.record({
      start: fc.date({
        min: new Date('2020-01-01T00:00:00Z'),
        max: new Date('2030-12-31T00:00:00Z'),
        noInvalidDate: true,
      }),
      days: fc.integer({ min: 1, max: 4 }),
      timed: fc.boolean(),
      freq: fc.constantFrom(null, 'YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY'),
      count: fc.option(fc.integer({ min: 1, max: 30 }), { nil: null }),
    });
    const calendar = fc.array(event, { maxLength: 6 }).map((events) =>
      [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//roster-watch//test//EN',
        ...events.flatMap((e, i) => {
          const end = new Date(e.start.getTime() + e.days * 86_400_000);
          return [
            'BEGIN:VEVENT',
            `UID:holiday-${i}@example.test`,
            ...(e.timed
              ? [`DTSTART:${compact(e.start)}T093000Z`]
              : [`DTSTART;VALUE=DATE:${compact(e.start)}`, `DTEND;VALUE=DATE:${compact(end)}`]),
            ...(e.freq === null
              ? []
              : [`RRULE:FREQ=${e.freq}${e.count === null ? '' : `;COUNT=${e.count}`}`]),
            'END:VEVENT',
          ];
        }),
        'END:VCALENDAR',
        '',
      ].join('\r\n'),
    );
    fc.assert(
      fc.property(calendar, (text) => {
        expect([...parseHolidayCalendar(text)]).toEqual([...parseHolidayCalendar(text, ICAL)]);
      }),
      { numRuns: 60 },
    );
    // And the same refusal of text that is not iCalendar.
    const refusal = (parse: () => unknown) => {
      try {
        parse();
        return null;
      } catch (error) {
        return (error as Error).message;
      }
    };
    const notIcs = 'Christmas: 25 December\n';
    expect(refusal(() => parseHolidayCalendar(notIcs))).not.toBeNull();
    expect(refusal(() => parseHolidayCalendar(notIcs))).toBe(
      refusal(() => parseHolidayCalendar(notIcs, ICAL)),
    );
  });
});

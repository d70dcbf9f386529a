/**
 * The On-call page over a real SQLite history written by the policy poll's recorder: the week
 * calendar in Europe/London across the autumn change, hours per person with the split and an
 * override, "on call at" from the picker, the CSV download, and no script anywhere.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordPolicyRead } from '../../../src/bench/policy-reads.js';
import { parseHolidayCalendar } from '../../../src/config/oncall.js';
import { applyOverrides } from '../../../src/roster/on-call.js';
import type { Shift } from '../../../src/roster/policy-types.js';
import { openStore, type Store } from '../../../src/store/db.js';
import type { UiServer } from '../../../src/web/serve.js';
import { startTestUi } from '../../helpers/ui-server.js';

const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
// Mon 19 Oct 2026 07:00 UTC (08:00 BST): 12-hour rolls, ann then bob; London falls back on Sun 25 Oct.
const ORIGIN = Date.parse('2026-10-19T07:00:00Z');

let dir: string;
let store: Store;
let server: UiServer;
let base: string;

function rolls(): Shift[] {
  const shifts: Shift[] = Array.from({ length: 16 }, (_, i) => ({
    policySlug: 'pol-primary',
    policyName: 'Primary',
    rotationName: 'Rota',
    shiftName: '12h',
    username: i % 2 === 0 ? 'ann' : 'bob',
    start: iso(ORIGIN + i * 12 * H),
    end: iso(ORIGIN + (i + 1) * 12 * H),
  }));
  // cat covers bob's Tuesday night from 22:00 to 02:00 BST.
  return applyOverrides(shifts, [
    {
      originalUsername: 'bob',
      overrideUsername: 'cat',
      start: '2026-10-20T21:00:00Z',
      end: '2026-10-21T01:00:00Z',
    },
  ]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rw-ui-oncall-'));
  const path = join(dir, 'history.db');
  const writer = openStore(path);
  recordPolicyRead(
    writer,
    iso(ORIGIN - H),
    [{ team: { slug: 'team-ops', name: 'Ops' }, shifts: rolls(), fetchedAt: iso(ORIGIN - H) }],
    'baseline',
  );
  writer.close();
  store = openStore(path, { readonly: true });
  const ics = readFileSync(resolve(import.meta.dirname, '../../fixtures/holidays/uk-sample.ics'), 'utf8');
  server = await startTestUi(store, {
    now: () => new Date('2026-10-21T12:00:00Z'),
    timeZone: 'Europe/London',
    oncall: {
      timeZone: 'Europe/London',
      businessHours: { days: new Set([1, 2, 3, 4, 5]), startMinute: 540, endMinute: 1020 },
      holidays: parseHolidayCalendar(ics),
      holidaysFile: 'uk-sample.ics',
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(path: string) {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, headers: res.headers, body: await res.text() };
}

describe('the On-call page', () => {
  it('shows the week in local time, with the hours split and no script', async () => {
    const page = await get('/ui/oncall?team=team-ops&date=2026-10-21&at=2026-10-20T22:30');
    expect(page.status).toBe(200);
    expect(page.body).not.toMatch(/<script/i);
    expect(page.body).toContain('aria-current="page">On call</a>');
    expect(page.body).toContain('Week from 2026-10-19 to 2026-10-25 in Europe/London');
    // Tuesday: ann 08:00–20:00 BST, bob from 20:00, cat covering 22:00–02:00.
    expect(page.body).toMatch(
      /Tue 2026-10-20.*bob 00:00–08:00, ann 08:00–20:00, bob 20:00–22:00, cat 22:00–24:00/s,
    );
    // Sunday 25 Oct has 25 hours: the rolls change at 07:00 and 19:00 UTC, which is GMT by then, so
    // bob's night reads 00:00–07:00 (8 real hours) and the rest of the week changes at 07:00/19:00.
    expect(page.body).toMatch(/Sun 2026-10-25.*bob 00:00–07:00, ann 07:00–19:00, bob 19:00–24:00/s);
    // On call at 22:30 picked, in UI_TIMEZONE (21:30 UTC): cat, covering bob; the picker shows it back.
    expect(page.body).toMatch(/On call at Tue 20 Oct 22:30 \(Europe\/London\).*cat.*bob/s);
    expect(page.body).toContain('On call at (Europe/London)');
    expect(page.body).toContain('name="at" value="2026-10-20T22:30:00"');
    expect(page.body).toContain('<time datetime="2026-10-20T21:00:00.000Z"');
  });

  it('downloads the hours per person as CSV; the week holds 169 real hours', async () => {
    const csv = await get('/ui/oncall.csv?team=team-ops&date=2026-10-21&table=hours');
    expect(csv.status).toBe(200);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe('Person,Name,Policy,Hours,Business,Out of hours,Weekend,Holiday,Override');
    const rows = lines.slice(1).map((l) => l.split(','));
    const hours = Object.fromEntries(rows.map((r) => [r[0], Number(r[3])]));
    // Mon 19 Oct 00:00 BST to Mon 26 Oct 00:00 GMT = 169 h; the rolls start at 08:00 BST Monday.
    expect(hours.ann! + hours.bob! + hours.cat!).toBeCloseTo(169 - 8, 2);
    expect(hours.cat).toBe(4);
    const cat = rows.find((r) => r[0] === 'cat')!;
    expect(cat.slice(4)).toEqual(['0.00', '4.00', '0.00', '0.00', '4.00']);
  });

  it('refuses a bad view with a 400 naming it', async () => {
    const page = await get('/ui/oncall?view=year');
    expect(page.status).toBe(400);
    expect(page.body).toContain('view must be week or month');
  });
});

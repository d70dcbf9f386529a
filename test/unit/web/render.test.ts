import { describe, expect, it } from 'vitest';
import { renderLineChart } from '../../../src/web/chart.js';
import { renderCsv } from '../../../src/web/csv.js';
import { escapeHtml, neutralise } from '../../../src/web/escape.js';
import type { TableBlock } from '../../../src/web/model.js';

describe('escaping hostile names', () => {
  it('escapes HTML metacharacters, quotes included', () => {
    expect(escapeHtml(`"><img src=x onerror='a'>&`)).toBe(
      '&quot;&gt;&lt;img src=x onerror=&#39;a&#39;&gt;&amp;',
    );
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(42)).toBe('42');
  });

  it('shows bidi overrides, zero-width and control characters as visible markers, keeps tabs and newlines', () => {
    expect(neutralise('a\u202Eb\u2066c\u200Bd\u001b[31m\u0007\u0000e\tf\ng')).toBe(
      'a[U+202E]b[U+2066]c[U+200B]d[U+001B][31m[U+0007][U+0000]e\tf\ng',
    );
    expect(neutralise('Zoë Ñoño 山田')).toBe('Zoë Ñoño 山田');
  });
});

describe('CSV', () => {
  const table = (rows: string[][]): TableBlock => ({
    kind: 'table',
    id: 't',
    caption: 't',
    columns: ['a', 'b'],
    rows: rows.map((r) => r.map((text) => ({ text }))),
    empty: '',
  });

  it('quotes per RFC 4180 and defuses cells a spreadsheet would run as formulas', () => {
    const csv = renderCsv(
      table([
        ['=HYPERLINK("http://evil")', 'plain'],
        ['+1', 'a,"b"\nc'],
        ['@SUM(A1)', '-2'],
      ]),
    );
    expect(csv).toBe(`a,b\r\n"'=HYPERLINK(""http://evil"")",plain\r\n'+1,"a,""b""\nc"\r\n'@SUM(A1),'-2\r\n`);
  });

  it('makes terminal escapes visible, so `cat file.csv` cannot repaint a terminal', () => {
    expect(renderCsv(table([['\u001b]0;pwned\u0007', 'x']]))).toBe('a,b\r\n[U+001B]]0;pwned[U+0007],x\r\n');
  });
});

describe('the SVG chart', () => {
  it('escapes its title and labels and draws one line per series', () => {
    const svg = renderLineChart(
      '<title>',
      ['2026-01-01', '<b>'],
      [
        { label: 'users"', className: 's1', values: [1, 3] },
        { label: 'teams', className: 's2', values: [2, 2] },
      ],
    );
    expect(svg).toContain('&lt;title&gt;');
    expect(svg).toContain('&lt;b&gt;');
    expect(svg).toContain('users&quot;: 3');
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).not.toMatch(/style=|<script/);
  });

  it('says so when there is nothing to draw', () => {
    expect(renderLineChart('t', [], [])).toContain('no counted roster runs yet');
  });

  it('on day one draws a point per series and says why there is no line yet', () => {
    const svg = renderLineChart('t', ['2026-03-01'], [{ label: 'users', className: 's1', values: [42] }]);
    expect(svg).toMatch(
      /<circle class="point s1" cx="[\d.]+" cy="[\d.]+" r="5"><title>users: 42<\/title><\/circle>/,
    );
    expect(svg).toContain('One day recorded so far');
    expect(renderLineChart('t', ['a', 'b'], [{ label: 'u', className: 's1', values: [1, 2] }])).not.toContain(
      '<circle',
    );
  });
});

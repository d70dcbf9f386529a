/**
 * Server-side SVG line chart (org size over time). No script and no inline style, so it passes
 * the strict Content-Security-Policy; colours come from presentation attributes and classes.
 */
import { escapeHtml } from './escape.js';

export interface Series {
  label: string;
  /** A CSS class from the stylesheet (`s1`, `s2`, `s3`) that colours the line and its legend. */
  className: string;
  values: number[];
}

const WIDTH = 720;
const HEIGHT = 220;
const PAD = { left: 56, right: 16, top: 16, bottom: 40 };

function scale(value: number, max: number): number {
  const plot = HEIGHT - PAD.top - PAD.bottom;
  return PAD.top + plot - (max === 0 ? 0 : (value / max) * plot);
}

/** A line per series over shared x labels (days); an empty chart says so. */
export function renderLineChart(title: string, labels: readonly string[], series: readonly Series[]): string {
  const head = `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg"><title id="chart-title">${escapeHtml(title)}</title>`;
  if (labels.length === 0) {
    return `${head}<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" class="muted">no counted roster runs yet</text></svg>`;
  }
  // Even, so the middle grid line falls on a whole number.
  const max = Math.ceil(Math.max(1, ...series.flatMap((s) => s.values)) / 2) * 2;
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const x = (i: number) =>
    PAD.left + (labels.length === 1 ? plotWidth / 2 : (i / (labels.length - 1)) * plotWidth);
  const parts: string[] = [head];
  for (const fraction of [0, 0.5, 1]) {
    const y = scale(max * fraction, max);
    parts.push(
      `<line class="grid" x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}"/>`,
      `<text class="axis" x="${PAD.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${Math.round(max * fraction)}</text>`,
    );
  }
  const first = labels[0] as string;
  const last = labels[labels.length - 1] as string;
  parts.push(`<text class="axis" x="${PAD.left}" y="${HEIGHT - 22}">${escapeHtml(first)}</text>`);
  if (labels.length > 1) {
    parts.push(
      `<text class="axis" x="${WIDTH - PAD.right}" y="${HEIGHT - 22}" text-anchor="end">${escapeHtml(last)}</text>`,
    );
  }
  series.forEach((s, index) => {
    const points = s.values.map((v, i) => `${x(i).toFixed(1)},${scale(v, max).toFixed(1)}`).join(' ');
    const latest = s.values[s.values.length - 1] ?? 0;
    parts.push(
      `<polyline class="line ${escapeHtml(s.className)}" points="${points}"><title>${escapeHtml(s.label)}</title></polyline>`,
    );
    // A line needs two days; on day one each series is a point, so the chart is not empty axes.
    if (labels.length === 1) {
      parts.push(
        `<circle class="point ${escapeHtml(s.className)}" cx="${x(0).toFixed(1)}" cy="${scale(latest, max).toFixed(1)}" r="5"><title>${escapeHtml(`${s.label}: ${latest}`)}</title></circle>`,
      );
    }
    const lx = PAD.left + index * 200;
    parts.push(
      `<rect class="${escapeHtml(s.className)}" x="${lx}" y="${HEIGHT - 12}" width="10" height="10"/>`,
      `<text class="legend" x="${lx + 14}" y="${HEIGHT - 3}">${escapeHtml(`${s.label}: ${latest}`)}</text>`,
    );
  });
  if (labels.length === 1) {
    parts.push(
      `<text class="muted" x="${WIDTH / 2}" y="${PAD.top + 12}" text-anchor="middle">One day recorded so far: the lines draw from the second day.</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

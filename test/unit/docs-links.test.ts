/**
 * Every relative link in README.md and docs/*.md must lead somewhere: the file exists and, when
 * the link names an anchor, the target page has a heading that GitHub would give that anchor.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsIn(page: string): Set<string> {
  const text = readFileSync(join(root, page), 'utf8').replace(/```[\s\S]*?```/g, '');
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of text.matchAll(/^#{1,6} (.+)$/gm)) {
    const base = anchorOf(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** [text](target) outside code blocks and inline code; external and mail links are skipped. */
function relativeLinksIn(page: string): string[] {
  const text = readFileSync(join(root, page), 'utf8')
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

function brokenLinks(page: string): string[] {
  const broken: string[] = [];
  for (const link of relativeLinksIn(page)) {
    const [path, anchor] = link.split('#') as [string, string | undefined];
    const target = path === '' ? page : join(dirname(page), decodeURIComponent(path));
    if (!existsSync(join(root, target))) {
      broken.push(`${link} (no file ${target})`);
      continue;
    }
    if (anchor !== undefined && target.endsWith('.md') && !anchorsIn(target).has(anchor))
      broken.push(`${link} (no heading for #${anchor} in ${target})`);
  }
  return broken;
}

describe('documentation links', () => {
  it('finds the pages to check', () => {
    expect(pages).toContain('docs/README.md');
    expect(pages).toContain('docs/configuration.md');
  });

  it.each(pages.map((page) => [page]))('every relative link in %s resolves', (page) => {
    expect(brokenLinks(page)).toEqual([]);
  });

  it('the README stays a front door (at most 15 KB)', () => {
    expect(readFileSync(join(root, 'README.md')).length).toBeLessThanOrEqual(15_000);
  });
});

/**
 * Every environment variable the program reads must be documented in docs/configuration.md and
 * listed in .env.example. The names are taken from the source itself (the config readers'
 * string literals, `<NAME>_FILE` for secrets, and any direct process.env read), so a new variable
 * cannot slip in undocumented.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

function listSourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory())
      return path === join('src', 'bench') ? [] : listSourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Names a config reader asks for: `r.string('NAME', …)`, `this.raw('NAME')`, and NAME_FILE for secrets. */
function listVariablesReadBySource(): string[] {
  const names = new Set<string>();
  for (const file of listSourceFiles('src')) {
    const text = read(file);
    for (const m of text.matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]+)|\[['"]([A-Z][A-Z0-9_]+)['"]\])/g))
      names.add((m[1] ?? m[2])!);
    for (const m of text.matchAll(/\b(?:r|this|reader)\.\w+\(\s*['"]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)['"]/g))
      names.add(m[1]!);
    for (const m of text.matchAll(/\b(?:r|this|reader)\.secret\(\s*['"]([A-Z][A-Z0-9_]+)['"]/g))
      names.add(`${m[1]}_FILE`);
  }
  return [...names].sort();
}

const variables = listVariablesReadBySource();
const mentions = (text: string, name: string): boolean => new RegExp(`\\b${name}\\b`).test(text);

describe('configuration documentation', () => {
  it('finds the variables the source reads', () => {
    for (const known of ['VO_API_ID', 'VO_API_KEY_FILE', 'LDAP_URL', 'UI_ENABLED', 'HTTP_PORT'])
      expect(variables).toContain(known);
  });

  it('documents every variable in docs/configuration.md', () => {
    const page = read('docs/configuration.md');
    expect(variables.filter((name) => !mentions(page, name))).toEqual([]);
  });

  it('lists every variable in .env.example', () => {
    const example = read('.env.example');
    expect(variables.filter((name) => !mentions(example, name))).toEqual([]);
  });
});

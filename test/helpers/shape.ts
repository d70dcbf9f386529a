/**
 * Compares the structure of two JSON values: every key path of `expected` (a real response kept
 * as a fixture) must exist in `actual` (a fake's answer) with a compatible JSON type. A null on
 * either side matches any type, since the documented fields are nullable.
 */
function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export function shapeDifferences(expected: unknown, actual: unknown, path = '$'): string[] {
  const te = typeOf(expected);
  const ta = typeOf(actual);
  if (te === 'null' || ta === 'null') return [];
  if (te !== ta) return [`${path}: expected ${te}, got ${ta}`];
  if (te === 'array') {
    const e = (expected as unknown[])[0];
    const a = (actual as unknown[])[0];
    return e === undefined || a === undefined ? [] : shapeDifferences(e, a, `${path}[0]`);
  }
  if (te !== 'object') return [];
  const out: string[] = [];
  const a = actual as Record<string, unknown>;
  for (const [key, value] of Object.entries(expected as Record<string, unknown>)) {
    if (!(key in a)) out.push(`${path}.${key}: missing`);
    else out.push(...shapeDifferences(value, a[key], `${path}.${key}`));
  }
  return out;
}

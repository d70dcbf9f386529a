/**
 * The shape of a JSON body, for contract tests: per path (array indexes folded into `[]`) the keys
 * seen, the keys present in every object there, and the value types. Strings that are RFC 3339
 * times count as their own type, so `2026-12-01T09:00:00-06:00` and a number are told apart.
 */
export interface JsonShape {
  keys: Map<string, Set<string>>;
  required: Map<string, Set<string>>;
  types: Map<string, Set<string>>;
}

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return TIME.test(value) ? 'time' : 'string';
  return typeof value;
}

export function describeShape(body: unknown): JsonShape {
  const shape: JsonShape = { keys: new Map(), required: new Map(), types: new Map() };
  const visit = (value: unknown, path: string) => {
    const types = shape.types.get(path) ?? new Set<string>();
    types.add(typeOf(value));
    shape.types.set(path, types);
    if (Array.isArray(value)) {
      for (const item of value) visit(item, `${path}[]`);
    } else if (value !== null && typeof value === 'object') {
      const own = new Set(Object.keys(value));
      const keys = shape.keys.get(path) ?? new Set<string>();
      for (const key of own) keys.add(key);
      shape.keys.set(path, keys);
      const required = shape.required.get(path);
      shape.required.set(path, required ? new Set([...required].filter((k) => own.has(k))) : own);
      for (const [key, inner] of Object.entries(value)) visit(inner, `${path}.${key}`);
    }
  };
  visit(body, '$');
  return shape;
}

/**
 * Every difference between a reference body's shape and another's: a key the other invents or
 * drops, a key the reference always has but the other sometimes leaves out, or a value type the
 * reference never uses. Empty when the shapes agree.
 */
export function compareShapes(reference: JsonShape, other: JsonShape): string[] {
  const problems: string[] = [];
  const paths = new Set([...reference.keys.keys(), ...other.keys.keys()]);
  for (const path of paths) {
    const want = reference.keys.get(path) ?? new Set<string>();
    const got = other.keys.get(path) ?? new Set<string>();
    for (const key of got) if (!want.has(key)) problems.push(`${path}.${key}: invented`);
    for (const key of want) if (!got.has(key)) problems.push(`${path}.${key}: dropped`);
    const always = reference.required.get(path) ?? new Set<string>();
    const otherAlways = other.required.get(path) ?? new Set<string>();
    for (const key of always)
      if (got.has(key) && !otherAlways.has(key)) problems.push(`${path}.${key}: sometimes missing`);
  }
  for (const [path, types] of other.types) {
    const want = reference.types.get(path);
    if (!want) continue;
    for (const t of types)
      if (!want.has(t)) problems.push(`${path}: ${t} where the reference has ${[...want].join('|')}`);
  }
  return problems.sort();
}

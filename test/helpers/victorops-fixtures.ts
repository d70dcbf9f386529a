import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** A real-shape VictorOps response body from test/fixtures/victorops (see its README for sources). */
export function readFixture(name: string): unknown {
  return JSON.parse(readFileSync(resolve(import.meta.dirname, '..', 'fixtures', 'victorops', name), 'utf8'));
}

/**
 * Temporary folders that helpers make for a test file and remove when its tests are done, so a
 * run of the suite does not leave thousands of them in /tmp. The hook is the importing test file's
 * (each file has its own module graph): it runs after that file's own afterAll hooks, which may
 * still close a database kept there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder under the system's temporary folder, removed after the test file. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

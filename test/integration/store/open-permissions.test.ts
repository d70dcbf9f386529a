/**
 * Issue 20 item 15: reading a history never changes its permissions (a reader who does not own the
 * file got EPERM from chmod in `roster`, `history` and `ui`); a new database is still private.
 */
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/db.js';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const mode = (path: string) => statSync(path).mode & 0o777;

describe('opening a history', () => {
  it('creates a new database readable by its owner only, and leaves an existing one as its owner set it', () => {
    dir = mkdtempSync(join(tmpdir(), 'rw-perm-'));
    const path = join(dir, 'h.db');
    openStore(path).close();
    expect(mode(path)).toBe(0o600);
    // The owner shares it with a group of auditors.
    chmodSync(path, 0o640);
    openStore(path, { mustExist: true }).close();
    openStore(path, { readonly: true }).close();
    openStore(path).close();
    expect(mode(path)).toBe(0o640);
  });
});

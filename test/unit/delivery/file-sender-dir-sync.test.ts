/**
 * A file system that cannot fsync a directory (EINVAL from some network file systems) must not
 * turn every new file's first line into a failed attempt and a duplicate.
 */
import { readFileSync, statSync } from 'node:fs';
import type * as fsPromises from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { scratchDir } from '../../helpers/scratch-dir.js';

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof fsPromises>();
  const open: typeof real.open = async (path, flags, mode) => {
    const handle = await real.open(path, flags, mode);
    if (!statSync(path).isDirectory()) return handle;
    handle.sync = () =>
      Promise.reject(Object.assign(new Error('EINVAL: invalid argument, fsync'), { code: 'EINVAL' }));
    return handle;
  };
  return { ...real, open };
});

const { createFileSender } = await import('../../../src/delivery/file-sender.js');

describe('file sender on a file system without directory fsync', () => {
  it('delivers the first line of a new file once', async () => {
    const path = join(scratchDir('rw-file-sender-'), 'events.jsonl');
    const body = JSON.stringify({ id: 'a', type: 'rosterwatch.baseline' });
    const result = await createFileSender({ path, mode: 0o600 }).send({ id: 'a', body });
    expect(result.kind).toBe('delivered');
    expect(readFileSync(path, 'utf8')).toBe(`${body}\n`);
  });
});

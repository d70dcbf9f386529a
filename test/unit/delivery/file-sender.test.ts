import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileSender } from '../../../src/delivery/file-sender.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

const tempPath = () => join(scratchDir('rw-file-sender-'), 'events.jsonl');
const event = (id: string) => JSON.stringify({ specversion: '1.0', id, type: 'victorops.user.created' });
const lines = (path: string) => readFileSync(path, 'utf8').split('\n');

describe('file sender', () => {
  it('appends each event as one line ending in a newline, creating the file 0600', async () => {
    const path = tempPath();
    const sender = createFileSender({ path, mode: 0o600 });
    expect((await sender.send({ id: 'a', body: event('a') })).kind).toBe('delivered');
    expect((await sender.send({ id: 'b', body: event('b') })).kind).toBe('delivered');
    expect(lines(path)).toEqual([event('a'), event('b'), '']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('creates the file 0640 when asked (group-readable for a shipper in the group)', async () => {
    const path = tempPath();
    const previous = process.umask(0o022);
    try {
      await createFileSender({ path, mode: 0o640 }).send({ id: 'a', body: event('a') });
    } finally {
      process.umask(previous);
    }
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it('ends a torn last line first, so the next event never glues onto it', async () => {
    const path = tempPath();
    writeFileSync(path, `${event('a')}\n{"specversion":"1.0","id":"b","ty`);
    const result = await createFileSender({ path, mode: 0o600 }).send({ id: 'b', body: event('b') });
    expect(result.kind).toBe('delivered');
    expect(lines(path)).toEqual([event('a'), '{"specversion":"1.0","id":"b","ty', event('b'), '']);
  });

  it('follows rename-and-create rotation: the next event starts the new file', async () => {
    const path = tempPath();
    const sender = createFileSender({ path, mode: 0o600 });
    await sender.send({ id: 'a', body: event('a') });
    renameSync(path, `${path}.1`);
    await sender.send({ id: 'b', body: event('b') });
    expect(lines(`${path}.1`)).toEqual([event('a'), '']);
    expect(lines(path)).toEqual([event('b'), '']);
  });

  it('writes a stored event that spans lines as one line', async () => {
    const path = tempPath();
    const pretty = JSON.stringify({ id: 'a', data: { note: 'x\ny' } }, null, 2);
    await createFileSender({ path, mode: 0o600 }).send({ id: 'a', body: pretty });
    expect(lines(path)).toEqual([JSON.stringify(JSON.parse(pretty)), '']);
  });

  it('rejects a stored event that is not a JSON object, since no retry can change it', async () => {
    const path = tempPath();
    const sender = createFileSender({ path, mode: 0o600 });
    const notJson = await sender.send({ id: 'a', body: '{"id":' });
    expect(notJson).toMatchObject({ kind: 'rejected', error: 'the stored event is not valid JSON (a)' });
    const array = await sender.send({ id: 'b', body: '[1]' });
    expect(array).toMatchObject({ kind: 'rejected', error: 'the stored event is not a JSON object (b)' });
  });

  it('fails, to be retried, naming the path and the cause, when the directory is gone', async () => {
    const path = join(scratchDir('rw-file-sender-'), 'gone', 'events.jsonl');
    const result = await createFileSender({ path, mode: 0o600 }).send({ id: 'a', body: event('a') });
    expect(result).toMatchObject({
      kind: 'failed',
      statusCode: null,
      error: `cannot append to ${path}: ENOENT: its directory no longer exists`,
    });
  });

  it('fails, to be retried, when a directory stands at the path', async () => {
    const path = tempPath();
    mkdirSync(path);
    const result = await createFileSender({ path, mode: 0o600 }).send({ id: 'a', body: event('a') });
    expect(result).toMatchObject({
      kind: 'failed',
      error: `cannot append to ${path}: EISDIR: a directory is at that path`,
    });
  });

  it.skipIf(!existsSync('/dev/full'))('fails, to be retried, when the disk is full', async () => {
    // /dev/full answers every write with ENOSPC, as a full disk does.
    const result = await createFileSender({ path: '/dev/full', mode: 0o600 }).send({
      id: 'a',
      body: event('a'),
    });
    expect(result).toMatchObject({
      kind: 'failed',
      error: 'cannot append to /dev/full: ENOSPC: the disk is full',
    });
  });

  it('delivers into a directory it may write but not list (the directory cannot be synced there)', async () => {
    const path = tempPath();
    const directory = dirname(path);
    if (process.getuid?.() === 0) chownSync(directory, 65534, 65534);
    chmodSync(directory, 0o300);
    const result = await unprivileged(() =>
      createFileSender({ path, mode: 0o600 }).send({ id: 'a', body: event('a') }),
    );
    chmodSync(directory, 0o700);
    expect(result.kind).toBe('delivered');
    expect(lines(path)).toEqual([event('a'), '']);
  });

  it('fails, to be retried, on EACCES with what to check', async () => {
    const path = tempPath();
    writeFileSync(path, '');
    chmodSync(path, 0o400);
    const result = await unprivileged(() =>
      createFileSender({ path, mode: 0o600 }).send({ id: 'a', body: event('a') }),
    );
    expect(result).toMatchObject({
      kind: 'failed',
      error: `cannot append to ${path}: EACCES: permission denied: check the owner and mode of the file and of its directory`,
    });
  });
});

/**
 * Root opens a read-only file anyway (CI runs as root), so the append runs as `nobody` there: this
 * file's tests run alone in their own process (vitest's forks pool), so the switch touches no other.
 */
async function unprivileged<T>(work: () => Promise<T>): Promise<T> {
  if (process.getuid?.() !== 0 || process.seteuid === undefined) return work();
  process.seteuid(65534);
  try {
    return await work();
  } finally {
    process.seteuid(0);
  }
}

/**
 * Appends one event as one CloudEvents JSON line to a file a log shipper tails (Vector, Fluent
 * Bit, Filebeat, a Splunk forwarder). Each append opens, writes, fsyncs and closes the file, so
 * logrotate's rename-and-create is followed at the next event without any signal, and an event is
 * on disk before its outbox row is marked delivered: a crash in between repeats a line (the
 * consumer deduplicates by the event's `id`), it never loses one. A line torn by a crash or a full
 * disk is ended before the next event is written, so it cannot glue onto it.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';

export type FileSendResult =
  | { kind: 'delivered'; statusCode: null; latencyMs: number }
  /** The file could not be written (disk full, permissions, a missing directory): retried later. */
  | {
      kind: 'failed';
      statusCode: null;
      /** A file never asks to wait: the retry schedule alone decides. */
      retryAfterMs?: undefined;
      error: string;
      latencyMs: number;
    }
  /** The stored event is not a JSON object: no retry can write it as a line. */
  | { kind: 'rejected'; statusCode: null; error: string; latencyMs: number };

export interface FileSender {
  send(message: { id: string; body: string }): Promise<FileSendResult>;
}

const NEWLINE = 0x0a;

/** What an operator can do about each error an append meets; the code itself is kept in the message. */
const ERROR_HINTS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EACCES: 'permission denied: check the owner and mode of the file and of its directory',
  EPERM: 'operation not permitted: check the owner and mode of the file and of its directory',
  ENOENT: 'its directory no longer exists',
  EROFS: 'the file system is read-only',
  EISDIR: 'a directory is at that path',
  EIO: 'an input/output error from the disk',
};

/** The event as one line: the stored JSON, re-serialised only if it somehow spans lines. */
function toLine(body: string): string | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { error: 'the stored event is not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { error: 'the stored event is not a JSON object' };
  }
  return /[\r\n]/.test(body) ? JSON.stringify(parsed) : body;
}

/** True when the file is not empty and its last byte is not a newline (a torn last line). */
async function endsMidLine(handle: FileHandle, size: number): Promise<boolean> {
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] !== NEWLINE;
}

/** File systems that cannot fsync a directory (some network ones) say so; the line itself is synced. */
const UNSYNCABLE_DIRECTORY = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP']);

/** A new file's directory entry is made durable too, or a power cut could lose the whole file. */
async function syncDirectory(path: string): Promise<void> {
  let directory: FileHandle;
  try {
    directory = await open(dirname(path), 'r');
  } catch (error) {
    // A directory this process may write into but not list (mode -wx) cannot be opened to sync:
    // the line itself is synced, and failing here would write it again after every rotation.
    if ((error as NodeJS.ErrnoException).code === 'EACCES') return;
    throw error;
  }
  try {
    await directory.sync();
  } catch (error) {
    if (!UNSYNCABLE_DIRECTORY.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await directory.close();
  }
}

function describeError(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const hint = code === undefined ? undefined : ERROR_HINTS[code];
  const reason = hint === undefined ? (error as Error).message : `${code}: ${hint}`;
  return `cannot append to ${path}: ${reason}`;
}

export function createFileSender(options: { path: string; mode: number }): FileSender {
  return {
    async send(message) {
      // Latency is a measurement, so it uses the monotonic clock.
      const t0 = performance.now();
      const latency = () => Math.round(performance.now() - t0);
      const line = toLine(message.body);
      if (typeof line !== 'string') {
        return { kind: 'rejected', statusCode: null, error: `${line.error} (${message.id})`, latencyMs: 0 };
      }
      let handle: FileHandle | undefined;
      try {
        // 'a+': every write goes to the end (O_APPEND), and the last byte can be read.
        handle = await open(options.path, 'a+', options.mode);
        const { size } = await handle.stat();
        const prefix = (await endsMidLine(handle, size)) ? '\n' : '';
        // writeFile repeats short writes until the whole line is written, or throws.
        await handle.writeFile(`${prefix}${line}\n`);
        await handle.sync();
        if (size === 0) await syncDirectory(options.path);
        return { kind: 'delivered', statusCode: null, latencyMs: latency() };
      } catch (error) {
        return {
          kind: 'failed',
          statusCode: null,
          error: describeError(options.path, error),
          latencyMs: latency(),
        };
      } finally {
        await handle?.close().catch(() => undefined);
      }
    },
  };
}

/**
 * What a write transaction costs the disk in WAL mode: the frames it appended to the WAL (one
 * whole page each, plus a 24-byte header), attributed to the table or index that owns each page
 * (SQLite's dbstat). The database growth the poll benchmarks report (file / used) misses a page
 * rewritten in place, such as an open finding whose row every poll updates; this counts it.
 *
 * Call resetWal before the writes (it checkpoints and truncates the WAL, so the file then holds
 * only what follows), then walWritten after them, with no other connection writing meanwhile.
 */
import { readFileSync } from 'node:fs';
import type { Store } from '../store/db.js';

export interface WalWritten {
  /** Bytes appended to the WAL: its 32-byte header and every frame. */
  bytes: number;
  frames: number;
  /** Frames by the table or index owning the page (pages not in the database's b-trees: "(free)"). */
  byName: Record<string, number>;
}

const WAL_HEADER = 32;
const FRAME_HEADER = 24;

export function resetWal(store: Store): void {
  store.sqlite.pragma('wal_checkpoint(TRUNCATE)');
}

export function walWritten(path: string, store: Store): WalWritten {
  let wal: Buffer;
  try {
    wal = readFileSync(`${path}-wal`);
  } catch {
    return { bytes: 0, frames: 0, byName: {} };
  }
  if (wal.length < WAL_HEADER) return { bytes: wal.length, frames: 0, byName: {} };
  const pageSize = wal.readUInt32BE(8);
  const salt1 = wal.readUInt32BE(16);
  const salt2 = wal.readUInt32BE(20);
  const owner = new Map<number, string>();
  for (const row of store.sqlite.prepare('SELECT name, pageno FROM dbstat').all() as {
    name: string;
    pageno: number;
  }[])
    owner.set(row.pageno, row.name);
  const byName: Record<string, number> = {};
  let frames = 0;
  // A frame whose salts differ from the header's is left over from before a restart: not this write's.
  for (let at = WAL_HEADER; at + FRAME_HEADER + pageSize <= wal.length; at += FRAME_HEADER + pageSize) {
    if (wal.readUInt32BE(at + 8) !== salt1 || wal.readUInt32BE(at + 12) !== salt2) break;
    const name = owner.get(wal.readUInt32BE(at)) ?? '(free)';
    byName[name] = (byName[name] ?? 0) + 1;
    frames++;
  }
  return { bytes: WAL_HEADER + frames * (FRAME_HEADER + pageSize), frames, byName };
}

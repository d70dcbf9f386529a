/**
 * Whether the database path still names the file roster-watch has open. Deleting or replacing
 * the file under a running process (a restore, a careless `rm`, a volume swap) leaves SQLite
 * writing happily into an unlinked inode: every poll "succeeds" and the history is gone at exit.
 * The path's device and inode, compared with those recorded at open, tell the two apart.
 */
import { statSync } from 'node:fs';

export interface FileIdentity {
  dev: number;
  ino: number;
}

export type FileCheck = { ok: true } | { ok: false; reason: string };

/** The identity of the file at `path` now; null for `:memory:` or when it cannot be read. */
export function readFileIdentity(path: string): FileIdentity | null {
  if (path === ':memory:') return null;
  try {
    const stats = statSync(path);
    return { dev: stats.dev, ino: stats.ino };
  } catch {
    return null;
  }
}

/** Compares the path with the identity recorded at open. */
export function checkFileIdentity(path: string, opened: FileIdentity | null): FileCheck {
  if (opened === null) return { ok: true };
  let current: FileIdentity;
  try {
    const stats = statSync(path);
    current = { dev: stats.dev, ino: stats.ino };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    return {
      ok: false,
      reason: `the database file ${path} is gone (${code}) while roster-watch has it open: writes would be lost`,
    };
  }
  if (current.dev !== opened.dev || current.ino !== opened.ino) {
    return {
      ok: false,
      reason: `the database file ${path} was replaced by another file while roster-watch had it open: writes would go to the old one`,
    };
  }
  return { ok: true };
}

/**
 * Syncs identities as soon as the export file changes, rather than at the next IDENTITY_SCHEDULE
 * tick. fs.watchFile polls the file's stat, which also sees a file replaced by a rename (how most
 * exports are written) where fs.watch would lose track of it.
 */
import { type Stats, unwatchFile, watchFile } from 'node:fs';

export function watchIdentityFile(path: string, intervalMs: number, onChange: () => void): () => void {
  const listener = (current: Stats, previous: Stats) => {
    if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size) onChange();
  };
  watchFile(path, { interval: intervalMs, persistent: false }, listener);
  return () => unwatchFile(path, listener);
}

/** The JSON Lines file destination (EVENTS_FILE): one append at a time, in the outbox's order. */
import { eventsFileProblems } from '../config/events-file.js';
import { ConfigError } from '../errors.js';
import { type DestinationPlugin, LEASE_MARGIN_MS } from './destination-runtime.js';
import { createFileSender } from './file-sender.js';

/**
 * An append has no timeout of its own; a disk that stalls this long leaves the row to be claimed
 * again, which at worst repeats a line.
 */
const FILE_APPEND_LEASE_MS = 30_000;

export const fileDestination: DestinationPlugin<'file'> = {
  kind: 'file',
  create(_name, deps) {
    const file = deps.delivery.eventsFile;
    if (file === null) return null;
    // Checked here, when something is about to deliver, not when any command reads the settings.
    const problems = eventsFileProblems(file.path);
    if (problems.length > 0) throw new ConfigError(problems);
    const sender = createFileSender({ path: file.path, mode: file.mode });
    return {
      // One at a time: lines stay in the events' order, and the torn-line check never races itself.
      concurrency: 1,
      leaseMs: FILE_APPEND_LEASE_MS + LEASE_MARGIN_MS,
      minIntervalMs: 0,
      send: (row) => sender.send({ id: row.eventId, body: row.envelope }),
    };
  },
};

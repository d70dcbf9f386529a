/**
 * The JSON Lines file destination's settings: EVENTS_FILE (an absolute path), EVENTS_FILE_EVENTS
 * (the event filter the webhooks take) and EVENTS_FILE_MODE (0600 or 0640). The path's form is
 * checked when the configuration is read; what a first append would meet on disk (a missing or
 * unwritable directory, a directory or a read-only file at the path) only when the destination is
 * built to deliver (`eventsFileProblems`), so a reader (`history`, `ui`) who may not write there
 * still runs.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import type { ConfigReader } from './reader.js';

export interface EventsFileConfig {
  path: string;
  /** Event-type patterns such as `victorops.user.*`; empty means every event. */
  events: string[];
  /** Permissions of a file roster-watch creates: events carry people's names. */
  mode: 0o600 | 0o640;
}

/** The events file's name in the outbox (roster/delivery-plan.ts routes to it by this name). */
export const EVENTS_FILE_DESTINATION = 'events-file';

const MODES = { '0600': 0o600, '0640': 0o640 } as const;

function errnoCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'unreadable';
}

/** Problems with the path's form, or []. */
function pathProblems(path: string): string[] {
  if (!isAbsolute(path)) {
    return [
      `EVENTS_FILE must be an absolute path (a relative one would move with the working directory), got "${path}"`,
    ];
  }
  if (path.endsWith('/')) return [`EVENTS_FILE must name a file, not a directory: "${path}"`];
  return [];
}

/** What a first append to this (absolute) path would meet on disk, or [] when it can succeed. */
export function eventsFileProblems(path: string): string[] {
  const directory = dirname(path);
  try {
    if (!statSync(directory).isDirectory()) return [`EVENTS_FILE: ${directory} is not a directory`];
    accessSync(directory, constants.W_OK | constants.X_OK);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return [`EVENTS_FILE: the directory ${directory} does not exist: create it first`];
    return [`EVENTS_FILE: cannot create files in ${directory} (${code})`];
  }
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return [`EVENTS_FILE: ${path} exists and is not a regular file`];
    accessSync(path, constants.W_OK);
  } catch (error) {
    const code = errnoCode(error);
    if (code !== 'ENOENT') return [`EVENTS_FILE: cannot append to ${path} (${code})`];
  }
  return [];
}

/** The events file, or null when EVENTS_FILE is not set (its companions then must not be set either). */
export function readEventsFileConfig(r: ConfigReader): EventsFileConfig | null {
  const path = r.raw('EVENTS_FILE');
  if (path === undefined || path.trim() === '') {
    for (const name of ['EVENTS_FILE_EVENTS', 'EVENTS_FILE_MODE']) {
      if (r.raw(name) !== undefined)
        r.problems.push(`${name} is set but EVENTS_FILE is not: set EVENTS_FILE too`);
    }
    return null;
  }
  r.problems.push(...pathProblems(path));
  const events = (r.raw('EVENTS_FILE_EVENTS') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const modeText = r.oneOf('EVENTS_FILE_MODE', ['0600', '0640'] as const, '0600');
  return { path, events, mode: MODES[modeText] };
}

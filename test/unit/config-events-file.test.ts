import { accessSync, chmodSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventsFileProblems } from '../../src/config/events-file.js';
import { loadConfig } from '../../src/config/load-config.js';
import { configProblems } from '../helpers/config-problems.js';
import { scratchDir } from '../helpers/scratch-dir.js';

const base = { VO_API_ID: 'id-1', VO_API_KEY: 'very-secret-key' };
const tempDir = () => scratchDir('rw-events-file-');

/** A directory this process may not create files in: a read-only one, or (as root) Linux's /proc/sys. */
function unwritableDirectory(): string | null {
  const candidate = process.getuid?.() === 0 ? '/proc/sys' : tempDir();
  if (candidate !== '/proc/sys') chmodSync(candidate, 0o500);
  try {
    accessSync(candidate, constants.W_OK);
    return null;
  } catch {
    return candidate;
  }
}
const unwritable = unwritableDirectory();

describe('EVENTS_FILE', () => {
  it('is off by default', () => {
    expect(loadConfig(base, { requireVictorOps: true }).delivery.eventsFile).toBeNull();
  });

  it('reads the path, the event filter and the mode', () => {
    const path = join(tempDir(), 'events.jsonl');
    const c = loadConfig(
      {
        ...base,
        EVENTS_FILE: path,
        EVENTS_FILE_EVENTS: 'victorops.user.*, rosterwatch.*',
        EVENTS_FILE_MODE: '0640',
      },
      { requireVictorOps: true },
    );
    expect(c.delivery.eventsFile).toEqual({
      path,
      events: ['victorops.user.*', 'rosterwatch.*'],
      mode: 0o640,
    });
    expect(
      loadConfig({ ...base, EVENTS_FILE: path }, { requireVictorOps: true }).delivery.eventsFile,
    ).toEqual({
      path,
      events: [],
      mode: 0o600,
    });
  });

  it("names each problem of the path's form when the settings are read", () => {
    const aDir = tempDir();
    expect(configProblems({ ...base, EVENTS_FILE: 'data/events.jsonl' })).toEqual([
      'EVENTS_FILE must be an absolute path (a relative one would move with the working directory), got "data/events.jsonl"',
    ]);
    expect(configProblems({ ...base, EVENTS_FILE: `${aDir}/` })).toEqual([
      `EVENTS_FILE must name a file, not a directory: "${aDir}/"`,
    ]);
    expect(configProblems({ ...base, EVENTS_FILE: join(aDir, 'e.jsonl'), EVENTS_FILE_MODE: '0644' })).toEqual(
      ['EVENTS_FILE_MODE must be one of 0600, 0640, got "0644"'],
    );
  });

  it('names each problem a first append would meet on disk, but lets a reader load the settings anyway', () => {
    const dir = tempDir();
    const notADir = join(dir, 'plain');
    writeFileSync(notADir, '');
    const aDir = join(dir, 'sub');
    mkdirSync(aDir);
    const missing = join(dir, 'missing', 'e.jsonl');
    expect(eventsFileProblems(missing)).toEqual([
      `EVENTS_FILE: the directory ${join(dir, 'missing')} does not exist: create it first`,
    ]);
    expect(eventsFileProblems(join(notADir, 'e.jsonl'))).toEqual([
      `EVENTS_FILE: ${notADir} is not a directory`,
    ]);
    expect(eventsFileProblems(aDir)).toEqual([`EVENTS_FILE: ${aDir} exists and is not a regular file`]);
    expect(eventsFileProblems(join(dir, 'e.jsonl'))).toEqual([]);
    // `history`, `ui` and the rest read the settings without delivering: the disk is not their concern.
    expect(configProblems({ ...base, EVENTS_FILE: missing })).toEqual([]);
  });

  it('refuses its companions without EVENTS_FILE, and a webhook named like it', () => {
    expect(configProblems({ ...base, EVENTS_FILE_EVENTS: 'victorops.*', EVENTS_FILE_MODE: '0640' })).toEqual([
      'EVENTS_FILE_EVENTS is set but EVENTS_FILE is not: set EVENTS_FILE too',
      'EVENTS_FILE_MODE is set but EVENTS_FILE is not: set EVENTS_FILE too',
    ]);
    const file = join(tempDir(), 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        webhooks: [
          {
            name: 'events-file',
            url: 'https://hooks.example/x',
            secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
          },
        ],
      }),
    );
    expect(configProblems({ ...base, ROSTER_WATCH_CONFIG: file })).toEqual([
      'ROSTER_WATCH_CONFIG webhooks[0].name "events-file" is reserved for EVENTS_FILE: choose another name',
    ]);
  });

  it.skipIf(unwritable === null)('names a directory it cannot create files in', () => {
    expect(eventsFileProblems(`${unwritable}/events.jsonl`)).toEqual([
      `EVENTS_FILE: cannot create files in ${unwritable} (EACCES)`,
    ]);
  });
});

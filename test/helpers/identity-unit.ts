/** Builders shared by the identity unit tests: a file source's configuration and match settings. */
import {
  DEFAULT_FILE_COLUMNS,
  DEFAULT_IDENTITY_FILE_MAX_BYTES,
  DEFAULT_STATUS_MAP,
  type FileSourceConfig,
} from '../../src/config/identity-file.js';
import type { Identity, MatchSettings } from '../../src/roster/identity-types.js';

export function aFileConfig(overrides: Partial<FileSourceConfig> = {}): FileSourceConfig {
  return {
    path: 'people.csv',
    format: 'csv',
    columns: { ...DEFAULT_FILE_COLUMNS },
    statusMap: DEFAULT_STATUS_MAP,
    watchMs: 0,
    maxBytes: DEFAULT_IDENTITY_FILE_MAX_BYTES,
    statusColumnConfigured: false,
    dateOrder: 'day-first',
    ...overrides,
  };
}

export function matchSettings(overrides: Partial<MatchSettings> = {}): MatchSettings {
  return { rule: 'none', explicit: new Map(), exemptions: [], ...overrides };
}

/** An active identity of the file source with these addresses; `over` changes any field. */
export function anIdentity(id: string, emails: string[], over: Partial<Identity> = {}): Identity {
  return {
    source: 'file',
    id,
    emails,
    displayName: null,
    active: true,
    status: 'active',
    statusChangedAt: null,
    ...over,
  };
}

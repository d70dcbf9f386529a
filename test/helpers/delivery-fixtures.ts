/**
 * Builders for delivery tests: a store in a temp dir, runs and events written through the
 * store's own functions, outbox rows planned by the real router, and a Config loaded through
 * the real loader.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../../src/config/load-config.js';
import { destinationSpecsFromConfig, planDeliveries } from '../../src/roster/delivery-plan.js';
import type { CloudEvent, EventDraft } from '../../src/roster/events.js';
import { formatSequence } from '../../src/roster/events.js';
import type { Team, User } from '../../src/roster/types.js';
import { inTransaction, openStore, type Store } from '../../src/store/db.js';
import { appendEvents, type StoredEvent } from '../../src/store/events.js';
import { enqueueDeliveries } from '../../src/store/outbox.js';
import { insertRun as insertStoredRun } from '../../src/store/runs.js';
import { quietRun } from './run-record.js';

export const TEST_SOURCE = 'urn:roster-watch:test';

export function aWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export interface TempStore {
  store: Store;
  dir: string;
  path: string;
  cleanup(): void;
}

export function createTempStore(): TempStore {
  const dir = mkdtempSync(join(tmpdir(), 'rw-delivery-'));
  const path = join(dir, 'roster-watch.db');
  const store = openStore(path);
  return {
    store,
    dir,
    path,
    cleanup: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function aUser(username: string, overrides: Partial<User> = {}): User {
  return {
    username,
    firstName: null,
    lastName: null,
    displayName: null,
    email: `${username}@example.com`,
    createdAt: null,
    passwordLastUpdated: null,
    verified: true,
    ...overrides,
  };
}

export function aTeam(slug: string, name = slug): Team {
  return { slug, name };
}

export const drafts = {
  userAdded: (user: User): EventDraft => ({
    type: 'victorops.user.added',
    subject: `users/${user.username}`,
    data: { user },
  }),
  userRemoved: (user: User): EventDraft => ({
    type: 'victorops.user.removed',
    subject: `users/${user.username}`,
    data: { user, policies: [] },
  }),
  userChanged: (before: User, after: User): EventDraft => ({
    type: 'victorops.user.changed',
    subject: `users/${after.username}`,
    data: {
      username: after.username,
      before,
      after,
      changes: (['firstName', 'lastName', 'displayName', 'email', 'verified'] as const)
        .filter((f) => before[f] !== after[f])
        .map((field) => ({ field, before: before[field], after: after[field] })),
    },
  }),
  membershipAdded: (username: string, team: Team): EventDraft => ({
    type: 'victorops.membership.added',
    subject: `teams/${team.slug}/members/${username}`,
    data: { username, team },
  }),
  membershipRemoved: (username: string, team: Team): EventDraft => ({
    type: 'victorops.membership.removed',
    subject: `teams/${team.slug}/members/${username}`,
    data: { username, team },
  }),
  teamAdded: (team: Team): EventDraft => ({
    type: 'victorops.team.added',
    subject: `teams/${team.slug}`,
    data: { team },
  }),
  baseline: (): EventDraft => ({
    type: 'rosterwatch.baseline',
    subject: 'roster',
    data: { users: 3, teams: 1, memberships: 2, strategy: 'user' },
  }),
};

/** A CloudEvent as the store would hold it, for pure formatting tests. */
export function aCloudEvent(draft: EventDraft, sequence: number, runId = 1): CloudEvent {
  return {
    specversion: '1.0',
    id: `evt-${sequence}`,
    source: TEST_SOURCE,
    type: draft.type,
    subject: draft.subject,
    time: new Date(Date.UTC(2025, 0, 1, 12, 0, 0)).toISOString(),
    datacontenttype: 'application/json',
    runid: runId,
    sequence: formatSequence(sequence),
    data: draft.data,
  } as CloudEvent;
}

/** A finished roster run, stored by the store's own insertRun. */
export function insertRun(store: Store, startedAt = new Date().toISOString()): number {
  return insertStoredRun(store, {
    ...quietRun('roster', startedAt),
    strategy: 'user',
    stats: { requests: 0, retries: 0, rateLimited: 0 },
  });
}

/** Appends a run's events through the store's own appendEvents, in one transaction like a poll. */
export function insertEvents(store: Store, runId: number, list: readonly EventDraft[]): StoredEvent[] {
  const time = new Date().toISOString();
  return inTransaction(store, () => appendEvents(store, list, { source: TEST_SOURCE, runId, time }));
}

/** One run with its events and outbox rows, as a poll would commit them. */
export function commitRun(
  store: Store,
  config: Config,
  list: readonly EventDraft[],
  nowMs = Date.now(),
): StoredEvent[] {
  const runId = insertRun(store);
  const stored = insertEvents(store, runId, list);
  enqueueDeliveries(store, planDeliveries(stored, destinationSpecsFromConfig(config.delivery)), nowMs);
  return stored;
}

export interface TestDestinations {
  webhooks?: { name: string; url: string; secret: string; events?: string[] }[];
  slackUrl?: string;
  env?: Record<string, string>;
}

/** A Config through the real loader; webhooks go through a ROSTER_WATCH_CONFIG file for names and filters. */
export function aDeliveryConfig(dir: string, databasePath: string, destinations: TestDestinations): Config {
  const env: Record<string, string> = {
    DATABASE_PATH: databasePath,
    EVENT_SOURCE: TEST_SOURCE,
    DELIVERY_RETRY_SCHEDULE: '0ms,50ms,100ms',
    WEBHOOK_TIMEOUT_MS: '2000',
    SLACK_MIN_INTERVAL_MS: '0',
    ...destinations.env,
  };
  if (destinations.webhooks !== undefined) {
    const file = join(dir, `destinations-${randomBytes(4).toString('hex')}.json`);
    writeFileSync(file, JSON.stringify({ webhooks: destinations.webhooks }));
    env.ROSTER_WATCH_CONFIG = file;
  }
  if (destinations.slackUrl !== undefined) env.SLACK_WEBHOOK_URL = destinations.slackUrl;
  return loadConfig(env, { requireVictorOps: false });
}

import { afterEach, describe, expect, it } from 'vitest';
import type { EventDraft } from '../../../src/roster/events.js';
import { inTransaction, openStore, type Store } from '../../../src/store/db.js';
import { pendingCountsByDestination } from '../../../src/store/outbox-reads.js';
import { appendRunEvents } from '../../../src/store/run-events.js';
import { insertRun } from '../../../src/store/runs.js';
import { aTeam } from '../../helpers/builders.js';

let store: Store | undefined;
afterEach(() => store?.close());

const drafts: EventDraft[] = [
  { type: 'victorops.team.added', subject: 'teams/a', data: { team: aTeam('a') } },
  { type: 'victorops.team.added', subject: 'teams/b', data: { team: aTeam('b') } },
];
const destinations = [{ name: 'hook', kind: 'webhook' as const, events: [] }];
const T = '2026-03-03T10:00:00.000Z';

function insertTestRun(s: Store): number {
  return insertRun(s, {
    startedAt: T,
    finishedAt: T,
    status: 'ok',
    strategy: null,
    stats: { requests: 0, retries: 0, rateLimited: 0 },
    counts: null,
    failedScopes: [],
    changeCount: 2,
    error: null,
    rosterHash: null,
  });
}

describe("a run's events are stored with their outbox rows, never without", () => {
  it('plans one outbox row per event and destination in the same transaction', () => {
    store = openStore(':memory:');
    const s = store;
    const events = inTransaction(s, () =>
      appendRunEvents(
        s,
        drafts,
        { source: 'urn:test', runId: insertTestRun(s), time: T },
        {
          destinations,
          nowMs: Date.parse(T),
        },
      ),
    );
    expect(events.map((e) => e.type)).toEqual(['victorops.team.added', 'victorops.team.added']);
    expect(pendingCountsByDestination(s).find((d) => d.destination === 'hook')?.pending).toBe(2);
  });

  it("refuses to write outside the caller's transaction, so nothing can commit on its own", () => {
    store = openStore(':memory:');
    const s = store;
    const runId = inTransaction(s, () => insertTestRun(s));
    expect(() =>
      appendRunEvents(s, drafts, { source: 'urn:test', runId, time: T }, { destinations, nowMs: 0 }),
    ).toThrow(/must run inside the run's transaction/);
    expect(s.sqlite.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 0 });
  });
});

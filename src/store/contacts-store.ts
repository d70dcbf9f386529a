/**
 * The contacts poll's rows: each person's contact methods and paging policy with history (hints
 * only), when each person was last read, and the run that recorded them with its findings and
 * events, in the caller's ONE synchronous transaction.
 */
import { and, desc, eq, isNull, ne } from 'drizzle-orm';
import type { PersonContacts } from '../roster/contact-types.js';
import type { EventDraft } from '../roster/events.js';
import type { FetchStats } from '../roster/types.js';
import { usernameKey } from '../roster/types.js';
import { requireTransaction, type Store } from './db.js';
import type { StoredEvent } from './events.js';
import { applyFindingsDiff } from './findings.js';
import type { CoverageUpdate } from './poll-store.js';
import { appendRunEvents, type DeliveryTargets } from './run-events.js';
import { insertRun } from './runs.js';
import { contactReads, personContacts, runs } from './schema.js';

/** A person whose read failed: their recorded contacts stand, never "removed". */
export interface ContactsFailedScope {
  kind: 'person-contacts';
  username: string;
  reason: string;
}

/** The latest recorded contacts of everyone read at least once, by lower-cased username. */
export function loadCurrentContacts(store: Store): Map<string, PersonContacts> {
  const rows = store.db.select().from(personContacts).where(isNull(personContacts.validTo)).all();
  return new Map(
    rows.map((r) => [
      r.usernameKey,
      { username: r.username, methods: JSON.parse(r.methods), pagingPolicy: JSON.parse(r.pagingPolicy) },
    ]),
  );
}

/** One person's recorded contacts, or null when never read. */
export function loadPersonContacts(store: Store, username: string): PersonContacts | null {
  const r = store.db
    .select()
    .from(personContacts)
    .where(and(eq(personContacts.usernameKey, usernameKey(username)), isNull(personContacts.validTo)))
    .get();
  return r
    ? { username: r.username, methods: JSON.parse(r.methods), pagingPolicy: JSON.parse(r.pagingPolicy) }
    : null;
}

/** When each person was last read (epoch ms), by lower-cased username. */
export function loadContactReadTimes(store: Store): Map<string, number> {
  return new Map(
    store.db
      .select()
      .from(contactReads)
      .all()
      .map((r) => [r.usernameKey, r.readAtMs]),
  );
}

export interface RecordContactsPollInput {
  startedAt: string;
  finishedAt: string;
  status: 'ok' | 'partial' | 'failed';
  error: string | null;
  stats: FetchStats;
  /** Every successful read of this poll (changed or not). */
  read: readonly PersonContacts[];
  /** The reads that differ from the recorded version: a new history row each. */
  changed: readonly PersonContacts[];
  failedScopes: ContactsFailedScope[];
  readAtMs: number;
  events: readonly EventDraft[];
  coverage: CoverageUpdate | null;
  source: string;
  deliveries: DeliveryTargets;
}

export function recordContactsPoll(
  store: Store,
  input: RecordContactsPollInput,
): { runId: number; events: StoredEvent[] } {
  requireTransaction(store, 'recordContactsPoll');
  const runId = insertRun(store, {
    kind: 'contacts',
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    status: input.status,
    strategy: null,
    stats: input.stats,
    counts: { users: input.read.length, teams: 0, memberships: null },
    failedScopes: input.failedScopes,
    changeCount: input.events.length,
    error: input.error,
    rosterHash: null,
  });
  const db = store.db;
  for (const person of input.changed) {
    const key = usernameKey(person.username);
    db.update(personContacts)
      .set({ validTo: input.finishedAt, toRunId: runId })
      .where(and(eq(personContacts.usernameKey, key), isNull(personContacts.validTo)))
      .run();
    db.insert(personContacts)
      .values({
        usernameKey: key,
        username: person.username,
        methods: JSON.stringify(person.methods),
        pagingPolicy: JSON.stringify(person.pagingPolicy),
        validFrom: input.finishedAt,
        fromRunId: runId,
      })
      .run();
  }
  for (const person of input.read) {
    db.insert(contactReads)
      .values({ usernameKey: usernameKey(person.username), readAtMs: input.readAtMs })
      .onConflictDoUpdate({ target: contactReads.usernameKey, set: { readAtMs: input.readAtMs } })
      .run();
  }
  if (input.coverage) applyFindingsDiff(store, input.coverage.diff, runId, input.finishedAt);
  const events = appendRunEvents(
    store,
    [...input.events, ...(input.coverage?.events ?? [])],
    { source: input.source, runId, time: input.finishedAt },
    input.deliveries,
  );
  return { runId, events };
}

/** When the last contacts poll that read anything started (epoch ms), or null. */
export function lastContactsPollMs(store: Store): number | null {
  const row = store.db
    .select({ startedAt: runs.startedAt })
    .from(runs)
    .where(and(eq(runs.kind, 'contacts'), ne(runs.status, 'failed')))
    .orderBy(desc(runs.id))
    .limit(1)
    .get();
  return row ? Date.parse(row.startedAt) : null;
}

/**
 * The append-only event log: CloudEvents exactly as delivered, in sequence order.
 *
 * Raw SQL on purpose: this is the poll's write path, prepared statements run once per row. It is
 * measured by `npm run build && node dist/bench/run.js persist` (20,000 users / 500 teams / 60,525
 * memberships: an unchanged poll 2.07 CPU s, a 10% change 2.46 CPU s on the shared 2-core machine,
 * 2026-11-30). Simple reads and writes elsewhere in store/ use drizzle's query builder.
 */
import { randomUUID } from 'node:crypto';
import { type CloudEvent, type EventDraft, formatSequence } from '../roster/events.js';
import type { Store } from './db.js';

export interface StoredEvent {
  sequence: number;
  id: string;
  type: string;
  runId: number | null;
  envelope: string;
}

export interface EventEnvelopeInput {
  source: string;
  runId: number | null;
  time: string;
  /** Injectable for tests; defaults to random UUIDs. */
  newId?: (() => string) | undefined;
}

/** Appends events with consecutive sequences. Synchronous: call it inside a transaction. */
export function appendEvents(
  store: Store,
  drafts: readonly EventDraft[],
  input: EventEnvelopeInput,
): StoredEvent[] {
  if (drafts.length === 0) return [];
  const db = store.sqlite;
  const newId = input.newId ?? randomUUID;
  // Inside the IMMEDIATE transaction nobody else can append, so max + 1 is race-free.
  const { last } = db.prepare('SELECT COALESCE(MAX(sequence), 0) AS last FROM events').get() as {
    last: number;
  };
  const insert = db.prepare(
    'INSERT INTO events (sequence, id, run_id, type, subject, time, envelope) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  return drafts.map((draft, index) => {
    const sequence = last + index + 1;
    const event: CloudEvent = {
      specversion: '1.0',
      id: newId(),
      source: input.source,
      type: draft.type,
      subject: draft.subject,
      time: input.time,
      datacontenttype: 'application/json',
      ...(input.runId === null ? {} : { runid: input.runId }),
      sequence: formatSequence(sequence),
      data: draft.data,
    } as CloudEvent;
    const envelope = JSON.stringify(event);
    insert.run(sequence, event.id, input.runId, draft.type, draft.subject, input.time, envelope);
    return { sequence, id: event.id, type: draft.type, runId: input.runId, envelope };
  });
}

export interface EventQuery {
  user?: string | undefined;
  team?: string | undefined;
  /** An exact type, or a prefix pattern ending in `*` such as `victorops.user.*`. */
  type?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  runId?: number | undefined;
  limit?: number | undefined;
}

/** Events oldest first. */
export function queryEvents(store: Store, query: EventQuery): CloudEvent[] {
  // Raw SQL: every filter but two is COLLATE NOCASE, json_extract or LIKE … ESCAPE, which the builder carries only as sql`` pieces.
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (query.user !== undefined) {
    where.push(
      "(subject = ? COLLATE NOCASE OR json_extract(envelope, '$.data.username') = ? COLLATE NOCASE)",
    );
    params.push(query.user, query.user);
  }
  if (query.team !== undefined) {
    where.push("(subject = ? OR json_extract(envelope, '$.data.team.slug') = ?)");
    params.push(query.team, query.team);
  }
  if (query.type !== undefined) {
    if (query.type.endsWith('*')) {
      where.push("type LIKE ? ESCAPE '\\'");
      params.push(`${query.type.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    } else {
      where.push('type = ?');
      params.push(query.type);
    }
  }
  if (query.since !== undefined) {
    where.push('time >= ?');
    params.push(query.since);
  }
  if (query.until !== undefined) {
    where.push('time < ?');
    params.push(query.until);
  }
  if (query.runId !== undefined) {
    where.push('run_id = ?');
    params.push(query.runId);
  }
  const sql = `SELECT envelope FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY sequence${
    query.limit !== undefined ? ` LIMIT ${Math.floor(query.limit)}` : ''
  }`;
  return (store.sqlite.prepare(sql).all(...params) as { envelope: string }[]).map(
    (row) => JSON.parse(row.envelope) as CloudEvent,
  );
}

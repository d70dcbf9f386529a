/**
 * The VictorOps key's send schedule, shared by every process that uses the key through this
 * database (the daemon and any `poll`, `fetch`, `doctor` run beside it): one `meta` row per key
 * holding the newest sends reserved (one window's worth), a hold after a rate-limited answer and
 * the newest 200 any of them saw. A process reserves one send at a time in an IMMEDIATE
 * transaction, so together they never put more than the window's capacity into any window. Like the policy list's call record, wall time is
 * used because it is the only clock two processes share.
 */
import { eq } from 'drizzle-orm';
import { inTransaction, type Store } from './db.js';
import { meta } from './schema.js';

export interface SlotState {
  /** Epoch ms of the newest sends reserved for the key (at most one window's worth, oldest first). */
  recent: number[];
  /** Epoch ms before which no process using the key sends (after a rate-limited answer). */
  holdUntilMs: number;
  /** Epoch ms of the newest 200 answer to the key, in any process (null: none seen). */
  lastOkMs: number | null;
}

export interface SlotRequest {
  nowMs: number;
  /** At most `capacity` sends in any `windowMs` (the paced rate's window, rate-limiter.ts windowFor). */
  capacity: number;
  windowMs: number;
  /** This process's newest 200 answer, merged into the shared one. */
  lastOkMs: number | null;
  /**
   * A reservation or hold further ahead than this is not one anybody made (those are at most one
   * window or one hold ahead): the wall clock stepped back, so the schedule starts afresh.
   */
  maxAheadMs: number;
}

const newest = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.max(a, b);

/**
 * Pure: the slot the caller gets (now or later) and the state after it. The same sliding window
 * as one process's limiter: a send is due once the send `capacity` places back is a window old,
 * so a timer that wakes late is caught up on by the next send instead of delaying every later one.
 */
export function reserveSlot(
  state: SlotState | null,
  request: SlotRequest,
): { slotMs: number; state: SlotState } {
  const { nowMs, capacity, windowMs } = request;
  const limit = nowMs + request.maxAheadMs;
  const sane = state !== null && state.holdUntilMs <= limit && state.recent.every((t) => t <= limit);
  const recent = sane ? state.recent : [];
  const holdUntilMs = sane ? state.holdUntilMs : 0;
  const anchor = recent.length >= capacity ? recent[recent.length - capacity] : undefined;
  const slotMs = Math.max(nowMs, holdUntilMs, anchor === undefined ? 0 : anchor + windowMs);
  return {
    slotMs,
    state: {
      recent: [...recent, slotMs].slice(-capacity),
      holdUntilMs,
      lastOkMs: newest(state?.lastOkMs ?? null, request.lastOkMs),
    },
  };
}

/** Pure: nobody sends before `untilMs` (capped at `maxAheadMs` from now). */
export function holdSlots(
  state: SlotState | null,
  untilMs: number,
  nowMs: number,
  maxAheadMs: number,
): SlotState {
  const until = Math.min(untilMs, nowMs + maxAheadMs);
  return {
    recent: state?.recent ?? [],
    holdUntilMs: Math.max(state?.holdUntilMs ?? 0, until),
    lastOkMs: state?.lastOkMs ?? null,
  };
}

const rowKey = (keyId: string) => `victorops.rate_budget.${keyId}`;

function readState(store: Store, keyId: string): SlotState | null {
  const row = store.db
    .select({ value: meta.value })
    .from(meta)
    .where(eq(meta.key, rowKey(keyId)))
    .get();
  if (row === undefined) return null;
  try {
    const parsed = JSON.parse(row.value) as Partial<SlotState>;
    const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
    if (!Array.isArray(parsed.recent) || !parsed.recent.every(finite) || !finite(parsed.holdUntilMs))
      return null;
    return {
      recent: parsed.recent,
      holdUntilMs: parsed.holdUntilMs,
      lastOkMs: finite(parsed.lastOkMs) ? parsed.lastOkMs : null,
    };
  } catch {
    // A row nobody can read is a schedule nobody can honour: start afresh rather than stop.
    return null;
  }
}

function writeState(store: Store, keyId: string, state: SlotState): void {
  const value = JSON.stringify(state);
  store.db
    .insert(meta)
    .values({ key: rowKey(keyId), value })
    .onConflictDoUpdate({ target: meta.key, set: { value } })
    .run();
}

/** Reserves the key's next send slot for this process, atomically across processes. */
export function reserveSharedSlot(
  store: Store,
  keyId: string,
  request: SlotRequest,
): { slotMs: number; lastOkMs: number | null } {
  return inTransaction(store, () => {
    const reserved = reserveSlot(readState(store, keyId), request);
    writeState(store, keyId, reserved.state);
    return { slotMs: reserved.slotMs, lastOkMs: reserved.state.lastOkMs };
  });
}

/** After a rate-limited answer: every process using the key waits until `untilMs`. */
export function holdSharedSlots(
  store: Store,
  keyId: string,
  untilMs: number,
  nowMs: number,
  maxAheadMs: number,
): void {
  inTransaction(store, () => {
    writeState(store, keyId, holdSlots(readState(store, keyId), untilMs, nowMs, maxAheadMs));
  });
}

/**
 * The VictorOps key's send schedule, shared by every process that uses the key through this
 * database (the daemon and any `poll`, `fetch`, `doctor` run beside it). It is kept in a small file
 * beside the history (`openRateBudgetFile` in db.ts), not in the history itself, so a reservation
 * never waits for a poll's recording transaction: one `meta` row per key
 * holding the newest sends reserved (one window's worth), a hold after a rate-limited answer and
 * the newest 200 any of them saw. A process reserves one send at a time in an IMMEDIATE
 * transaction, so together they never put more than the window's capacity into any window. Like the policy list's call record, wall time is
 * used because it is the only clock two processes share.
 *
 * Priorities across processes: each process that waits for a turn keeps an entry in the row with
 * the most urgent rank waiting there (roster polls of the daemon first, see rate-budget.ts in
 * victorops/) and a short expiry it renews with every reservation, so a crashed process's entry
 * lapses by itself. A process whose most urgent waiter is less urgent than another's yields the
 * turn instead of reserving it, but only until more urgent work has taken `turns` turns in a row
 * (the background share); then it takes one. Such a turn is the background share of every process
 * whose more urgent work it came before: each of them finds it counted in its entry (`yielded`)
 * with its next reservation and counts it in its own share window as a background turn (up to as
 * many as its own background work took there), so a daemon's roster polls keep most of the key
 * whether its policy poll or a one-shot `poll`, `fetch` or `doctor` beside it takes the share
 * (issue 27).
 */
import { type Store, statementsPerConnection } from './db.js';

export interface SlotState {
  /** Epoch ms of the newest sends reserved for the key (at most one window's worth, oldest first). */
  recent: number[];
  /** Epoch ms before which no process using the key sends (after a rate-limited answer). */
  holdUntilMs: number;
  /** Epoch ms of the newest 200 answer to the key, in any process (null: none seen). */
  lastOkMs: number | null;
  /**
   * Processes waiting for a turn: their most urgent rank (lower: more urgent), until when it stands,
   * and the turns less urgent work elsewhere took ahead of it since its last reservation.
   */
  waiters?: Record<string, WaiterEntry>;
  /** Turns more urgent work took in a row while less urgent work in another process waited. */
  streak?: number;
}

/** A process waiting for a turn, as it tells the shared schedule with each reservation. */
export interface SlotWaiter {
  /** This process's entry (random per budget, names nothing). */
  id: string;
  /** The most urgent rank waiting in this process (lower: more urgent). */
  rank: number;
  /**
   * Turns more urgent work elsewhere takes in a row before this process takes one anyway (infinite:
   * none just now, the process had its own turns; see rate-budget.ts in victorops/).
   */
  turns: number;
  /** Work elsewhere ranked below this always goes first: this process is owed no share of its turns. */
  yieldsAlwaysBelow?: number | undefined;
  /** How long the entry stands without a newer reservation: a crashed process's entry lapses. */
  ttlMs: number;
  /**
   * This process has yielded to more urgent work elsewhere for longer than it may (its wait is
   * bounded, see rate-budget.ts in victorops/): it takes this turn whatever waits elsewhere, except
   * where it is owed no share at all (`yieldsAlwaysBelow`).
   */
  insist?: boolean;
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
  /** Who asks, for priorities across processes; without it the turn is reserved first come, first served. */
  waiter?: SlotWaiter;
}

/** One process's entry among the key's waiters. */
export interface WaiterEntry {
  rank: number;
  untilMs: number;
  /**
   * Turns taken ahead of this process's waiting work by less urgent work in other processes (their
   * background share, or their bounded wait running out) since it last reserved; absent: none.
   */
  yielded?: number;
}

const newest = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.max(a, b);

/** The entries still standing at `nowMs` (a lapsed one is a process that stopped or crashed). */
function standingWaiters(
  state: SlotState | null,
  nowMs: number,
  limitMs: number,
): Record<string, WaiterEntry> {
  const standing: Record<string, WaiterEntry> = {};
  for (const [id, entry] of Object.entries(state?.waiters ?? {})) {
    // An expiry further ahead than anyone sets is the wall clock stepping back: dropped too.
    if (entry.untilMs >= nowMs && entry.untilMs <= limitMs) standing[id] = entry;
  }
  return standing;
}

/**
 * Pure: the slot the caller gets (now or later) and the state after it. The same sliding window
 * as one process's limiter: a send is due once the send `capacity` places back is a window old,
 * so a timer that wakes late is caught up on by the next send instead of delaying every later one.
 * `slotMs` is null when the caller yields this turn to more urgent work in another process (it
 * asks again a turn later; its entry is renewed meanwhile). `yielded`: the turns less urgent work
 * elsewhere took ahead of the caller since its last reservation (read and cleared here).
 */
export function reserveSlot(
  state: SlotState | null,
  request: SlotRequest,
): { slotMs: number | null; state: SlotState; yielded: number } {
  const { nowMs, capacity, windowMs, waiter } = request;
  const limit = nowMs + request.maxAheadMs;
  const sane = state !== null && state.holdUntilMs <= limit && state.recent.every((t) => t <= limit);
  const recent = sane ? state.recent : [];
  const holdUntilMs = sane ? state.holdUntilMs : 0;
  const lastOkMs = newest(state?.lastOkMs ?? null, request.lastOkMs);
  const waiters = standingWaiters(state, nowMs, limit + (waiter?.ttlMs ?? 0));
  let streak = state?.streak ?? 0;
  const yielded = waiter === undefined ? 0 : (waiters[waiter.id]?.yielded ?? 0);
  if (waiter !== undefined) {
    const others = Object.entries(waiters)
      .filter(([id]) => id !== waiter.id)
      .map(([, entry]) => entry.rank);
    const moreUrgentElsewhere = others.some((rank) => rank < waiter.rank);
    const owedNoShare = others.some((rank) => rank < (waiter.yieldsAlwaysBelow ?? Number.NEGATIVE_INFINITY));
    if (owedNoShare || (moreUrgentElsewhere && streak < waiter.turns && waiter.insist !== true)) {
      waiters[waiter.id] = { rank: waiter.rank, untilMs: nowMs + waiter.ttlMs };
      return { slotMs: null, state: { recent, holdUntilMs, lastOkMs, waiters, streak }, yielded };
    }
    // A turn taken ahead of more urgent work elsewhere is those processes' background share.
    if (moreUrgentElsewhere) {
      for (const [id, entry] of Object.entries(waiters)) {
        if (id !== waiter.id && entry.rank < waiter.rank)
          waiters[id] = { ...entry, yielded: (entry.yielded ?? 0) + 1 };
      }
    }
    // Taken by the share resets the run; taken ahead of waiting less urgent work extends it.
    streak = !moreUrgentElsewhere && others.some((rank) => rank > waiter.rank) ? streak + 1 : 0;
  }
  const anchor = recent.length >= capacity ? recent[recent.length - capacity] : undefined;
  const slotMs = Math.max(nowMs, holdUntilMs, anchor === undefined ? 0 : anchor + windowMs);
  if (waiter !== undefined) waiters[waiter.id] = { rank: waiter.rank, untilMs: slotMs + waiter.ttlMs };
  return {
    slotMs,
    state: { recent: [...recent, slotMs].slice(-capacity), holdUntilMs, lastOkMs, waiters, streak },
    yielded,
  };
}

/** Pure: the process `id` waits for no turn any more (its entry goes before it would lapse). */
export function withdrawWaiter(state: SlotState | null, id: string): SlotState | null {
  if (state?.waiters?.[id] === undefined) return state;
  const { [id]: _gone, ...waiters } = state.waiters;
  return { ...state, waiters };
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
    ...state,
    recent: state?.recent ?? [],
    holdUntilMs: Math.max(state?.holdUntilMs ?? 0, until),
    lastOkMs: state?.lastOkMs ?? null,
  };
}

const rowKey = (keyId: string) => `victorops.rate_budget.${keyId}`;

/**
 * Prepared once per connection: every request to VictorOps reserves its turn here, and building
 * the statements through drizzle's query builder each time cost ~0.5 s CPU over a poll of ~500
 * requests (issue 21, tenth part).
 */
const statements = statementsPerConnection((sqlite) => ({
  read: sqlite.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
  write: sqlite.prepare<[string, string]>(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  ),
}));

/**
 * The row as this connection last read or wrote it, per key: its text, the state it holds and the
 * text this build writes for its `recent` sends (`section`, their texts joined by commas as
 * JSON.stringify writes them). The row is rewritten on every turn (twice for a request whose waiter then
 * withdraws) and its `recent` holds up to `capacity` epoch-ms sends: at VO_MAX_RPS=1000 (the poll
 * benchmarks) that is ~1,000 13-digit numbers. Parsing and writing them afresh cost ~1 ms a
 * request (issue 21, twentieth part), and joining each send's text again ~30 µs a turn (issue 21,
 * thirty-third part): a row whose text is the one this connection wrote last (no other process took
 * a turn since) is the state kept here, and the next row's sends are this section with its oldest
 * sends cut off and the new ones added, a few string operations whatever the capacity. Another
 * process's write changes the text, so it is parsed as before and its sends joined afresh: what
 * every process reads is the row, and what this one writes is JSON.stringify's whoever wrote before.
 */
interface RowMemo {
  text: string;
  /** Never changed in place: reserveSlot, holdSlots and withdrawWaiter build new states. */
  state: SlotState;
  /** `state.recent`'s text as JSON.stringify writes it (in `text` unless another process wrote it). */
  section: string;
}
const rowMemos = statementsPerConnection(() => new Map<string, RowMemo>());

/** How every row this code or an earlier build writes begins (see stateText). */
const RECENT_OPEN = '{"recent":[';

function readState(store: Store, keyId: string): SlotState | null {
  const row = statements(store).read.get(rowKey(keyId));
  if (row === undefined) return null;
  const memo = rowMemos(store).get(keyId);
  if (memo !== undefined && memo.text === row.value) return memo.state;
  const state = parseState(row.value);
  rowMemos(store).delete(keyId);
  // The sends written afresh, not taken from the text: another writer's spacing or spelling (an
  // escaped second `recent`, which JSON.parse takes) would be carried into this build's rows.
  if (state !== null) rowMemos(store).set(keyId, { text: row.value, state, section: state.recent.join(',') });
  return state;
}

function parseState(text: string): SlotState | null {
  try {
    const parsed = JSON.parse(text) as Partial<SlotState>;
    const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
    if (!Array.isArray(parsed.recent) || !parsed.recent.every(finite) || !finite(parsed.holdUntilMs))
      return null;
    const waiters: Record<string, WaiterEntry> = {};
    if (typeof parsed.waiters === 'object' && parsed.waiters !== null) {
      for (const [id, entry] of Object.entries(parsed.waiters as Record<string, unknown>)) {
        const e = entry as { rank?: unknown; untilMs?: unknown; yielded?: unknown } | null;
        if (e !== null && typeof e === 'object' && finite(e.rank) && finite(e.untilMs))
          waiters[id] = {
            rank: e.rank,
            untilMs: e.untilMs,
            // written by this build; an older build's entry has none
            ...(finite(e.yielded) && e.yielded > 0 ? { yielded: e.yielded } : {}),
          };
      }
    }
    return {
      recent: parsed.recent,
      holdUntilMs: parsed.holdUntilMs,
      lastOkMs: finite(parsed.lastOkMs) ? parsed.lastOkMs : null,
      waiters,
      streak: finite(parsed.streak) ? parsed.streak : 0,
    };
  } catch {
    // A row nobody can read is a schedule nobody can honour: start afresh rather than stop.
    return null;
  }
}

/**
 * `section` (sends' texts joined by commas) without its first `drop` sends, or null when it holds
 * no more than `drop` (then it was not the text of the sends it was given with).
 */
function dropSends(section: string, drop: number): string | null {
  let at = 0;
  for (let i = 0; i < drop; i++) {
    const comma = section.indexOf(',', at);
    if (comma < 0) return null;
    at = comma + 1;
  }
  return section.slice(at);
}

/**
 * The text of `recent`'s sends joined by commas (each as JSON.stringify writes a finite number),
 * reusing `before`'s (a `recent` and its section) where `recent` is `before`'s with its oldest
 * sends dropped and new ones added; only sends found equal keep their text.
 */
export function recentSection(
  recent: readonly number[],
  before: { recent: readonly number[]; section: string } | undefined,
): string {
  if (before !== undefined) {
    const old = before.recent;
    // holdSlots and withdrawWaiter keep the sends as they were.
    if (recent === old) return before.section;
    // The first send of `recent` among the old ones (a reservation drops at most a few).
    const from = recent.length === 0 ? -1 : old.indexOf(recent[0]!);
    if (from >= 0) {
      let same = 0;
      while (from + same < old.length && same < recent.length && old[from + same] === recent[same]) same++;
      let section = from + same === old.length ? dropSends(before.section, from) : null;
      if (section !== null) {
        for (let i = same; i < recent.length; i++)
          section = section === '' ? String(recent[i]) : `${section},${recent[i]}`;
        return section;
      }
    }
  }
  return recent.join(',');
}

/**
 * The row's text: `JSON.stringify` of the state with its keys in this order, `recent` written from
 * its section (see RowMemo). Without waiters the row reads as it did before priorities across
 * processes.
 */
export function stateText(state: SlotState, section: string): string {
  const { recent: _recent, waiters, streak, ...rest } = state;
  const tail = JSON.stringify(
    waiters !== undefined && Object.keys(waiters).length > 0
      ? { ...rest, waiters, streak: streak ?? 0 }
      : rest,
  );
  return `${RECENT_OPEN}${section}]${tail === '{}' ? '}' : `,${tail.slice(1)}`}`;
}

function writeState(store: Store, keyId: string, state: SlotState): void {
  const memos = rowMemos(store);
  const memo = memos.get(keyId);
  const section = recentSection(
    state.recent,
    memo === undefined ? undefined : { recent: memo.state.recent, section: memo.section },
  );
  const value = stateText(state, section);
  statements(store).write.run(rowKey(keyId), value);
  memos.set(keyId, { text: value, state, section });
}

/**
 * The three transactions, made once per connection: better-sqlite3 builds a transaction's
 * wrappers each time one is made, ~8 µs, and every request makes one or two (issue 21,
 * thirty-third part). IMMEDIATE, as inTransaction: the row is read to be written.
 */
const transactions = statementsPerConnection((sqlite) => ({
  reserve: sqlite.transaction((store: Store, keyId: string, request: SlotRequest) => {
    const reserved = reserveSlot(readState(store, keyId), request);
    writeState(store, keyId, reserved.state);
    return { slotMs: reserved.slotMs, lastOkMs: reserved.state.lastOkMs, yielded: reserved.yielded };
  }),
  hold: sqlite.transaction(
    (store: Store, keyId: string, untilMs: number, nowMs: number, maxAheadMs: number) => {
      writeState(store, keyId, holdSlots(readState(store, keyId), untilMs, nowMs, maxAheadMs));
    },
  ),
  withdraw: sqlite.transaction((store: Store, keyId: string, id: string) => {
    const state = readState(store, keyId);
    const after = withdrawWaiter(state, id);
    if (after !== state && after !== null) writeState(store, keyId, after);
  }),
}));

/** Reserves the key's next send slot for this process, atomically across processes. */
export function reserveSharedSlot(
  store: Store,
  keyId: string,
  request: SlotRequest,
): { slotMs: number | null; lastOkMs: number | null; yielded: number } {
  return transactions(store).reserve.immediate(store, keyId, request);
}

/** After a rate-limited answer: every process using the key waits until `untilMs`. */
export function holdSharedSlots(
  store: Store,
  keyId: string,
  untilMs: number,
  nowMs: number,
  maxAheadMs: number,
): void {
  transactions(store).hold.immediate(store, keyId, untilMs, nowMs, maxAheadMs);
}

/** The process `id` waits for no turn any more: its entry goes at once instead of lapsing. */
export function withdrawSharedWaiter(store: Store, keyId: string, id: string): void {
  transactions(store).withdraw.immediate(store, keyId, id);
}

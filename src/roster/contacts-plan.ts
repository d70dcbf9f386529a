/**
 * Whose contacts a contacts poll reads. The people who can be paged (on call in the read window,
 * or named by a policy step) every time; everyone else in a rolling slice, oldest read first, so
 * that each person is read at least once per CONTACTS_VERIFY_INTERVAL. Pure.
 */

export interface ContactsPlanInput {
  /** Every user of the recorded roster (original spelling). */
  usernames: readonly string[];
  /** Lower-cased usernames of the people who can be paged. */
  paged: ReadonlySet<string>;
  /** When each person was last read (epoch ms), by lower-cased username. */
  readAtMs: ReadonlyMap<string, number>;
  nowMs: number;
  /** When the last contacts poll ran (epoch ms); null before the first. */
  lastPollMs: number | null;
  verifyIntervalMs: number;
}

export interface ContactsPlan {
  /** In the order to read: the paged people first, then the slice. */
  usernames: string[];
  paged: number;
  slice: number;
}

export function planContactReads(input: ContactsPlanInput): ContactsPlan {
  const key = (u: string) => u.toLowerCase();
  const paged = input.usernames.filter((u) => input.paged.has(key(u)));
  const others = input.usernames
    .filter((u) => !input.paged.has(key(u)))
    // Never read first (as if read at the epoch), then the oldest read; ties by name, so the plan is stable.
    .map((u) => ({ u, at: input.readAtMs.get(key(u)) ?? 0 }))
    .sort((a, b) => a.at - b.at || (a.u < b.u ? -1 : a.u > b.u ? 1 : 0));
  // The share of the interval since the last poll is the share of everyone this poll owes a read;
  // anyone whose last read is already a whole interval old is owed one now whatever the share.
  const elapsed = input.lastPollMs === null ? input.verifyIntervalMs : input.nowMs - input.lastPollMs;
  const share = Math.min(1, Math.max(0, elapsed / input.verifyIntervalMs));
  const overdue = others.filter((o) => input.nowMs - o.at >= input.verifyIntervalMs).length;
  const count = Math.min(others.length, Math.max(overdue, Math.ceil(others.length * share)));
  const slice = others.slice(0, count).map((o) => o.u);
  return { usernames: [...paged, ...slice], paged: paged.length, slice: slice.length };
}

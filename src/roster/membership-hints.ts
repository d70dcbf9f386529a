/**
 * Membership hints: `GET /v1/team` lists each team's `version` and `memberCount`. A team whose pair
 * is the same as when its members were last read is assumed unchanged and its members are not
 * read again, which takes an unchanged poll from 2 + teams requests down to about 2.
 *
 * `memberCount` is the membership signal; `version` only says "the team record was edited": public
 * captures of the real API show populated teams at `version: 0` and a rename moving it (see
 * test/fixtures/victorops/README.md). So a swap (one member leaves, another joins between two
 * polls) moves neither, and is the hints' documented blind spot: the polls re-read a rolling
 * slice of the teams read longest ago, sized so that each team is re-read at least once per verify
 * interval, and a verification read that catches such a swap records it and is counted, nothing
 * more. The hints are unreliable only when the API contradicts itself: a team read in full whose
 * member count differs from the `memberCount` the same poll listed for it. Polls then read every
 * team until a whole verify interval passes without a contradiction.
 */

import { userKeysOf } from './normalise.js';
import type { Roster } from './types.js';
import { usernameKey } from './types.js';

/** A team's hints as `GET /v1/team` lists them; null when the API left a field out. */
export interface TeamHint {
  slug: string;
  version: number | null;
  memberCount: number | null;
}

/** Hints recorded with the last complete read of a team's members. */
export interface StoredTeamHint extends TeamHint {
  readAtMs: number;
}

export type HintsSetting = 'auto' | 'off';

export interface HintState {
  setting: HintsSetting;
  /** Set while the API contradicts its own `memberCount` (see countContradictions); survives restarts. */
  unreliable: boolean;
  stored: ReadonlyMap<string, StoredTeamHint>;
  /** When the previous roster poll started: the cadence a one-shot `poll` from cron infers. */
  lastPollAtMs: number | null;
  verifyIntervalMs: number;
  nowMs: number;
  /**
   * For users recorded but missing from this poll's user list (keys of the present users given):
   * how many of each team's recorded members they are. VictorOps removes a deleted user from all
   * its teams, so those removals are known without reading the teams.
   */
  countLeavers?: (presentUserKeys: ReadonlySet<string>) => ReadonlyMap<string, number>;
  /** A team's recorded members (lower-cased usernames), to tell a verification read that differs. */
  recordedMembers?: (slug: string) => ReadonlySet<string>;
}

/** Which teams' members one poll reads. `carried` keep their recorded members (not read). */
export interface TeamReadPlan {
  mode: 'hinted';
  changed: string[];
  verify: string[];
  carried: string[];
}

/** Why a poll reads every team instead of following the hints. */
export type FullReadReason = 'hints off' | 'hints unreliable' | 'no previous poll' | 'membership source user';

/**
 * The share of the verify interval one round of verification aims to take. A round that needs the
 * whole interval leaves no slack: a team read early (because its count moved) comes due in the same
 * poll as the round's own, and that poll must read both. Finishing the round in 90% of the interval
 * keeps every team well inside it, so such a team only moves to the back of the queue.
 */
const ROUND_SHARE = 0.9;

/**
 * Teams to re-read for verification this poll so that the teams' last reads stay spread evenly over
 * ROUND_SHARE of the verify interval: at that pace a team read `a` ms ago has about
 * `teams × a ÷ round` teams read after it, so a team with fewer (counting this poll's reads, all
 * newer than it) is behind and is read now, oldest first. `unchangedReadAtMs` are the unchanged
 * teams' last reads, oldest first; `teams` counts every listed team, since the changed ones are read
 * this poll too. The fraction a poll at a steady cadence owes (80 teams every 15 s of a 54-min round:
 * 0.37) is carried by the reads' own times instead of being rounded up to one team every poll: such
 * a poll usually reads none, and one in about three reads one. An unread team is never older than
 * the round, so it is re-read within the verify interval unless the next poll comes more than the
 * interval's last 10% later (the `overdue` rule of planTeamReads covers a steady cadence beyond that).
 */
export function verificationSliceSize(
  unchangedReadAtMs: readonly number[],
  teams: number,
  nowMs: number,
  verifyIntervalMs: number,
): number {
  const roundMs = verifyIntervalMs * ROUND_SHARE;
  // Reading the `size` oldest leaves the team at index k (k >= size) with teams - k + size - 1
  // teams read after it; it is behind when that is less than teams × age ÷ round - 1. The slice is
  // the least size that reads or leaves on pace every team (a tolerance keeps an exact multiple from
  // rounding up).
  let size = 0;
  for (let k = unchangedReadAtMs.length - 1; k >= 0; k--) {
    const owed = Math.ceil((teams * (nowMs - unchangedReadAtMs[k]!)) / roundMs - (teams - k) - 1e-9);
    size = Math.max(size, Math.min(k + 1, owed));
  }
  return size;
}

/**
 * Whether the listed hints say nothing happened to the team beyond `leavers` deleted users leaving
 * it: the count fell by exactly that many and the version stayed or moved once per removal.
 */
function explainedHint(listed: TeamHint, stored: StoredTeamHint | undefined, leavers: number): boolean {
  // A missing field proves nothing, so such a team is always read.
  if (!stored || listed.version === null || listed.memberCount === null) return false;
  if (stored.version === null || stored.memberCount === null) return false;
  const moved = listed.version - stored.version;
  return listed.memberCount === stored.memberCount - leavers && (moved === 0 || moved === leavers);
}

/** Why the hints cannot be followed this poll, or null when they can. */
export function fullReadReason(state: HintState): FullReadReason | null {
  if (state.setting === 'off') return 'hints off';
  if (state.unreliable) return 'hints unreliable';
  if (state.lastPollAtMs === null || state.stored.size === 0) return 'no previous poll';
  return null;
}

/**
 * Splits the listed teams into changed (new, or hints moved), verification (unchanged, read longest
 * ago) and carried. The slice is the larger of the teams behind an even spread (verificationSliceSize)
 * and the teams that would pass the verify interval before the next poll at the last poll's cadence,
 * so after a pause (a daemon that was down, a cron job that skipped) every team about to pass the
 * interval is read at once. A gap longer than 10% of the interval that follows shorter polls can
 * still leave a team a little past it (a review's simulation: 1.05 × the interval after one 10-min
 * gap in hourly rounds of 300 teams polled every minute): the overdue rule reads it at the next poll.
 */
export function planTeamReads(
  listed: readonly TeamHint[],
  state: HintState,
  presentUserKeys: ReadonlySet<string> = new Set(),
): TeamReadPlan {
  const leavers = state.countLeavers?.(presentUserKeys) ?? new Map<string, number>();
  const changed: string[] = [];
  const unchanged: StoredTeamHint[] = [];
  for (const team of listed) {
    const stored = state.stored.get(team.slug);
    if (stored && explainedHint(team, stored, leavers.get(team.slug) ?? 0)) unchanged.push(stored);
    else changed.push(team.slug);
  }
  const intervalMs = state.lastPollAtMs === null ? state.verifyIntervalMs : state.nowMs - state.lastPollAtMs;
  unchanged.sort((a, b) => a.readAtMs - b.readAtMs || (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
  const overdue = unchanged.filter((t) => t.readAtMs + state.verifyIntervalMs <= state.nowMs + intervalMs);
  const behind = verificationSliceSize(
    unchanged.map((t) => t.readAtMs),
    listed.length,
    state.nowMs,
    state.verifyIntervalMs,
  );
  // A wall clock stepped back puts the reads in the future, where no team is ever behind or due
  // until the clock catches up: then one team a poll, oldest first, as before the fraction was carried.
  const steppedBack = unchanged.some((t) => t.readAtMs > state.nowMs);
  const size = Math.min(unchanged.length, Math.max(behind, overdue.length, steppedBack ? 1 : 0));
  return {
    mode: 'hinted',
    changed,
    verify: unchanged.slice(0, size).map((t) => t.slug),
    carried: unchanged.slice(size).map((t) => t.slug),
  };
}

/**
 * The verified teams whose members as read differ from the recorded ones (users gone from the user
 * list left out). Such a difference is either a change the hints hid, or one made during this poll,
 * after the team list was read; reading the team list again tells the two apart.
 */
export function findDifferingReads(
  verified: readonly string[],
  read: ReadonlyMap<string, ReadonlySet<string>>,
  recorded: (slug: string) => ReadonlySet<string>,
  present: ReadonlySet<string>,
): string[] {
  return verified.filter((slug) => {
    const now = [...(read.get(slug) ?? [])].filter((key) => present.has(key));
    const before = [...recorded(slug)].filter((key) => present.has(key));
    const nowSet = new Set(now);
    return now.length !== before.length || before.some((key) => !nowSet.has(key));
  });
}

/** The request plan as the log line shows it. */
export function describeRequestPlan(
  plan: TeamReadPlan | { mode: 'full'; scopes: number; strategy: 'user' | 'team'; reason: FullReadReason },
): string {
  if (plan.mode === 'hinted') {
    return `requests planned: 2 lists + ${plan.changed.length} changed teams + ${plan.verify.length} verification`;
  }
  const unit = plan.strategy === 'user' ? 'users' : 'teams';
  return `requests planned: 2 lists + ${plan.scopes} ${unit} (${plan.reason})`;
}

/**
 * The verified teams whose members differ from the recorded ones although their hints did not
 * move. Users gone from the user list are left out: their removal was announced by that list.
 */
export function findUnannouncedChanges(
  previous: Roster,
  current: Roster,
  verified: readonly string[],
): string[] {
  if (verified.length === 0) return [];
  const wanted = new Set(verified);
  const present = new Set(userKeysOf(current));
  const membersOf = (roster: Roster) => {
    const byTeam = new Map<string, Set<string>>();
    for (const m of roster.memberships) {
      const key = usernameKey(m.username);
      if (!wanted.has(m.teamSlug) || !present.has(key)) continue;
      const members = byTeam.get(m.teamSlug) ?? new Set<string>();
      members.add(key);
      byTeam.set(m.teamSlug, members);
    }
    return byTeam;
  };
  const before = membersOf(previous);
  const after = membersOf(current);
  return verified.filter((slug) => {
    const a = before.get(slug) ?? new Set<string>();
    const b = after.get(slug) ?? new Set<string>();
    return a.size !== b.size || [...a].some((key) => !b.has(key));
  });
}

/** The distinct members (lower-cased usernames) of each of `slugs` in `memberships`. */
export function membersByTeam(
  slugs: readonly string[],
  memberships: readonly { username: string; teamSlug: string }[],
): Map<string, Set<string>> {
  const wanted = new Set(slugs);
  const byTeam = new Map<string, Set<string>>();
  for (const m of memberships) {
    if (!wanted.has(m.teamSlug)) continue;
    const keys = byTeam.get(m.teamSlug) ?? new Set<string>();
    keys.add(usernameKey(m.username));
    byTeam.set(m.teamSlug, keys);
  }
  return byTeam;
}

/** A team read in full whose member count is not the `memberCount` the team list gave for it. */
export interface CountContradiction {
  slug: string;
  listed: number;
  read: number;
}

/**
 * The teams among `read` (read in full this poll) whose members, counted from `memberships`, are
 * not as many as `memberCount` in the team list read at the start of the same poll. A team the
 * list gave no count for proves nothing and is left out.
 */
export function countContradictions(
  listed: readonly TeamHint[],
  read: readonly string[],
  memberships: readonly { username: string; teamSlug: string }[],
): CountContradiction[] {
  const wanted = new Set(read);
  const members = membersByTeam(read, memberships);
  const out: CountContradiction[] = [];
  for (const team of listed) {
    if (!wanted.has(team.slug) || team.memberCount === null) continue;
    const count = members.get(team.slug)?.size ?? 0;
    if (count !== team.memberCount) out.push({ slug: team.slug, listed: team.memberCount, read: count });
  }
  return out;
}

/**
 * What a poll does to the "unreliable" mark: set it (a contradiction while trusted), move its last
 * contradiction forward (another one while already set), clear it (a poll without contradiction a
 * whole verify interval after the last one), or nothing.
 */
export type HintsMarkAction =
  | { kind: 'none' }
  | { kind: 'mark'; teamSlug: string }
  | { kind: 'refresh' }
  | { kind: 'clear' };

export function decideHintsMark(input: {
  /** When the recorded mark saw its last contradiction (ISO), or null when the hints are trusted. */
  lastContradictionAt: string | null;
  contradictions: readonly CountContradiction[];
  /** Whether this poll read teams in full and recorded them (not failed, not held). */
  checked: boolean;
  verifyIntervalMs: number;
  now: string;
}): HintsMarkAction {
  if (!input.checked) return { kind: 'none' };
  const first = input.contradictions[0];
  if (input.lastContradictionAt === null)
    return first ? { kind: 'mark', teamSlug: first.slug } : { kind: 'none' };
  if (first) return { kind: 'refresh' };
  const cleanForMs = Date.parse(input.now) - Date.parse(input.lastContradictionAt);
  return cleanForMs >= input.verifyIntervalMs ? { kind: 'clear' } : { kind: 'none' };
}

/**
 * Who was (and will be) on call, from the recorded schedule reads. Pure.
 *
 * The definition: the person on call at T is the one the latest read taken before T showed for T,
 * overrides applied. Each read of a team's schedule therefore answers for the time from when it
 * was taken until the next read that saw something different (its authority); the team's latest
 * read answers for everything after it (planned hours), and its earliest read also for the past
 * it showed (VictorOps lists the current roll from its real start). A change made in VictorOps
 * between two reads is only as exact as the poll interval.
 */
import type { Shift } from './policy-types.js';
import { usernameKey } from './types.js';

/** One recorded read of a team's schedule (shifts with overrides applied). */
export interface OncallRead {
  teamSlug: string;
  teamName: string;
  /** When the read was taken (ISO). */
  readAt: string;
  /** When a later read of the team first saw something different; null for the team's latest read. */
  supersededAt: string | null;
  /** The team's earliest recorded read: it also answers for the past it showed. */
  first: boolean;
  shifts: Shift[];
}

/** A stretch of time one person was on call for one policy of one team. */
export interface OncallInterval {
  teamSlug: string;
  teamName: string;
  policySlug: string;
  policyName: string;
  username: string;
  startMs: number;
  endMs: number;
  /** Whose shift it was, when an override handed it to `username`. */
  overrideFor?: string;
}

/** The time a read answers for, as [start, end) in epoch ms. */
export function readAuthority(read: OncallRead): [number, number] {
  return [
    read.first ? Number.NEGATIVE_INFINITY : Date.parse(read.readAt),
    read.supersededAt === null ? Number.POSITIVE_INFINITY : Date.parse(read.supersededAt),
  ];
}

/**
 * Every stretch of on-call time in [fromMs, toMs) that the reads answer for, one per shift part
 * (overlapping rotations of one policy are not merged here: see `mergeOncallIntervals`).
 */
export function listOncallIntervals(
  reads: readonly OncallRead[],
  fromMs: number,
  toMs: number,
): OncallInterval[] {
  const out: OncallInterval[] = [];
  for (const read of reads) {
    const [authStart, authEnd] = readAuthority(read);
    const lo = Math.max(fromMs, authStart);
    const hi = Math.min(toMs, authEnd);
    if (!(lo < hi)) continue;
    for (const s of read.shifts) {
      const startMs = Math.max(lo, Date.parse(s.start));
      const endMs = Math.min(hi, Date.parse(s.end));
      if (!(startMs < endMs)) continue;
      out.push({
        teamSlug: read.teamSlug,
        teamName: read.teamName,
        policySlug: s.policySlug,
        policyName: s.policyName,
        username: s.username,
        startMs,
        endMs,
        ...(s.overrideFor === undefined ? {} : { overrideFor: s.overrideFor }),
      });
    }
  }
  return out;
}

/** One person's on-call time for one policy of one team: non-overlapping, sorted intervals. */
export interface PersonOncall {
  teamSlug: string;
  teamName: string;
  policySlug: string;
  policyName: string;
  username: string;
  /** Sorted, disjoint [startMs, endMs) pairs: being on call in two rotations at once counts once. */
  intervals: [number, number][];
  /** The part of `intervals` held by override, covering someone else's shift (ms). */
  overrideMs: number;
}

const personKey = (i: OncallInterval) => `${i.teamSlug}\u0000${i.policySlug}\u0000${usernameKey(i.username)}`;

function unionOf(pairs: [number, number][]): [number, number][] {
  pairs.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [start, end] of pairs) {
    const last = merged.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

const totalMs = (pairs: readonly [number, number][]) => pairs.reduce((sum, [a, b]) => sum + (b - a), 0);

/**
 * Groups intervals per person × team × policy, as the union of their times. Sorted by team,
 * policy, then username. The names shown are the latest ones recorded.
 */
export function mergeOncallIntervals(intervals: readonly OncallInterval[]): PersonOncall[] {
  const groups = new Map<
    string,
    { first: OncallInterval; all: [number, number][]; overrides: [number, number][] }
  >();
  for (const i of intervals) {
    const key = personKey(i);
    let group = groups.get(key);
    if (!group) {
      group = { first: i, all: [], overrides: [] };
      groups.set(key, group);
    }
    group.all.push([i.startMs, i.endMs]);
    if (i.overrideFor !== undefined) group.overrides.push([i.startMs, i.endMs]);
  }
  return [...groups.values()]
    .map(({ first, all, overrides }) => ({
      teamSlug: first.teamSlug,
      teamName: first.teamName,
      policySlug: first.policySlug,
      policyName: first.policyName,
      username: first.username,
      intervals: unionOf(all),
      overrideMs: totalMs(unionOf(overrides)),
    }))
    .sort(
      (a, b) =>
        a.teamSlug.localeCompare(b.teamSlug) ||
        a.policySlug.localeCompare(b.policySlug) ||
        usernameKey(a.username).localeCompare(usernameKey(b.username)),
    );
}

/** Who was on call at an instant in one rotation of one policy (the shift part or override holding it), and the read that said so. */
export interface OncallAtEntry extends Omit<Shift, 'overrideFor'> {
  teamSlug: string;
  teamName: string;
  /** Set when an override applied: whose shift it was. */
  overrideFor: string | null;
  readAt: string;
}

/** Everyone on call at `atMs`, per policy and rotation, by the read that answers for that instant. */
export function listOncallAt(reads: readonly OncallRead[], atMs: number): OncallAtEntry[] {
  const out: OncallAtEntry[] = [];
  for (const read of reads) {
    const [authStart, authEnd] = readAuthority(read);
    if (atMs < authStart || atMs >= authEnd) continue;
    for (const s of read.shifts) {
      if (Date.parse(s.start) > atMs || Date.parse(s.end) <= atMs) continue;
      out.push({
        ...s,
        teamSlug: read.teamSlug,
        teamName: read.teamName,
        overrideFor: s.overrideFor ?? null,
        readAt: read.readAt,
      });
    }
  }
  return out.sort(
    (a, b) =>
      a.teamSlug.localeCompare(b.teamSlug) ||
      a.policySlug.localeCompare(b.policySlug) ||
      a.rotationName.localeCompare(b.rotationName) ||
      a.shiftName.localeCompare(b.shiftName) ||
      a.username.localeCompare(b.username),
  );
}

const clipFrom = (shifts: readonly Shift[], fromMs: number): string[] =>
  shifts
    .filter((s) => Date.parse(s.end) > fromMs)
    .map((s) =>
      JSON.stringify([
        s.policySlug,
        s.policyName,
        s.rotationName,
        s.shiftName,
        s.username,
        Math.max(Date.parse(s.start), fromMs),
        Date.parse(s.end),
        s.overrideFor ?? null,
      ]),
    )
    .sort();

/**
 * Whether a new read says the same as the previous one for every instant from `fromMs` on: then
 * recording it would change no answer, and the previous read keeps answering.
 */
export function showsSameFrom(previous: readonly Shift[], next: readonly Shift[], fromMs: number): boolean {
  const a = clipFrom(previous, fromMs);
  const b = clipFrom(next, fromMs);
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * A superseded read keeps only what it answers for: the shifts that started before `untilMs`,
 * ended there at the latest. Past hours stay answerable; the forecast beyond is dropped.
 */
export function trimToAuthority(shifts: readonly Shift[], untilMs: number): Shift[] {
  const until = new Date(untilMs).toISOString();
  return shifts
    .filter((s) => Date.parse(s.start) < untilMs)
    .map((s) => (Date.parse(s.end) > untilMs ? { ...s, end: until } : s));
}

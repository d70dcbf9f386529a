/**
 * Key-level reachability: from a routing key to the people its policies can page, and when nobody.
 * The findings `routing_key_unrouted` (a key with no targets, or whose every target is gone) and
 * `routing_key_unstaffed` (intervals of the read window in which none of a key's target policies
 * can page a person). Pure.
 *
 * A policy can page a person at an instant when one of these holds:
 * - a step pages a `user` directly who is in the org (a user entry for a deleted user does not count);
 * - a step pages a rotation and the policy's schedule has someone (a user of the org) on call then,
 *   overrides applied (the v2 team schedule lists the rotations under each policy that uses them);
 * - a step routes (`policy_routing`) to a policy that can, followed cycle-safe.
 * Email and webhook entries are not people: they are listed, never counted. A policy whose steps
 * are unknown (listed but unreadable) is not judged: a key reaching one gets no unstaffed finding.
 */

import { windowEnd } from './coverage-people.js';
import type { Finding, PolicyRef, UnstaffedPolicy } from './coverage-types.js';
import { compareText } from './normalise.js';
import { describeEntry } from './policy-entries.js';
import type { Policy, TeamSchedule } from './policy-types.js';
import { canonicalInstant, gapsWithin, type Interval } from './rotation-coverage.js';
import type { RoutingKey } from './routing-keys.js';
import { usernameKey } from './types.js';

export interface KeyReachInput {
  routingKeys: readonly RoutingKey[];
  policies: readonly Policy[];
  /** Slugs of policies that exist but whose steps are unknown. */
  unreadPolicies: ReadonlySet<string>;
  schedules: readonly TeamSchedule[];
  /** Lower-cased usernames of the org's users. */
  users: ReadonlySet<string>;
  now: string;
  daysForward?: number;
  /** Keys not to report, with why (REACH_EXEMPT). */
  isExempt?: (routingKey: string) => boolean;
}

/** What one policy can page over the window, and what it pages that is not a person. */
interface PolicyReach {
  /** Null when some policy it reaches is unknown (unreadable). */
  covered: Interval[] | null;
  notPeople: string[];
}

/** Who is on call for a policy, per shift, within the window (users of the org only). */
function shiftsByPolicy(
  schedules: readonly TeamSchedule[],
  users: ReadonlySet<string>,
  from: string,
  until: string,
): Map<string, Interval[]> {
  const byPolicy = new Map<string, Interval[]>();
  for (const schedule of schedules) {
    for (const s of schedule.shifts) {
      if (!users.has(usernameKey(s.username))) continue;
      const start = canonicalInstant(s.start);
      const end = canonicalInstant(s.end);
      if (!(start < until && end > from)) continue;
      const list = byPolicy.get(s.policySlug);
      if (list) list.push({ start, end });
      else byPolicy.set(s.policySlug, [{ start, end }]);
    }
  }
  return byPolicy;
}

/** The rotations each policy's schedule lists, with or without anyone on call: only why a key is empty reads it. */
function rotationsByPolicy(schedules: readonly TeamSchedule[]): Map<string, Set<string>> {
  const byPolicy = new Map<string, Set<string>>();
  const note = (policySlug: string, rotationName: string) => {
    const set = byPolicy.get(policySlug);
    if (set) set.add(rotationName);
    else byPolicy.set(policySlug, new Set([rotationName]));
  };
  for (const schedule of schedules) {
    for (const r of schedule.rotations ?? []) note(r.policySlug, r.rotationName);
    for (const s of schedule.shifts) note(s.policySlug, s.rotationName);
  }
  return byPolicy;
}

function union(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => compareText(a.start, b.start));
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) {
      if (i.end > last.end) last.end = i.end;
    } else out.push({ ...i });
  }
  return out;
}

/** The model the findings and the Reachability page share. */
export interface KeyReachModel {
  from: string;
  until: string;
  /** The read window's intervals in which the key reaches nobody; null when a policy is unknown. */
  gapsOf(key: RoutingKey): Interval[] | null;
  /** Why a policy pages nobody in a gap of its key (the same for every gap: nobody in any rotation). */
  whyEmpty(slug: string): string[];
  notPeopleOf(key: RoutingKey): string[];
}

export function buildKeyReach(input: Omit<KeyReachInput, 'routingKeys' | 'isExempt'>): KeyReachModel {
  const bySlug = new Map(input.policies.map((p) => [p.slug, p]));
  const from = canonicalInstant(input.now);
  // The window every schedule answers for: the shortest of them, so a gap is never past what was read.
  let untilMs = windowEnd(input, { team: { slug: '', name: '' }, shifts: [] });
  for (const s of input.schedules) untilMs = Math.min(untilMs, windowEnd(input, s));
  const until = new Date(Math.max(untilMs, Date.parse(from))).toISOString();
  const byPolicy = shiftsByPolicy(input.schedules, input.users, from, until);
  // Built on the first key reported empty: most polls report none, and it walks every shift again.
  let rotationsOfPolicy: Map<string, Set<string>> | undefined;
  const whole: Interval[] = [{ start: from, end: until }];

  const memo = new Map<string, PolicyReach>();
  const reachOf = (slug: string, visiting: Set<string>): PolicyReach => {
    const known = memo.get(slug);
    if (known) return known;
    if (input.unreadPolicies.has(slug)) return { covered: null, notPeople: [] };
    const policy = bySlug.get(slug);
    // A policy that is gone pages nobody (its dangling route is a finding of its own).
    if (!policy || visiting.has(slug)) return { covered: [], notPeople: [] };
    visiting.add(slug);
    const entries = policy.steps.flatMap((s) => s.entries);
    const notPeople = new Set<string>();
    let covered: Interval[] | null = [];
    let direct = false;
    for (const e of entries) {
      if (e.kind === 'user' && input.users.has(usernameKey(e.username))) direct = true;
      else if (e.kind === 'email' || e.kind === 'webhook')
        notPeople.add(`${policy.name}: ${describeEntry(e)}`);
      else if (e.kind === 'policy') {
        const inner = reachOf(e.policySlug, visiting);
        for (const n of inner.notPeople) notPeople.add(n);
        if (inner.covered === null) covered = null;
        else if (covered !== null) covered.push(...inner.covered);
      }
    }
    if (covered !== null && entries.some((e) => e.kind === 'rotation'))
      covered.push(...(byPolicy.get(slug) ?? []));
    visiting.delete(slug);
    const reach: PolicyReach = {
      covered: covered === null ? null : direct ? whole : union(covered),
      notPeople: [...notPeople].sort(compareText),
    };
    // Only a finished walk is remembered: inside a cycle the partial answer depends on the path.
    if (visiting.size === 0) memo.set(slug, reach);
    return reach;
  };

  const whyEmpty = (slug: string, seen = new Set<string>()): string[] => {
    const policy = bySlug.get(slug);
    if (!policy) return ['the policy no longer exists'];
    if (seen.has(slug)) return [];
    seen.add(slug);
    const entries = policy.steps.flatMap((s) => s.entries);
    const why: string[] = [];
    for (const e of entries) {
      if (e.kind === 'user' && !input.users.has(usernameKey(e.username)))
        why.push(`user ${e.username} is not in the org`);
      else if (e.kind === 'policy') {
        const target = bySlug.get(e.policySlug);
        const inner = whyEmpty(e.policySlug, seen);
        if (inner.length > 0) why.push(`routes to '${target?.name ?? e.policySlug}' (${inner.join('; ')})`);
      }
    }
    if (entries.some((e) => e.kind === 'rotation')) {
      // The schedule names the rotations it lists; one without any roll may be missing from it, so
      // the step's own rotation label names it then.
      rotationsOfPolicy ??= rotationsByPolicy(input.schedules);
      const listed = [...(rotationsOfPolicy.get(slug) ?? [])];
      const labels = entries.flatMap((e) => (e.kind === 'rotation' ? [e.rotationLabel] : []));
      const rotations = [...new Set(listed.length > 0 ? listed : labels)].sort(compareText);
      for (const r of rotations) why.push(`rotation ${r} has no one on call`);
    }
    if (!entries.some((e) => e.kind === 'user' || e.kind === 'rotation' || e.kind === 'policy'))
      why.push('no step pages a person');
    return [...new Set(why)];
  };

  return {
    from,
    until,
    gapsOf(key) {
      const covered: Interval[] = [];
      for (const t of key.targets) {
        const reach = reachOf(t.policySlug, new Set());
        if (reach.covered === null) return null;
        covered.push(...reach.covered);
      }
      return gapsWithin(union(covered), from, until);
    },
    whyEmpty: (slug) => whyEmpty(slug),
    notPeopleOf(key) {
      const all = new Set<string>();
      for (const t of key.targets) for (const n of reachOf(t.policySlug, new Set()).notPeople) all.add(n);
      return [...all].sort(compareText);
    },
  };
}

/** The targets of a key that are policies that still exist (read or listed-but-unreadable). */
function existingTargets(key: RoutingKey, known: ReadonlySet<string>): RoutingKey['targets'] {
  return key.targets.filter((t) => known.has(t.policySlug));
}

/** `routing_key_unrouted` and `routing_key_unstaffed`, sorted by key. */
export function findRoutingKeyFindings(input: KeyReachInput): Finding[] {
  const known = new Set([...input.policies.map((p) => p.slug), ...input.unreadPolicies]);
  // Built for the first key that still has a target: an org without keys (or only unrouted ones)
  // does not walk every shift for nothing.
  let model: KeyReachModel | undefined;
  const names = new Map(input.policies.map((p) => [p.slug, p.name]));
  const found: Finding[] = [];
  for (const key of input.routingKeys) {
    if (input.isExempt?.(key.routingKey)) continue;
    const targets = existingTargets(key, known);
    if (targets.length === 0) {
      found.push({
        kind: 'routing_key_unrouted',
        key: `routing_key_unrouted:${key.routingKey}`,
        routingKey: key.routingKey,
        isDefault: key.isDefault,
        missingPolicies: key.targets.map((t): PolicyRef => ({ slug: t.policySlug, name: t.policyName })),
      });
      continue;
    }
    const live = { ...key, targets };
    // Only now can an unparseable fetchedAt throw its RangeError (main threw for any key list).
    model ??= buildKeyReach(input);
    const reach = model;
    const gaps = reach.gapsOf(live);
    const first = gaps?.[0];
    if (!gaps || !first) continue;
    found.push({
      kind: 'routing_key_unstaffed',
      key: `routing_key_unstaffed:${key.routingKey}`,
      routingKey: key.routingKey,
      isDefault: key.isDefault,
      from: first.start,
      until: first.end,
      windows: gaps.length,
      policies: targets.map(
        (t): UnstaffedPolicy => ({
          slug: t.policySlug,
          name: names.get(t.policySlug) ?? t.policyName,
          why: reach.whyEmpty(t.policySlug),
        }),
      ),
      notPeople: reach.notPeopleOf(live),
    });
  }
  return found.sort((a, b) => compareText(a.key, b.key));
}

/** A routing key that would reach nobody for a while if `username` left: the first such interval. */
export interface KeyLosingPerson {
  routingKey: string;
  from: string;
  until: string;
  /** How many intervals of the read window it would reach nobody in that it reaches someone now. */
  windows: number;
}

/**
 * The routing keys whose last person who can be paged, at some time in the read window, is
 * `username`: the gaps the key would have without them that it does not have now.
 */
export function keysLosingLastPerson(
  input: Omit<KeyReachInput, 'isExempt'>,
  username: string,
): KeyLosingPerson[] {
  const without = new Set(input.users);
  without.delete(usernameKey(username));
  const now = buildKeyReach(input);
  const after = buildKeyReach({ ...input, users: without });
  const known = new Set([...input.policies.map((p) => p.slug), ...input.unreadPolicies]);
  const found: KeyLosingPerson[] = [];
  for (const key of input.routingKeys) {
    const live = { ...key, targets: existingTargets(key, known) };
    if (live.targets.length === 0) continue;
    const before = now.gapsOf(live);
    const later = after.gapsOf(live);
    if (before === null || later === null) continue;
    const had = new Set(before.map((g) => `${g.start}/${g.end}`));
    const fresh = later.filter((g) => !had.has(`${g.start}/${g.end}`));
    const first = fresh[0];
    if (first)
      found.push({ routingKey: key.routingKey, from: first.start, until: first.end, windows: fresh.length });
  }
  return found;
}

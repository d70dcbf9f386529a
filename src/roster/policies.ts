/**
 * Escalation policies and on-call schedules as roster-watch keeps them, their normalisation and
 * their diff. Pure: the VictorOps adapter parses the API's variants into the raw shapes here.
 */
import type { EventDraft, FieldChange } from './events.js';
import { compareText } from './normalise.js';
import { describeEntry, entryKey, normaliseEntry, type PolicyEntry } from './policy-entries.js';
import type {
  Policy,
  PolicyFailedScope,
  PolicyField,
  PolicyReference,
  PolicyStep,
  Rotation,
  Shift,
  TeamSchedule,
  UnreadPolicy,
} from './policy-types.js';
import { usernameKey } from './types.js';
import { wellFormed } from './well-formed.js';

/**
 * Trims names and makes them well-formed, as they are recorded (well-formed.ts), renumbers steps
 * 1..n in API order (the order is the escalation order) and sorts
 * entries within a step (they are paged together, so their order carries no meaning) without
 * duplicates. Policies are sorted by slug, duplicates keep the first occurrence.
 */
export function normalisePolicies(raw: readonly Policy[]): Policy[] {
  const bySlug = new Map<string, Policy>();
  for (const p of raw) {
    const slug = wellFormed(p.slug.trim());
    if (slug === '' || bySlug.has(slug)) continue;
    bySlug.set(slug, {
      slug,
      name: wellFormed(p.name.trim()),
      teamSlug: wellFormed(p.teamSlug.trim()),
      steps: p.steps.map((step, i) => {
        const entries = new Map<string, PolicyEntry>();
        for (const e of step.entries) {
          const entry = normaliseEntry(e);
          if (!entries.has(entryKey(entry))) entries.set(entryKey(entry), entry);
        }
        return {
          index: i + 1,
          timeout: step.timeout,
          entries: [...entries.entries()].sort((a, b) => compareText(a[0], b[0])).map(([, e]) => e),
        };
      }),
    });
  }
  return [...bySlug.values()].sort((a, b) => compareText(a.slug, b.slug));
}

/** A shift's text well-formed, as its on-call rows store it; the same object when it already is. */
function wellFormedShift(s: Shift): Shift {
  const text = {
    policySlug: wellFormed(s.policySlug),
    policyName: wellFormed(s.policyName),
    rotationName: wellFormed(s.rotationName),
    shiftName: wellFormed(s.shiftName),
    username: wellFormed(s.username),
  };
  const overrideFor = s.overrideFor === undefined ? undefined : wellFormed(s.overrideFor);
  const same =
    overrideFor === s.overrideFor &&
    (Object.keys(text) as (keyof typeof text)[]).every((k) => text[k] === s[k]);
  return same ? s : { ...s, ...text, ...(overrideFor === undefined ? {} : { overrideFor }) };
}

/**
 * Shifts sorted by start, then rotation, shift and user; schedules by team slug. Names are made
 * well-formed, as they are recorded (well-formed.ts): the on-call rows compare them as stored.
 */
export function normaliseSchedules(raw: readonly TeamSchedule[]): TeamSchedule[] {
  const key = (s: Shift) =>
    [s.start, s.end, s.policySlug, s.rotationName, s.shiftName, usernameKey(s.username)].join('\u0000');
  return [...raw]
    .map((schedule) => {
      const unique = new Map<string, Shift>();
      for (const shift of schedule.shifts) {
        const s = wellFormedShift(shift);
        if (!unique.has(key(s))) unique.set(key(s), s);
      }
      const rotations = new Map<string, Rotation>();
      for (const rotation of schedule.rotations ?? []) {
        const r = {
          policySlug: wellFormed(rotation.policySlug),
          policyName: wellFormed(rotation.policyName),
          rotationName: wellFormed(rotation.rotationName),
          shiftName: wellFormed(rotation.shiftName),
        };
        rotations.set([r.policySlug, r.rotationName, r.shiftName].join('\u0000'), r);
      }
      return {
        ...schedule,
        team: { slug: wellFormed(schedule.team.slug), name: wellFormed(schedule.team.name) },
        shifts: [...unique.entries()].sort((a, b) => compareText(a[0], b[0])).map(([, s]) => s),
        rotations: [...rotations.entries()].sort((a, b) => compareText(a[0], b[0])).map(([, r]) => r),
      };
    })
    .sort((a, b) => compareText(a.team.slug, b.team.slug));
}

export interface PolicyChange {
  before: Policy;
  after: Policy;
  changes: FieldChange<PolicyField, string>[];
}

export interface PolicyDiff {
  added: Policy[];
  removed: Policy[];
  changed: PolicyChange[];
}

/** Steps are compared as a whole and reported as compact text ("1: jdoe, @ops-rota (5m) | 2: …"). */
export function describeSteps(steps: readonly PolicyStep[]): string {
  if (steps.length === 0) return '(no steps)';
  return steps
    .map((s) => {
      const who = s.entries.map(describeEntry);
      return `${s.index}: ${who.length > 0 ? who.join(', ') : '(nobody)'} (${s.timeout}m)`;
    })
    .join(' | ');
}

/** Both lists must be normalised. */
export function diffPolicies(before: readonly Policy[], after: readonly Policy[]): PolicyDiff {
  const old = new Map(before.map((p) => [p.slug, p]));
  const now = new Map(after.map((p) => [p.slug, p]));
  const diff: PolicyDiff = { added: [], removed: [], changed: [] };
  for (const [slug, policy] of now) {
    const previous = old.get(slug);
    if (!previous) {
      diff.added.push(policy);
      continue;
    }
    const changes: FieldChange<PolicyField, string>[] = [];
    if (previous.name !== policy.name)
      changes.push({ field: 'name', before: previous.name, after: policy.name });
    if (previous.teamSlug !== policy.teamSlug)
      changes.push({ field: 'teamSlug', before: previous.teamSlug, after: policy.teamSlug });
    const stepsBefore = describeSteps(previous.steps);
    const stepsAfter = describeSteps(policy.steps);
    if (JSON.stringify(previous.steps) !== JSON.stringify(policy.steps))
      changes.push({ field: 'steps', before: stepsBefore, after: stepsAfter });
    if (changes.length > 0) diff.changed.push({ before: previous, after: policy, changes });
  }
  for (const [slug, policy] of old) if (!now.has(slug)) diff.removed.push(policy);
  return diff;
}

export function countPolicyChanges(diff: PolicyDiff): number {
  return diff.added.length + diff.removed.length + diff.changed.length;
}

/** Additions, then changes, then removals, like roster events. */
export function policyDiffToEvents(diff: PolicyDiff): EventDraft[] {
  return [
    ...diff.added.map(
      (policy): EventDraft => ({ type: 'victorops.policy.added', subject: policy.slug, data: { policy } }),
    ),
    ...diff.changed.map(
      (c): EventDraft => ({
        type: 'victorops.policy.changed',
        subject: c.after.slug,
        data: { slug: c.after.slug, before: c.before, after: c.after, changes: c.changes },
      }),
    ),
    ...diff.removed.map(
      (policy): EventDraft => ({ type: 'victorops.policy.removed', subject: policy.slug, data: { policy } }),
    ),
  ];
}

/**
 * The policies to record when some detail fetches failed: a failed policy keeps its previous
 * version (unknown is not "gone"); one never seen before cannot be recorded yet.
 */
export function mergeFailedPolicies(
  previous: readonly Policy[],
  fetched: readonly Policy[],
  failed: readonly PolicyFailedScope[],
): Policy[] {
  const failedSlugs = new Set(failed.flatMap((f) => (f.kind === 'policy' ? [f.slug] : [])));
  if (failedSlugs.size === 0) return [...fetched];
  const carried = previous.filter((p) => failedSlugs.has(p.slug));
  return normalisePolicies([...fetched.filter((p) => !failedSlugs.has(p.slug)), ...carried]);
}

/** Schedules to use: a team whose schedule could not be read keeps its previous one. */
export function mergeFailedSchedules(
  previous: readonly TeamSchedule[],
  fetched: readonly TeamSchedule[],
  failed: readonly PolicyFailedScope[],
): TeamSchedule[] {
  const failedTeams = new Set(failed.flatMap((f) => (f.kind === 'team-schedule' ? [f.teamSlug] : [])));
  const kept = fetched.filter((s) => !failedTeams.has(s.team.slug));
  const carried = previous.filter((s) => failedTeams.has(s.team.slug));
  return normaliseSchedules([...kept, ...carried]);
}

/**
 * `policiesReferencing` for many users at once: one pass over the policies, then a lookup per user
 * (the same references in the same order). Coverage asks it for every unverified user on every
 * poll, and a scan of every policy per user was most of an unchanged 20,000-user poll's CPU.
 */
export function indexPolicyReferences(policies: readonly Policy[]): (username: string) => PolicyReference[] {
  const byUser = new Map<string, PolicyReference[]>();
  for (const p of policies) {
    const refOf = new Map<string, PolicyReference>();
    for (const step of p.steps) {
      const seen = new Set<string>();
      for (const entry of step.entries) {
        if (entry.kind !== 'user') continue;
        const key = usernameKey(entry.username);
        if (seen.has(key)) continue;
        seen.add(key);
        let ref = refOf.get(key);
        if (!ref) {
          ref = { slug: p.slug, name: p.name, teamSlug: p.teamSlug, steps: [] };
          refOf.set(key, ref);
          const refs = byUser.get(key);
          if (refs) refs.push(ref);
          else byUser.set(key, [ref]);
        }
        ref.steps.push(step.index);
      }
    }
  }
  return (username) => (byUser.get(usernameKey(username)) ?? []).map((r) => ({ ...r, steps: [...r.steps] }));
}

/** The policies (and their steps) that page `username` directly. */
export function policiesReferencing(policies: readonly Policy[], username: string): PolicyReference[] {
  const key = usernameKey(username);
  const refs: PolicyReference[] = [];
  for (const p of policies) {
    const steps = p.steps
      .filter((s) => s.entries.some((e) => e.kind === 'user' && usernameKey(e.username) === key))
      .map((s) => s.index);
    if (steps.length > 0) refs.push({ slug: p.slug, name: p.name, teamSlug: p.teamSlug, steps });
  }
  return refs;
}

/**
 * The failed policy scopes without a recorded version, as unread policies. Runs recorded by older
 * versions kept a scope's text as fetched: it is made well-formed like the recorded slugs.
 */
export function unreadPoliciesOf(
  failed: readonly PolicyFailedScope[],
  recorded: ReadonlySet<string>,
): UnreadPolicy[] {
  return failed.flatMap((f) =>
    f.kind === 'policy' && !recorded.has(wellFormed(f.slug))
      ? [
          {
            slug: wellFormed(f.slug),
            name: wellFormed(f.name ?? f.slug),
            teamSlug: wellFormed(f.teamSlug ?? ''),
            reason: f.reason,
          },
        ]
      : [],
  );
}

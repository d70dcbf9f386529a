/**
 * Person-level reachability: whether the people who can be paged (on call in the read window, or
 * named by a `user` step of an escalation policy) can be reached through their own paging policy
 * and contact methods. Pure; judged only for people whose contacts have been read.
 */
import type { PersonContacts } from './contact-types.js';
import { describeMethod } from './contact-types.js';
import { countShiftsByRotation, firstPolicy, windowEnd } from './coverage-people.js';
import type { Finding, HeldShift, PolicyRef } from './coverage-types.js';
import { compareText } from './normalise.js';
import { indexPolicyReferences } from './policies.js';
import type { Policy, TeamSchedule } from './policy-types.js';
import { computeRotationCoverage, type RotationCoverage, type RotationShift } from './rotation-coverage.js';
import type { Team } from './types.js';
import { usernameKey } from './types.js';

export interface PagedPeopleInput {
  policies: readonly Policy[];
  schedules: readonly TeamSchedule[];
  now: string;
  daysForward?: number;
}

export interface PagedPerson {
  username: string;
  held: { rotation: RotationCoverage; s: RotationShift }[];
  pagedBy: { slug: string; name: string; steps: number[] }[];
}

/**
 * Everyone who can be paged: on call at any moment of the read window (overrides applied) or paged
 * directly by a policy step, keyed by lower-cased username, shifts in time order.
 */
export function findPagedPeople(input: PagedPeopleInput): Map<string, PagedPerson> {
  const people = new Map<string, PagedPerson>();
  const personOf = (username: string) => {
    const key = usernameKey(username);
    let p = people.get(key);
    if (!p) {
      p = { username, held: [], pagedBy: [] };
      people.set(key, p);
    }
    return p;
  };
  const peopleInput = { roster: { users: [], teams: [], memberships: [] }, ...input };
  for (const schedule of input.schedules) {
    const until = new Date(windowEnd(peopleInput, schedule)).toISOString();
    for (const rotation of computeRotationCoverage(schedule, { from: input.now, until })) {
      for (const s of rotation.shifts) {
        if (s.username.trim() !== '') personOf(s.username).held.push({ rotation, s });
      }
    }
  }
  const referencing = indexPolicyReferences(input.policies);
  for (const p of input.policies) {
    for (const step of p.steps) {
      for (const entry of step.entries) if (entry.kind === 'user') personOf(entry.username);
    }
  }
  for (const person of people.values()) {
    person.held.sort((a, b) => compareText(a.s.start, b.s.start));
    person.pagedBy = referencing(person.username).map(({ slug, name, steps }) => ({ slug, name, steps }));
  }
  return people;
}

const VERB: Record<string, string> = { sms: 'texts', phone: 'calls', email: 'emails' };

/** Whether one rule reaches the person, and if not, why (a phrase after "their paging policy"). */
export function judgeRule(
  rule: { type: string; contactId: number | null },
  contacts: PersonContacts,
): { reaches: boolean; reason: string } {
  if (rule.type === 'push') {
    const devices = contacts.methods.filter((m) => m.kind === 'device');
    return devices.length > 0
      ? { reaches: true, reason: `pushes to ${devices.map(describeMethod).join(', ')}` }
      : { reaches: false, reason: 'pushes to the app, but no device has the app installed' };
  }
  const wanted =
    rule.type === 'email' ? 'email' : rule.type === 'sms' || rule.type === 'phone' ? 'phone' : null;
  // A type VictorOps may add later is not judged: better silent than a false alarm.
  if (wanted === null) return { reaches: true, reason: `uses a rule of type ${rule.type}` };
  const verb = VERB[rule.type] ?? rule.type;
  const method = contacts.methods.find((m) => m.id === rule.contactId && m.kind === wanted);
  if (!method) return { reaches: false, reason: `${verb} a ${wanted} that no longer exists` };
  if (method.verified !== true)
    return { reaches: false, reason: `${verb} ${describeMethod(method)}, which is unverified` };
  return { reaches: true, reason: `${verb} ${describeMethod(method)}` };
}

export interface ReachFindingsInput extends PagedPeopleInput {
  /** The latest recorded read of each person's contacts, by lower-cased username. */
  contacts: ReadonlyMap<string, PersonContacts>;
  /** REACH_EXEMPT matcher: true when a username is exempt. */
  isExempt: (username: string) => boolean;
  teamOf: (slug: string) => Team;
}

function heldShift(
  first: { rotation: RotationCoverage; s: RotationShift },
  teamOf: (slug: string) => Team,
): HeldShift {
  return {
    team: teamOf(first.rotation.team.slug),
    policy: firstPolicy(first.rotation),
    rotation: first.rotation.rotationName,
    start: first.s.start,
    end: first.s.end,
  };
}

function affectedPolicies(person: PagedPerson): PolicyRef[] {
  const bySlug = new Map<string, PolicyRef>();
  for (const { rotation } of person.held) for (const p of rotation.policies) bySlug.set(p.slug, p);
  for (const p of person.pagedBy) bySlug.set(p.slug, { slug: p.slug, name: p.name });
  return [...bySlug.values()].sort((a, b) => compareText(a.slug, b.slug));
}

/** `unreachable_on_call` and `email_only_paging`, sorted by key. */
export function computeReachFindings(input: ReachFindingsInput): Finding[] {
  const found: Finding[] = [];
  for (const [key, person] of findPagedPeople(input)) {
    const contacts = input.contacts.get(key);
    if (!contacts || input.isExempt(person.username)) continue;
    const rules = contacts.pagingPolicy.flatMap((step) =>
      step.rules.map((rule) => ({ step: step.index, type: rule.type, ...judgeRule(rule, contacts) })),
    );
    const first = person.held[0];
    const policies = affectedPolicies(person);
    const reaching = rules.filter((r) => r.reaches);
    if (reaching.length === 0) {
      found.push({
        kind: 'unreachable_on_call',
        key: `unreachable_on_call:${key}`,
        username: contacts.username,
        rules: rules.map(({ step, type, reason }) => ({ step, type, reason })),
        shift: first ? heldShift(first, input.teamOf) : null,
        shifts: countShiftsByRotation(person.held),
        pagedBy: person.pagedBy,
        policies,
      });
    } else if (first && reaching.every((r) => r.type === 'email')) {
      const emails = new Set<string>();
      for (const step of contacts.pagingPolicy)
        for (const rule of step.rules) {
          const m = contacts.methods.find((x) => x.id === rule.contactId && x.kind === 'email' && x.verified);
          if (rule.type === 'email' && m) emails.add(m.hint);
        }
      found.push({
        kind: 'email_only_paging',
        key: `email_only_paging:${key}`,
        username: contacts.username,
        emails: [...emails].sort(compareText),
        shift: heldShift(first, input.teamOf),
        shifts: countShiftsByRotation(person.held),
        policies,
      });
    }
  }
  return found.sort((a, b) => compareText(a.key, b.key));
}

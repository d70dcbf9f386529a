/**
 * What changed in one person's contact methods and paging policy between two reads, as events that
 * carry hints only. The first read of a person is their baseline: no event. Pure.
 */
import { type ContactMethod, describeMethod, type PagingStep, type PersonContacts } from './contact-types.js';
import type { EventDraft } from './events.js';

const methodKey = (m: ContactMethod) => `${m.kind}:${m.id}`;
const sameMethod = (a: ContactMethod, b: ContactMethod) => a.verified === b.verified && a.hint === b.hint;

function describeRule(
  rule: { type: string; contactId: number | null },
  methods: readonly ContactMethod[],
): string {
  if (rule.contactId === null) return rule.type;
  const m = methods.find((x) => x.id === rule.contactId);
  return m ? `${rule.type} to ${describeMethod(m)}` : `${rule.type} to a missing contact`;
}

/** "step 1: push, sms to phone …42; step 2: email to email @example.com". */
export function describePagingPolicy(
  steps: readonly PagingStep[],
  methods: readonly ContactMethod[],
): string {
  if (steps.length === 0) return 'no steps';
  return steps
    .map((s) => `step ${s.index}: ${s.rules.map((r) => describeRule(r, methods)).join(', ') || 'no rules'}`)
    .join('; ');
}

export function diffPersonContacts(before: PersonContacts | null, after: PersonContacts): EventDraft[] {
  if (before === null) return [];
  const events: EventDraft[] = [];
  const old = new Map(before.methods.map((m) => [methodKey(m), m]));
  const now = new Map(after.methods.map((m) => [methodKey(m), m]));
  const added = after.methods.filter((m) => !old.has(methodKey(m)));
  const removed = before.methods.filter((m) => !now.has(methodKey(m)));
  const changed = after.methods.flatMap((m) => {
    const was = old.get(methodKey(m));
    return was && !sameMethod(was, m) ? [{ before: was, after: m }] : [];
  });
  if (added.length + removed.length + changed.length > 0) {
    const parts = [
      ...added.map((m) => `added ${describeMethod(m)}${m.verified === false ? ' (unverified)' : ''}`),
      ...removed.map((m) => `removed ${describeMethod(m)}`),
      ...changed.map(({ before: b, after: a }) =>
        b.verified !== a.verified && b.hint === a.hint
          ? `${describeMethod(a)} is now ${a.verified ? 'verified' : 'unverified'}`
          : `${describeMethod(b)} is now ${describeMethod(a)}${a.verified === false ? ' (unverified)' : ''}`,
      ),
    ];
    events.push({
      type: 'victorops.user.contact_methods_changed',
      subject: after.username,
      data: {
        username: after.username,
        added,
        removed,
        changed,
        message: `${after.username}: ${parts.join(', ')}`,
      },
    });
  }
  if (JSON.stringify(before.pagingPolicy) !== JSON.stringify(after.pagingPolicy)) {
    events.push({
      type: 'victorops.user.paging_policy_changed',
      subject: after.username,
      data: {
        username: after.username,
        before: before.pagingPolicy,
        after: after.pagingPolicy,
        message: `${after.username}'s paging policy is now ${describePagingPolicy(after.pagingPolicy, after.methods)} (was ${describePagingPolicy(before.pagingPolicy, before.methods)})`,
      },
    });
  }
  return events;
}

/** Whether a read differs from the recorded version (a new history row is due). */
export function contactsDiffer(before: PersonContacts | null, after: PersonContacts): boolean {
  if (before === null) return true;
  return (
    JSON.stringify(before.methods) !== JSON.stringify(after.methods) ||
    JSON.stringify(before.pagingPolicy) !== JSON.stringify(after.pagingPolicy) ||
    before.username !== after.username
  );
}

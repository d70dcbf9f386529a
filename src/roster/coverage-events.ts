/**
 * Coverage findings as people and consumers read them: one actionable sentence per finding, and
 * the `rosterwatch.coverage.<kind>` events for findings that appeared or resolved. Pure.
 */
import type { Finding, FindingsDiff, OpenFinding } from './coverage-types.js';
import type { CoverageEventData, EventDraft } from './events.js';

/** "2026-03-03T14:05:00.000Z" → "2026-03-03 14:05 UTC". */
export function formatUtcMinute(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const d = new Date(ms).toISOString();
  return `${d.slice(0, 10)} ${d.slice(11, 16)} UTC`;
}

/**
 * "from 2026-03-03 14:05 UTC to 2026-03-03 15:00 UTC"; with seconds when the span is shorter than
 * a minute, so a one-second gap does not read "from 09:45 to 09:45".
 */
export function formatSpan(start: string, end: string): string {
  const short = Date.parse(end) - Date.parse(start) < 60_000;
  const at = (iso: string) => {
    if (!short) return formatUtcMinute(iso);
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return iso;
    const d = new Date(ms).toISOString();
    return `${d.slice(0, 10)} ${d.slice(11, 19)} UTC`;
  };
  return `from ${at(start)} to ${at(end)}`;
}

function removal(at: string | null): string {
  return at === null ? 'not a user roster-watch has recorded' : `removed at ${formatUtcMinute(at)}`;
}

/** What is wrong and what to do, in one sentence. Steps are counted from 1, as in the VictorOps UI. */
export function describeFinding(f: Finding): string {
  switch (f.kind) {
    case 'dangling_reference':
      if (f.username === null)
        return `Escalation policy '${f.policy.name}' (team ${f.team.name}), step ${f.step}, routes to policy ${f.targetPolicy ?? '(unknown)'}, which no longer exists: point that step at an existing policy.`;
      return `Escalation policy '${f.policy.name}' (team ${f.team.name}), step ${f.step}, still pages ${f.username}, ${removal(f.removedAt)}: replace ${f.username} in that step.`;
    case 'removed_user_on_call': {
      const more = f.shifts > 1 ? ` (and ${f.shifts - 1} later shift${f.shifts > 2 ? 's' : ''})` : '';
      return `${f.username} (${removal(f.removedAt)}) is on call for team ${f.team.name}, rotation '${f.rotation}', shift '${f.shift}', ${formatSpan(f.start, f.end)}${more}: reassign the shift.`;
    }
    case 'team_without_members':
      return `Team ${f.team.name} has no members: add people or delete the team.`;
    case 'team_without_policy':
      return `Team ${f.team.name} has members but no escalation policy: nobody on it can be paged.`;
    case 'empty_step':
      return `Escalation policy '${f.policy.name}' (team ${f.team.name}), step ${f.step}, pages nobody: add a user or rotation, or remove the step.`;
    case 'unverified_on_call':
      return describeUnverified(f);
    case 'nobody_on_call': {
      const more = f.windows > 1 ? ` (and ${f.windows - 1} later gap${f.windows > 2 ? 's' : ''})` : '';
      const policies = f.policies.map((p) => `'${p.name}'`).join(', ');
      const shifts =
        f.shifts.length === 1
          ? `shift '${f.shifts[0]}'`
          : `nobody in any of its shifts ${f.shifts.map((s) => `'${s}'`).join(', ')}`;
      return `Nobody is on call for team ${f.team.name}, rotation '${f.rotation}' (${f.policies.length === 1 ? 'policy' : 'policies'} ${policies}; ${shifts}), ${formatSpan(f.start, f.end)}${more}: add someone to the rotation or an override for that time.`;
    }
    case 'empty_policy': {
      const routes = f.routedFrom.map((r) => `'${r.policy.name}' step ${r.step}`);
      const into =
        routes.length === 0
          ? ''
          : `; ${routes.join(', ')} ${routes.length === 1 ? 'routes' : 'route'} into it`;
      return `Escalation policy '${f.policy.name}' (team ${f.team.name}) pages nobody: it has no step that reaches a person${into}. Add a user or rotation to it, or delete it and point its routing keys elsewhere.`;
    }
    case 'unreachable_on_call':
      return describeUnreachable(f);
    case 'email_only_paging':
      return `${onCallPhrase(f.username, f.shift, f.shifts)}, but can only be reached by email (${f.emails.join(', ')}): an email rarely wakes anyone. Have ${f.username} add a verified phone or the VictorOps app to their paging policy.`;
    case 'routing_key_unrouted':
      return describeUnrouted(f);
    case 'routing_key_unstaffed':
      return describeUnstaffed(f);
  }
}

function onCallPhrase(
  username: string,
  shift: Extract<Finding, { kind: 'email_only_paging' }>['shift'],
  shifts: number,
): string {
  const more = shifts > 1 ? ` (and ${shifts - 1} later shift${shifts > 2 ? 's' : ''})` : '';
  return `${username} is on call for team ${shift.team.name} (rotation '${shift.rotation}', policy '${shift.policy.name}') ${formatSpan(shift.start, shift.end)}${more}`;
}

function describeUnreachable(f: Extract<Finding, { kind: 'unreachable_on_call' }>): string {
  const where: string[] = [];
  if (f.shift) where.push(onCallPhrase(f.username, f.shift, f.shifts));
  for (const p of f.pagedBy)
    where.push(
      `${where.length === 0 ? `${f.username} is` : 'is'} paged directly by '${p.name}' step${p.steps.length > 1 ? 's' : ''} ${p.steps.join(', ')}`,
    );
  const reasons = f.rules.map((r) => r.reason);
  const why =
    reasons.length <= 1
      ? (reasons[0] ?? 'has no rules')
      : `${reasons.slice(0, -1).join(', ')}, and ${reasons.at(-1)}`;
  const fixes = new Set<string>();
  for (const r of f.rules) {
    const unverified = /^(?:texts|calls|emails) (.+), which is unverified$/.exec(r.reason);
    if (unverified) fixes.add(`verify ${unverified[1]}`);
    else if (r.type === 'push') fixes.add('install the VictorOps app');
    else if (r.reason.endsWith('no longer exists'))
      fixes.add('point their paging policy at a contact method they have');
  }
  const fix = [...fixes].join(' or ');
  return `${where.join(' and ')} but cannot be reached: their paging policy ${why}. Have ${f.username} ${fix === '' ? 'fix their paging policy' : fix}, or reassign.`;
}

function keyName(routingKey: string, isDefault: boolean): string {
  return isDefault ? `${routingKey} (the default key)` : routingKey;
}

function describeUnrouted(f: Extract<Finding, { kind: 'routing_key_unrouted' }>): string {
  const why =
    f.missingPolicies.length === 0
      ? 'it has no target policy'
      : `every policy it targets is gone (${f.missingPolicies.map((p) => `'${p.name}'`).join(', ')})`;
  return `Alerts to routing key ${keyName(f.routingKey, f.isDefault)} reach nobody: ${why}. Route the key to an escalation policy in VictorOps, or delete it.`;
}

/** "Fri 2026-03-06 18:00 UTC": the weekday tells a person at a glance whether it is a weekend gap. */
function dayAndMinute(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][new Date(ms).getUTCDay()] ?? '';
  return `${day} ${formatUtcMinute(iso)}`;
}

function describeUnstaffed(f: Extract<Finding, { kind: 'routing_key_unstaffed' }>): string {
  const more = f.windows > 1 ? ` (and ${f.windows - 1} later gap${f.windows > 2 ? 's' : ''})` : '';
  const why = f.policies.map((p) => `${p.name}: ${p.why.length > 0 ? p.why.join(', ') : 'pages nobody'}`);
  const only = f.notPeople.length > 0 ? `; only ${f.notPeople.join(', ')} would be notified` : '';
  return `Alerts to routing key ${keyName(f.routingKey, f.isDefault)} reach nobody from ${dayAndMinute(f.from)} to ${dayAndMinute(f.until)}${more} (${why.join('; ')}${only}): put someone on call in one of its policies for that time, or route the key to a staffed policy.`;
}

function describeUnverified(f: Extract<Finding, { kind: 'unverified_on_call' }>): string {
  // The evidence: VictorOps lists the user as `verified: false` (its spec also calls the field
  // "always false") and its onboarding text says a new user is not active for on-call until they
  // verify their email. So "may not be paged", not "will not be paged" (docs/coverage.md).
  const who = f.pending
    ? `${f.username} is a pending invitation, not an account yet, so VictorOps cannot page them,`
    : `${f.username} is listed by VictorOps as not having verified their email, so VictorOps may not page them,`;
  const where: string[] = [];
  if (f.shift) {
    const more = f.shifts > 1 ? ` (and ${f.shifts - 1} later shift${f.shifts > 2 ? 's' : ''})` : '';
    where.push(
      `is on call for team ${f.shift.team.name}, rotation '${f.shift.rotation}', ${formatSpan(f.shift.start, f.shift.end)}${more}`,
    );
  }
  for (const p of f.pagedBy)
    where.push(`is paged directly by '${p.name}' step${p.steps.length > 1 ? 's' : ''} ${p.steps.join(', ')}`);
  const fix = f.pending
    ? 'have them accept the invitation or reassign'
    : 'have them verify their email in VictorOps or reassign';
  return `${who} yet ${f.username} ${where.join(' and ')}: ${fix}.`;
}

function subjectOf(f: Finding): string {
  switch (f.kind) {
    case 'dangling_reference':
      return f.username ?? f.policy.slug;
    case 'removed_user_on_call':
    case 'unverified_on_call':
    case 'unreachable_on_call':
    case 'email_only_paging':
      return f.username;
    case 'empty_step':
    case 'empty_policy':
      return f.policy.slug;
    case 'nobody_on_call':
      return f.team.slug;
    case 'routing_key_unrouted':
    case 'routing_key_unstaffed':
      return f.routingKey;
    default:
      return f.team.slug;
  }
}

function draft(f: Finding, extra: Omit<CoverageEventData, keyof Finding | 'message'>): EventDraft {
  const data = { ...f, message: describeFinding(f), ...extra };
  // The type follows the kind, so the union is rebuilt here rather than cast per kind.
  return { type: `rosterwatch.coverage.${f.kind}`, subject: subjectOf(f), data } as EventDraft;
}

/** Resolutions first (a fix reads before the next problem), then new findings; each sorted by key. */
export function findingEvents(diff: FindingsDiff, now: string): EventDraft[] {
  return [
    ...diff.resolved.map((o: OpenFinding) =>
      draft(o.finding, { state: 'resolved', firstSeen: o.firstSeen, resolvedAt: now }),
    ),
    ...diff.appeared.map((f) => draft(f, { state: 'open', firstSeen: now, resolvedAt: null })),
  ];
}

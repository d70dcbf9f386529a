/**
 * Identity findings as people and consumers read them: one sentence per finding ("jdoe left (Okta:
 * DEPROVISIONED 3 days ago) but is still paged by Payments primary and on call Friday"), and the
 * `rosterwatch.identity.<kind>` events for findings that appeared or resolved. Pure.
 */
import { formatUtcMinute } from './coverage-events.js';
import type { EventDraft } from './events.js';
import { isExposed } from './identity-exposure.js';
import type {
  Exemption,
  Exposure,
  IdentityFinding,
  IdentityFindingsDiff,
  IdentityRef,
  IdentitySourceKind,
} from './identity-types.js';

const DAY_MS = 86_400_000;
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
/** One label per source kind: the typecheck fails until a new kind has its own. */
const SOURCE_LABELS: Record<IdentitySourceKind, string> = {
  file: 'HR file',
  ldap: 'LDAP',
  okta: 'Okta',
  entra: 'Entra ID',
  google: 'Google Workspace',
};

export function sourceLabel(source: string): string {
  return (SOURCE_LABELS as Record<string, string>)[source] ?? source;
}

/** " 3 days ago", " today", or for a date still to come " leaves on 2026-12-31"; "" when not a date. */
export function ago(iso: string | null, now: string): string {
  if (iso === null) return '';
  const at = Date.parse(iso);
  const nowMs = Date.parse(now);
  if (Number.isNaN(at) || Number.isNaN(nowMs)) return '';
  if (at > nowMs) return `, leaves on ${new Date(at).toISOString().slice(0, 10)}`;
  const days = Math.floor((nowMs - at) / DAY_MS);
  if (days === 0) return ' today';
  return days === 1 ? ' yesterday' : ` ${days} days ago`;
}

/** "today", "Friday" within the coming week, else the date, all in UTC (the schedule's clock). */
function when(startIso: string, now: string): string {
  const start = new Date(startIso);
  if (startIso <= now) return 'now';
  const dayDiff =
    Math.floor(Date.parse(startIso.slice(0, 10)) / DAY_MS) -
    Math.floor(Date.parse(now.slice(0, 10)) / DAY_MS);
  if (dayDiff === 0) return 'today';
  if (dayDiff === 1) return 'tomorrow';
  if (dayDiff < 7) return WEEKDAYS[start.getUTCDay()] ?? startIso.slice(0, 10);
  return startIso.slice(0, 10);
}

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** "is still paged by Payments primary and on call Friday, and is on teams Payments, Core". */
export function describeExposure(e: Exposure, now: string): string {
  if (!isExposed(e)) return 'still has a VictorOps account (no team, policy or shift)';
  const parts: string[] = [];
  if (e.policies.length > 0) parts.push(`is still paged by ${list(e.policies.map((p) => p.name))}`);
  const next = e.shifts[0];
  if (next !== undefined) {
    const more = e.shiftCount > 1 ? ` (${e.shiftCount} upcoming shifts)` : '';
    parts.push(`on call ${when(next.start, now)}${more}`);
  }
  if (parts.length === 0)
    parts.push(`is still on ${e.teams.length === 1 ? 'team' : 'teams'} ${list(e.teams.map((t) => t.name))}`);
  return parts.join(' and ');
}

function statusPhrase(ref: IdentityRef, now: string): string {
  return `${sourceLabel(ref.source)}: ${ref.status}${ago(ref.statusChangedAt, now)}`;
}

type Finding<K extends IdentityFinding['kind']> = Extract<IdentityFinding, { kind: K }>;

/** What the sources say: the inactive ones, then plainly any that disagree or no longer tell. */
function leaverSources(f: Finding<'identity.inactive'>, now: string): string {
  const parts = [f.identities.map((i) => statusPhrase(i, now)).join('; ')];
  const elsewhere = f.activeElsewhere ?? [];
  if (elsewhere.length > 0)
    parts.push(
      `${list(elsewhere.map((i) => `${sourceLabel(i.source)} still says ${i.status}`))}; one inactive source is enough`,
    );
  if (f.statusUnknown)
    parts.push(
      `status now unknown: ${f.statusUnknown.map((i) => `${sourceLabel(i.source)} '${i.status}'`).join(', ')}; unknown is not active, so this stays open`,
    );
  return parts.join('; ');
}

/** "exempt: break-glass admin (pattern breakglass)": an exempted account is not checked, and says why. */
export function describeExemption(e: Exemption): string {
  return `exempt: ${e.reason} (pattern ${e.pattern}); not checked against the identity sources`;
}

function describeInactive(f: Finding<'identity.inactive'>, now: string): string {
  if (f.pending)
    return `${f.username} is a pending invitation for someone who left (${leaverSources(f, now)}) and ${describeExposure(f.exposure, now)}: withdraw the invitation in VictorOps.`;
  return `${f.username} left (${leaverSources(f, now)}) but ${describeExposure(f.exposure, now)}: run \`roster-watch offboard-check ${f.username}\`, then delete the VictorOps user.`;
}

function describeUnmatched(f: Finding<'identity.unmatched'>, now: string): string {
  const who = `${f.username}${f.email ? ` (${f.email})` : ''}`;
  const where = list(f.sources.map(sourceLabel));
  if (f.mappedTo)
    return `${who} is mapped to ${f.mappedTo} in IDENTITY_MAPPING_FILE, but that address is not found in any source (${where}) and ${describeExposure(f.exposure, now)}: correct the mapping, or offboard it.`;
  if (f.pending)
    return `${who} is a pending invitation that matches no identity in ${where} and ${describeExposure(f.exposure, now)}: withdraw the invitation, or map or exempt it once accepted.`;
  return `${who} matches no identity in ${where} and ${describeExposure(f.exposure, now)}: map it in IDENTITY_MAPPING_FILE, exempt it with a reason, or offboard it.`;
}

/** What is wrong and what to do, in one sentence. `now` is when the sentence is read (the sync). */
export function describeIdentityFinding(f: IdentityFinding, now: string): string {
  switch (f.kind) {
    case 'identity.inactive':
      return describeInactive(f, now);
    case 'identity.unmatched':
      return describeUnmatched(f, now);
    case 'identity.mismatch':
      return `${f.username} differs from ${sourceLabel(f.identity.source)} (${f.differences
        .map((d) => `${d.field} '${d.victorops ?? '(none)'}' vs '${d.identity ?? '(none)'}'`)
        .join(', ')}): correct the VictorOps profile or the mapping.`;
    case 'identity.source_failing':
      return `Identity source ${sourceLabel(f.source)} cannot be trusted since ${formatUtcMinute(f.since)} (${f.reason}): identity findings keep their last state until it recovers.`;
  }
}

interface Lifecycle {
  state: 'open' | 'resolved';
  firstSeen: string;
  resolvedAt: string | null;
}

function draft(f: IdentityFinding, message: string, extra: Lifecycle): EventDraft {
  const data = { ...f, message, ...extra };
  return {
    type: `rosterwatch.${f.kind}`,
    subject: f.kind === 'identity.source_failing' ? f.source : f.username,
    data,
  } as EventDraft;
}

/** Resolutions first, then new findings; each sorted by key (the diff's order). */
export function identityFindingEvents(diff: IdentityFindingsDiff, now: string): EventDraft[] {
  return [
    ...diff.resolved.map((o) =>
      draft(o.finding, describeIdentityFinding(o.finding, now), {
        state: 'resolved',
        firstSeen: o.firstSeen,
        resolvedAt: now,
      }),
    ),
    ...diff.appeared.map((f) =>
      draft(f, describeIdentityFinding(f, now), { state: 'open', firstSeen: now, resolvedAt: null }),
    ),
  ];
}

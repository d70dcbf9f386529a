/**
 * `/ui/reachability`: from each routing key to its target policies to who they page now and next,
 * with the key's gaps (its open `routing_key_unrouted` / `routing_key_unstaffed` finding) and its
 * REACH_EXEMPT reason. Whether the person on call now can be reached through their own paging
 * policy and contact methods comes from the last contacts poll; until it has read them, the column says so.
 */

import type { PersonContacts } from '../../roster/contact-types.js';
import { describeFinding } from '../../roster/coverage-events.js';
import type { Finding } from '../../roster/coverage-types.js';
import { findExemption } from '../../roster/identity-match.js';
import type { Policy, Shift } from '../../roster/policy-types.js';
import { judgeRule } from '../../roster/reachability.js';
import type { RoutingKey } from '../../roster/routing-keys.js';
import { usernameKey } from '../../roster/types.js';
import { loadCurrentContacts } from '../../store/contacts-store.js';
import { loadCurrentPolicies } from '../../store/policies.js';
import { loadCurrentRoutingKeys } from '../../store/routing-keys.js';
import { loadTeamShifts, loadUserNames } from '../../store/ui-entities.js';
import { loadFindingsPage } from '../../store/ui-findings.js';
import { type Cell, mono, type Page, text } from '../model.js';
import { type PageContext, policyCell, timeCell, userCell } from './context.js';

const NOT_READ = 'not read yet (contact methods and paging policies come with the contacts poll)';

/**
 * Whether a person's own paging policy can reach them, as the last contacts poll read it: the
 * rules that reach them (hints only), or why none does. The same judgement as the findings.
 */
export function reachableCell(contacts: PersonContacts | undefined): Cell {
  if (contacts === undefined) return text(NOT_READ);
  const rules = contacts.pagingPolicy.flatMap((step) =>
    step.rules.map((rule) => ({ rule, ...judgeRule(rule, contacts) })),
  );
  const reaching = rules.filter((r) => r.reaches);
  if (reaching.length === 0) {
    const why = rules.map((r) => r.reason).join('; ');
    return { text: `⚠ cannot be reached: their paging policy ${why === '' ? 'has no rules' : why}` };
  }
  if (reaching.every((r) => r.rule.type === 'email'))
    return { text: `⚠ email only: ${reaching.map((r) => r.reason).join('; ')}` };
  return text(`yes: ${reaching.map((r) => r.reason).join('; ')}`);
}

/** The open key findings by routing key. */
function keyFindings(ctx: PageContext): Map<string, Finding> {
  const byKey = new Map<string, Finding>();
  for (const kind of ['routing_key_unrouted', 'routing_key_unstaffed']) {
    for (const row of loadFindingsPage(ctx.store, { state: 'open', kind, limit: 10_000 })) {
      const f = JSON.parse(row.data) as Finding;
      if (f.kind === 'routing_key_unrouted' || f.kind === 'routing_key_unstaffed') byKey.set(f.routingKey, f);
    }
  }
  return byKey;
}

/** Who a policy pages now and next: direct users, then the on-call shifts of its rotations. */
function whoNowAndNext(
  ctx: PageContext,
  policy: Policy,
  shifts: readonly Shift[],
  names: Map<string, string>,
): { now: Cell; next: Cell; nowUsername: string | null } {
  const nowIso = ctx.now.toISOString();
  const direct = policy.steps.flatMap((s) =>
    s.entries.flatMap((e) => (e.kind === 'user' ? [e.username] : [])),
  );
  const mine = shifts
    .filter((s) => s.policySlug === policy.slug)
    .slice()
    .sort((a, b) => a.start.localeCompare(b.start));
  const current = mine.find((s) => s.start <= nowIso && s.end > nowIso);
  const next = mine.find((s) => s.start > nowIso && s.username !== current?.username);
  const person = (u: string) => userCell(ctx, u, names.get(u));
  const nowCell: Cell = current
    ? person(current.username)
    : direct[0] !== undefined
      ? { ...person(direct[0]), note: 'paged directly' }
      : text('nobody on call');
  const nextCell: Cell = next
    ? { ...person(next.username), note: `from ${timeCell(ctx, next.start).text}` }
    : text('');
  return { now: nowCell, next: nextCell, nowUsername: current?.username ?? direct[0] ?? null };
}

function gapCell(ctx: PageContext, key: RoutingKey, finding: Finding | undefined): Cell {
  const exemption = findExemption(ctx.reachExemptions ?? [], key.routingKey);
  if (exemption) return text(`exempt (REACH_EXEMPT ${exemption.pattern}): ${exemption.reason}`);
  if (finding === undefined) return text('none in the read schedule');
  return { text: `⚠ ${describeFinding(finding)}` };
}

export function buildReachabilityPage(ctx: PageContext): Page {
  const keys = loadCurrentRoutingKeys(ctx.store);
  const policies = new Map(loadCurrentPolicies(ctx.store).map((p) => [p.slug, p]));
  const findings = keyFindings(ctx);
  const shiftsByTeam = new Map<string, Shift[]>();
  const shiftsOf = (teamSlug: string) => {
    let shifts = shiftsByTeam.get(teamSlug);
    if (!shifts) {
      shifts = loadTeamShifts(ctx.store, teamSlug);
      shiftsByTeam.set(teamSlug, shifts);
    }
    return shifts;
  };
  const usernames: string[] = [];
  for (const p of policies.values()) {
    for (const s of shiftsOf(p.teamSlug)) if (s.policySlug === p.slug) usernames.push(s.username);
    for (const step of p.steps)
      for (const e of step.entries) if (e.kind === 'user') usernames.push(e.username);
  }
  const names = loadUserNames(ctx.store, usernames);
  const contacts = loadCurrentContacts(ctx.store);
  const reachable = (username: string | null): Cell =>
    username === null ? text('') : reachableCell(contacts.get(usernameKey(username)));
  const rows: Cell[][] = [];
  for (const key of keys ?? []) {
    const keyCell = { ...mono(key.routingKey), ...(key.isDefault ? { note: 'default key' } : {}) };
    const gap = gapCell(ctx, key, findings.get(key.routingKey));
    if (key.targets.length === 0) {
      rows.push([keyCell, text('no target: alerts to it reach nobody'), text(''), text(''), text(''), gap]);
      continue;
    }
    for (const target of key.targets) {
      const policy = policies.get(target.policySlug);
      if (!policy) {
        rows.push([
          keyCell,
          { ...text(target.policyName), note: 'policy no longer exists' },
          text(''),
          text(''),
          text(''),
          gap,
        ]);
        continue;
      }
      const who = whoNowAndNext(ctx, policy, shiftsOf(policy.teamSlug), names);
      rows.push([
        keyCell,
        policyCell(ctx, policy.slug, policy.name),
        who.now,
        who.next,
        reachable(who.nowUsername),
        gap,
      ]);
    }
  }
  return {
    title: 'Reachability',
    nav: 'reachability',
    heading: 'Reachability',
    subtitle:
      'Each routing key, the escalation policies it sends alerts to, and who they page now and next; gaps are the open routing-key findings.',
    blocks: [
      {
        kind: 'table',
        id: 'routing-keys',
        caption: `Routing keys (${keys?.length ?? 0})`,
        columns: ['Routing key', 'Target policy', 'On call now', 'Next', 'Reachable', 'Gaps'],
        rows,
        empty:
          keys === null
            ? 'Routing keys have not been read yet: run a policy poll (roster-watch policy-poll).'
            : 'VictorOps lists no routing key.',
      },
    ],
  };
}

/** The routing keys that send alerts to a policy, for its page. */
export function routingKeysOfPolicy(
  ctx: PageContext,
  slug: string,
): { keys: RoutingKey[] | null; rows: Cell[][] } {
  const keys = loadCurrentRoutingKeys(ctx.store);
  const targeting = (keys ?? []).filter((k) => k.targets.some((t) => t.policySlug === slug));
  const findings = keyFindings(ctx);
  return {
    keys,
    rows: targeting.map((k) => [
      { ...mono(k.routingKey), ...(k.isDefault ? { note: 'default key' } : {}) },
      text(k.targets.length === 1 ? 'only this policy' : `${k.targets.length} policies`),
      gapCell(ctx, k, findings.get(k.routingKey)),
    ]),
  };
}

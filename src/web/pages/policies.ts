/**
 * `/ui/policies` and `/ui/policies/{slug}`: escalation policies as recorded by the policy polls.
 * A policy's page: its steps and who each pages now and next (from the team's recorded on-call
 * schedule), the routing keys that send alerts to it, every recorded version, and the open
 * findings about it. Before any poll read the routing keys, the page says so instead of showing
 * an empty list as if none existed.
 */
import { PageError } from '../../errors.js';
import type { PolicyEntry } from '../../roster/policy-entries.js';
import { describeEntry } from '../../roster/policy-entries.js';
import type { Policy, PolicyStep, Shift } from '../../roster/policy-types.js';
import { loadCurrentPolicies, policyFromRow } from '../../store/policies.js';
import { loadPolicyVersions, loadTeamNames, loadTeamShifts, loadUserNames } from '../../store/ui-entities.js';
import { loadOpenFindingsAbout } from '../../store/ui-findings.js';
import { type Cell, mono, type Page, text } from '../model.js';
import { hrefWith, type PageContext, policyCell, runHref, teamCell, timeCell, userCell } from './context.js';
import { FINDING_COLUMNS, findingRow } from './findings.js';
import { routingKeysOfPolicy } from './reachability.js';

export function buildPoliciesPage(ctx: PageContext): Page {
  const policies = loadCurrentPolicies(ctx.store);
  const teams = loadTeamNames(
    ctx.store,
    policies.map((p) => p.teamSlug),
  );
  return {
    title: 'Escalation policies',
    nav: 'policies',
    heading: 'Escalation policies',
    subtitle: 'Every policy the last policy poll recorded, by team.',
    blocks: [
      {
        kind: 'table',
        id: 'policies',
        caption: `Policies (${policies.length})`,
        columns: ['Policy', 'Team', 'Steps'],
        rows: policies
          .slice()
          .sort((a, b) => a.teamSlug.localeCompare(b.teamSlug) || a.name.localeCompare(b.name))
          .map((p) => [
            policyCell(ctx, p.slug, p.name),
            teamCell(ctx, p.teamSlug, teams.get(p.teamSlug)),
            text(p.steps.length),
          ]),
        empty: 'No policy recorded yet: run a policy poll.',
      },
    ],
  };
}

/** Who a rotation entry pages at `now` and next: the shift covering now, then the next other person. */
function onCall(
  shifts: readonly Shift[],
  nowIso: string,
): { now: Shift | undefined; next: Shift | undefined } {
  const sorted = shifts.slice().sort((a, b) => a.start.localeCompare(b.start));
  const now = sorted.find((s) => s.start <= nowIso && s.end > nowIso);
  const next = sorted.find((s) => s.start > nowIso && s.username !== now?.username);
  return { now, next };
}

function stepRows(
  ctx: PageContext,
  policy: Policy,
  shifts: readonly Shift[],
  names: Map<string, string>,
): Cell[][] {
  const nowIso = ctx.now.toISOString();
  const person = (username: string) => userCell(ctx, username, names.get(username));
  const rows: Cell[][] = [];
  let after = 0;
  for (const step of policy.steps) {
    for (const entry of step.entries.length === 0 ? [null] : step.entries) {
      rows.push([
        text(`Step ${step.index}`),
        text(step.index === 1 ? 'at once' : `after ${after} min`),
        ...entryCells(ctx, policy, entry, shifts, nowIso, person),
      ]);
    }
    after += step.timeout;
  }
  return rows;
}

function entryCells(
  ctx: PageContext,
  policy: Policy,
  entry: PolicyEntry | null,
  shifts: readonly Shift[],
  nowIso: string,
  person: (username: string) => Cell,
): Cell[] {
  if (entry === null) return [text('nobody (an empty step)'), text(''), text('')];
  switch (entry.kind) {
    case 'user':
      return [person(entry.username), person(entry.username), text('the same person')];
    case 'policy':
      return [policyCell(ctx, entry.policySlug), text('whoever that policy pages'), text('')];
    case 'rotation': {
      const mine = shifts.filter(
        (s) => s.policySlug === policy.slug && s.rotationName === entry.rotationLabel,
      );
      const { now, next } = onCall(mine, nowIso);
      const which = entry.executionType === 'rotation_group' ? '' : ` (${entry.executionType.slice(15)})`;
      return [
        text(`rotation ${entry.rotationLabel}${which}`),
        now === undefined
          ? text('nobody in the recorded schedule')
          : now.overrideFor === undefined
            ? person(now.username)
            : { ...person(now.username), note: `override for ${now.overrideFor}` },
        next === undefined
          ? text('')
          : { ...person(next.username), note: `from ${timeCell(ctx, next.start).text}` },
      ];
    }
    default:
      return [text(describeEntry(entry)), text(''), text('')];
  }
}

export function buildPolicyPage(ctx: PageContext, slug: string): Page {
  const versions = loadPolicyVersions(ctx.store, slug);
  const latest = versions[versions.length - 1];
  if (latest === undefined) throw new PageError(404, `No escalation policy "${slug}" was ever recorded.`);
  const policy = policyFromRow(latest);
  const current = latest.validTo === null;
  const teamName = loadTeamNames(ctx.store, [policy.teamSlug]).get(policy.teamSlug);
  const shifts = loadTeamShifts(ctx.store, policy.teamSlug);
  const usernames = [
    ...policy.steps.flatMap((s) => s.entries.flatMap((e) => (e.kind === 'user' ? [e.username] : []))),
    ...shifts.filter((s) => s.policySlug === slug).map((s) => s.username),
  ];
  const names = loadUserNames(ctx.store, usernames);
  const keys = routingKeysOfPolicy(ctx, slug);
  const summary = (steps: readonly PolicyStep[]) =>
    steps.map((s) => `${s.index}: ${s.entries.map(describeEntry).join(', ') || 'nobody'}`).join(' · ');
  return {
    title: `Policy ${policy.name}`,
    nav: 'policies',
    heading: policy.name,
    subtitle: `${current ? 'Escalation policy' : `Removed at ${latest.validTo}; last recorded policy`} of team ${teamName ?? policy.teamSlug} (slug ${policy.slug}).`,
    blocks: [
      {
        kind: 'facts',
        caption: current ? 'Current state' : 'Last recorded state',
        items: [
          { label: 'Team', value: teamCell(ctx, policy.teamSlug, teamName) },
          { label: 'Slug', value: mono(policy.slug) },
          { label: 'Recorded since', value: timeCell(ctx, latest.validFrom) },
        ],
      },
      {
        kind: 'table',
        id: 'steps',
        caption: 'Steps: who each pages now and next',
        columns: ['Step', 'When', 'Pages', 'On call now', 'Next'],
        rows: stepRows(ctx, policy, shifts, names),
        empty: 'This policy has no steps: it pages nobody.',
      },
      {
        kind: 'table',
        id: 'routing-keys',
        caption: 'Routing keys that send alerts to this policy',
        columns: ['Routing key', 'Targets', 'Gaps'],
        rows: keys.rows,
        empty:
          keys.keys === null
            ? 'Routing keys have not been read yet: run a policy poll (roster-watch policy-poll).'
            : 'No routing key targets this policy: alerts reach it only through other policies that route to it.',
      },
      {
        kind: 'table',
        id: 'findings',
        caption: 'Open findings',
        columns: FINDING_COLUMNS,
        rows: loadOpenFindingsAbout(ctx.store, { policySlug: slug }).map((f) => findingRow(ctx, f)),
        empty: 'No open finding names this policy.',
      },
      {
        kind: 'table',
        id: 'versions',
        caption: 'History of changes (every recorded version, newest first)',
        columns: ['From', 'Until', 'Name', 'Steps', 'Run'],
        rows: versions
          .slice()
          .reverse()
          .map((v) => [
            timeCell(ctx, v.validFrom),
            timeCell(ctx, v.validTo, { empty: 'now' }),
            text(v.name),
            text(summary(policyFromRow(v).steps)),
            mono(`#${v.fromRunId}`, runHref(ctx, v.fromRunId)),
          ]),
        empty: '',
      },
      {
        kind: 'text',
        lines: [
          {
            text: 'Every event about this policy',
            href: hrefWith(`${ctx.base}/timeline`, { type: 'victorops.policy.*' }),
          },
        ],
      },
    ],
  };
}

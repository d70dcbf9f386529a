/** `/ui/users/{username}` and `/ui/teams/{slug}`: current state, full history, policies, shifts, findings. */
import { PageError } from '../../errors.js';
import { describeExemption } from '../../roster/identity-events.js';
import { findExemption } from '../../roster/identity-match.js';
import { policiesReferencing } from '../../roster/policies.js';
import { entryLabel } from '../../roster/policy-entries.js';
import { loadCurrentPolicies, loadTeamSchedules } from '../../store/policies.js';
import {
  loadTeamMemberships,
  loadTeamNames,
  loadTeamVersions,
  loadUserMemberships,
  loadUserNames,
  loadUserVersions,
  type MembershipInterval,
} from '../../store/ui-entities.js';
import { loadOpenFindingsAbout } from '../../store/ui-findings.js';
import { loadTimeline } from '../../store/ui-timeline.js';
import { type Block, mono, type Page, type TableBlock, text } from '../model.js';
import { hrefWith, type PageContext, policyCell, runHref, teamCell, timeCell, userCell } from './context.js';
import { EVENT_COLUMNS, eventRow } from './events.js';
import { FINDING_COLUMNS, findingRow } from './findings.js';
import { reachabilityBlocks } from './reachability-blocks.js';

const RECENT_EVENTS = 25;
const TEAM_MEMBERSHIP_ROWS = 2_000;
const SHIFT_COLUMNS = ['Team', 'Policy', 'Rotation', 'Shift', 'User', 'Start', 'End'];

function blocksAbout(ctx: PageContext, about: { username?: string; teamSlug?: string }): Block[] {
  const events = loadTimeline(ctx.store, {
    user: about.username,
    team: about.username === undefined ? about.teamSlug : undefined,
    limit: RECENT_EVENTS,
  });
  const filter = about.username !== undefined ? { user: about.username } : { team: about.teamSlug };
  return [
    {
      kind: 'table',
      id: 'findings',
      caption: 'Open findings',
      columns: FINDING_COLUMNS,
      rows: loadOpenFindingsAbout(ctx.store, about).map((f) => findingRow(ctx, f)),
      empty: 'No open finding names them.',
    },
    {
      kind: 'table',
      id: 'events',
      caption: `Latest ${RECENT_EVENTS} events`,
      columns: EVENT_COLUMNS,
      rows: events.map((e) => eventRow(ctx, e)),
      empty: 'No event recorded.',
      nextHref: hrefWith(`${ctx.base}/timeline`, filter),
    },
  ];
}

function membershipTable(
  ctx: PageContext,
  id: string,
  caption: string,
  rows: MembershipInterval[],
  by: 'user' | 'team',
): TableBlock {
  const names =
    by === 'team'
      ? loadTeamNames(
          ctx.store,
          rows.map((m) => m.teamSlug),
        )
      : loadUserNames(
          ctx.store,
          rows.map((m) => m.username),
        );
  return {
    kind: 'table',
    id,
    caption,
    columns: [by === 'team' ? 'Team' : 'User', 'From', 'Until'],
    rows: rows.map((m) => [
      by === 'team'
        ? teamCell(ctx, m.teamSlug, names.get(m.teamSlug))
        : userCell(ctx, m.username, names.get(m.username)),
      timeCell(ctx, m.validFrom),
      timeCell(ctx, m.validTo, { empty: 'now' }),
    ]),
    empty: 'No membership recorded.',
  };
}

export function buildUserPage(ctx: PageContext, username: string): Page {
  const versions = loadUserVersions(ctx.store, username);
  const latest = versions[versions.length - 1];
  if (latest === undefined) throw new PageError(404, `No user "${username}" was ever recorded.`);
  const memberships = loadUserMemberships(ctx.store, username);
  const teamNames = loadTeamNames(
    ctx.store,
    memberships.map((m) => m.teamSlug),
  );
  const policies = policiesReferencing(loadCurrentPolicies(ctx.store), latest.username);
  const key = latest.username.toLowerCase();
  const nowIso = ctx.now.toISOString();
  const shifts = loadTeamSchedules(ctx.store).flatMap((s) =>
    s.shifts
      .filter((sh) => sh.username.toLowerCase() === key && sh.end > nowIso)
      .map((sh) => ({ team: s.team, ...sh })),
  );
  const current = latest.validTo === null;
  const name = [latest.firstName, latest.lastName].filter((p) => p !== null && p !== '').join(' ');
  const exemption = findExemption(ctx.exemptions ?? [], latest.username);
  return {
    title: `User ${latest.username}`,
    nav: 'none',
    heading: name === '' ? latest.username : `${name} (${latest.username})`,
    subtitle: current ? 'In the org now.' : `Removed at ${latest.validTo}.`,
    blocks: [
      {
        kind: 'facts',
        caption: current ? 'Current state' : 'Last recorded state',
        items: [
          { label: 'Username', value: mono(latest.username) },
          { label: 'Name', value: text(name) },
          { label: 'Display name', value: text(latest.displayName ?? '') },
          { label: 'Email', value: text(latest.email ?? '') },
          {
            label: 'Verified',
            value: text(latest.verified === null ? 'unknown' : latest.verified === 1 ? 'yes' : 'no'),
          },
          { label: 'Created in VictorOps', value: timeCell(ctx, latest.createdAt) },
          {
            label: 'Teams now',
            value: text(
              memberships
                .filter((m) => m.validTo === null)
                .map((m) => teamNames.get(m.teamSlug) ?? m.teamSlug)
                .join(', ') || 'none',
            ),
          },
          ...(exemption ? [{ label: 'Identity check', value: text(describeExemption(exemption)) }] : []),
        ],
      },
      {
        kind: 'table',
        id: 'versions',
        caption: 'Field history (every recorded version)',
        columns: [
          'From',
          'Until',
          'First name',
          'Last name',
          'Display name',
          'Email',
          'Verified',
          'Password last updated',
          'Run',
        ],
        rows: versions.map((v) => [
          timeCell(ctx, v.validFrom),
          timeCell(ctx, v.validTo, { empty: 'now' }),
          text(v.firstName ?? ''),
          text(v.lastName ?? ''),
          text(v.displayName ?? ''),
          text(v.email ?? ''),
          text(v.verified === null ? '' : v.verified === 1 ? 'yes' : 'no'),
          timeCell(ctx, v.passwordLastUpdated),
          mono(`#${v.fromRunId}`, runHref(ctx, v.fromRunId)),
        ]),
        empty: '',
      },
      membershipTable(ctx, 'memberships', 'Membership history', memberships, 'team'),
      {
        kind: 'table',
        id: 'policies',
        caption: 'Escalation policies that page them directly',
        columns: ['Policy', 'Team', 'Steps'],
        rows: policies.map((p) => [
          policyCell(ctx, p.slug, p.name),
          teamCell(ctx, p.teamSlug),
          text(p.steps.join(', ')),
        ]),
        empty: 'No recorded policy pages them directly.',
      },
      {
        kind: 'table',
        id: 'shifts',
        caption: 'Upcoming on-call shifts',
        columns: SHIFT_COLUMNS,
        rows: shifts.map((s) => [
          teamCell(ctx, s.team.slug, s.team.name),
          policyCell(ctx, s.policySlug, s.policyName),
          text(s.rotationName),
          text(s.shiftName),
          userCell(ctx, s.username),
          timeCell(ctx, s.start, { relative: true }),
          timeCell(ctx, s.end),
        ]),
        empty: 'No upcoming shift in the recorded schedules.',
      },
      ...reachabilityBlocks(ctx, latest.username),
      ...blocksAbout(ctx, { username: latest.username }),
    ],
  };
}

export function buildTeamPage(ctx: PageContext, slug: string): Page {
  const versions = loadTeamVersions(ctx.store, slug);
  const latest = versions[versions.length - 1];
  if (latest === undefined) throw new PageError(404, `No team "${slug}" was ever recorded.`);
  const memberships = loadTeamMemberships(ctx.store, slug, TEAM_MEMBERSHIP_ROWS);
  const members = memberships
    .filter((m) => m.validTo === null)
    .sort((a, b) => a.username.localeCompare(b.username));
  const policies = loadCurrentPolicies(ctx.store).filter((p) => p.teamSlug === slug);
  const nowIso = ctx.now.toISOString();
  const schedule = loadTeamSchedules(ctx.store).find((s) => s.team.slug === slug);
  const shifts = (schedule?.shifts ?? []).filter((s) => s.end > nowIso);
  const current = latest.validTo === null;
  return {
    title: `Team ${latest.name}`,
    nav: 'none',
    heading: `${latest.name} (${latest.slug})`,
    subtitle: current ? `In the org now, ${members.length} members.` : `Removed at ${latest.validTo}.`,
    blocks: [
      {
        kind: 'table',
        id: 'versions',
        caption: 'Name history',
        columns: ['From', 'Until', 'Name', 'Run'],
        rows: versions.map((v) => [
          timeCell(ctx, v.validFrom),
          timeCell(ctx, v.validTo, { empty: 'now' }),
          text(v.name),
          mono(`#${v.fromRunId}`, runHref(ctx, v.fromRunId)),
        ]),
        empty: '',
      },
      membershipTable(ctx, 'members', 'Current members', members, 'user'),
      membershipTable(ctx, 'memberships', 'Membership history (newest first)', memberships, 'user'),
      {
        kind: 'table',
        id: 'policies',
        caption: 'Escalation policies',
        columns: ['Policy', 'Steps (who each pages)'],
        rows: policies.map((p) => [
          policyCell(ctx, p.slug, p.name),
          text(
            p.steps.map((s) => `${s.index}: ${s.entries.map(entryLabel).join(', ') || 'nobody'}`).join(' · '),
          ),
        ]),
        empty: 'No recorded policy belongs to this team.',
      },
      {
        kind: 'table',
        id: 'shifts',
        caption: 'Upcoming on-call shifts',
        columns: SHIFT_COLUMNS,
        rows: shifts.map((s) => [
          teamCell(ctx, slug, latest.name),
          policyCell(ctx, s.policySlug, s.policyName),
          text(s.rotationName),
          text(s.shiftName),
          userCell(ctx, s.username),
          timeCell(ctx, s.start, { relative: true }),
          timeCell(ctx, s.end),
        ]),
        empty: 'No upcoming shift in the recorded schedule.',
      },
      ...blocksAbout(ctx, { teamSlug: slug }),
    ],
  };
}

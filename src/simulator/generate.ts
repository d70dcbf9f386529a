/**
 * A deterministic, realistic org: the same options always give the same snapshot, so a
 * benchmark or a failing test can be replayed exactly.
 */
import { generatePolicies } from './generate-policies.js';
import { FIRST_NAMES, LAST_NAMES, type PersonName, TEAM_AREAS, TEAM_KINDS } from './names.js';
import {
  formatTimestamp,
  type SimMembership,
  type SimOrgSnapshot,
  type SimTeam,
  type SimUser,
} from './org.js';
import type { SimPolicy } from './policies.js';
import { createRandom, type Random } from './random.js';
import type { SimRoutingKey } from './routing-keys.js';

export interface GenerateOrgOptions {
  users: number;
  teams: number;
  seed: number;
  /** Where the generated on-call schedule starts (default: the current time). */
  now?: () => Date;
  /** Pending invitations (`invited_…` users, unverified, in no team) added after the users (default 0). */
  invitees?: number;
  /**
   * Routing keys (the demo's): the default `.+` and one key per policy routed to it, plus
   * `legacy-billing` with no targets. Default false: such an org has no routing keys.
   */
  routingKeys?: boolean;
}

const EPOCH_2015 = Date.UTC(2015, 0, 1);
const EPOCH_2025 = Date.UTC(2025, 0, 1);

/** Memberships per user: 0–6, mean ≈ 3, so 20,000 users ≈ 60,000 memberships. */
const TEAMS_PER_USER_WEIGHTS = [0.04, 0.12, 0.2, 0.28, 0.2, 0.1, 0.06] as const;

function pickTeamsPerUser(random: Random): number {
  let r = random.next();
  for (let count = 0; count < TEAMS_PER_USER_WEIGHTS.length; count += 1) {
    r -= TEAMS_PER_USER_WEIGHTS[count] ?? 0;
    if (r < 0) return count;
  }
  return 3;
}

/** The username styles seen in real orgs, including the punctuation clients must not mangle. */
function usernameCandidate(random: Random, first: PersonName, last: PersonName): string {
  const f = first.ascii.replace(/[^a-z0-9]/g, '') || 'user';
  const l = last.ascii.replace(/[^a-z0-9]/g, '') || 'x';
  const style = random.int(0, 11);
  switch (style) {
    case 0:
    case 1:
      return `${f}.${l}`;
    case 2:
      return `${f[0]}${l}`;
    case 3:
      return `${f[0]}_${l}`;
    case 4:
      return `${f}-${l}`;
    case 5:
      return `${f}+${random.pick(['oncall', 'ops', 'pager', 'sre'])}`;
    case 6:
      return f.includes('a') ? f.replace('a', '@') : `${f}@${l}`;
    case 7:
      // Mixed case: VictorOps keeps the spelling but compares case-insensitively.
      return `${f[0]?.toUpperCase()}${f.slice(1)}.${l[0]?.toUpperCase()}${l.slice(1)}`;
    case 8:
      return `${f}_${l}${random.int(1, 99)}`;
    case 9:
      // Pending invitees show up with an invited_ prefix.
      return random.chance(0.1) ? `invited_${f}${l}` : `${f}${l}`;
    default:
      return `${f}${l[0]}`;
  }
}

/** What name generation needs to know about names already in use (a Set, or a view of the org). */
export interface NameRegistry {
  has(lowerCasedName: string): boolean;
  add(lowerCasedName: string): unknown;
}

function uniqueName(taken: NameRegistry, candidate: string, separator = ''): string {
  let name = candidate;
  for (let n = 2; taken.has(name.toLowerCase()); n += 1) name = `${candidate}${separator}${n}`;
  taken.add(name.toLowerCase());
  return name;
}

export function generateUser(random: Random, takenUsernames: NameRegistry, createdAtMs?: number): SimUser {
  const first = random.pick(FIRST_NAMES);
  const last = random.pick(LAST_NAMES);
  const username = uniqueName(takenUsernames, usernameCandidate(random, first, last));
  const created = createdAtMs ?? random.int(EPOCH_2015, EPOCH_2025);
  const passwordUpdated = Math.min(EPOCH_2025, created + random.int(0, 3 * 365) * 86_400_000);
  // Plus-addressing is kept (it is common in real orgs); an @ cannot appear in the local part.
  const emailLocal = username.toLowerCase().replace(/@/g, 'a');
  return {
    username,
    firstName: first.display,
    lastName: last.display,
    email: random.chance(0.03) ? null : `${emailLocal}@example.com`,
    createdAt: formatTimestamp(new Date(created)),
    passwordLastUpdated: formatTimestamp(new Date(passwordUpdated)),
    // Drawn for every user so each seed's stream stays as it was; an invitee has not verified yet.
    verified: random.chance(0.9) && !username.toLowerCase().startsWith('invited_'),
  };
}

export function generateTeamName(random: Random, takenNames: NameRegistry): string {
  return uniqueName(takenNames, `${random.pick(TEAM_AREAS)} ${random.pick(TEAM_KINDS)}`, ' ');
}

export function generateOrg(options: GenerateOrgOptions): SimOrgSnapshot {
  const random = createRandom(options.seed);
  const takenUsernames = new Set<string>();
  const users: SimUser[] = [];
  for (let i = 0; i < options.users; i += 1) users.push(generateUser(random, takenUsernames));

  const takenNames = new Set<string>();
  const takenSlugs = new Set<string>();
  const teams: SimTeam[] = [];
  for (let i = 0; i < options.teams; i += 1) {
    const slug = uniqueName(takenSlugs, `team-${random.alphanumeric(16)}`);
    teams.push({ slug, name: generateTeamName(random, takenNames), version: 1, isDefaultTeam: false });
  }

  // The last team stays empty (a real org always has one) once there are enough teams.
  const eligible = options.teams >= 3 ? options.teams - 1 : options.teams;
  const memberships: SimMembership[] = [];
  users.forEach((user, index) => {
    // The last user belongs to no team, so clients always meet a team-less user.
    const wanted = index === users.length - 1 && users.length > 1 ? 0 : pickTeamsPerUser(random);
    const count = Math.min(wanted, eligible);
    const chosen = new Set<number>();
    while (chosen.size < count) {
      // Skewed towards low indexes so team sizes vary the way real ones do.
      chosen.add(Math.floor(random.next() ** 1.6 * eligible));
    }
    for (const teamIndex of chosen) {
      const team = teams[teamIndex];
      if (team) memberships.push({ username: user.username, teamSlug: team.slug });
    }
  });
  // A separate stream, so adding policies left the users, teams and memberships of every seed as they were.
  const policyRandom = createRandom(options.seed ^ 0x5c4ed);
  const { policies, shifts } = generatePolicies(
    policyRandom,
    teams,
    memberships,
    (options.now ?? (() => new Date()))(),
  );
  // A stream of their own, so asking for invitees leaves everything else of a seed as it was.
  const inviteRandom = createRandom(options.seed ^ 0x1a71e);
  for (let i = 0; i < (options.invitees ?? 0); i += 1)
    users.push(generateInvitee(inviteRandom, takenUsernames));
  return {
    users,
    teams,
    memberships,
    policies,
    shifts,
    ...(options.routingKeys === true ? { routingKeys: demoRoutingKeys(policies, teams) } : {}),
  };
}

/** Derived from the policies without drawing from any random stream, so every seed stays as it was. */
function demoRoutingKeys(policies: readonly SimPolicy[], teams: readonly SimTeam[]): SimRoutingKey[] {
  const names = new Map(teams.map((t) => [t.slug, t.name]));
  const keys: SimRoutingKey[] = [];
  const first = policies[0];
  keys.push({ routingKey: '.+', targets: first ? [first.slug] : [], isDefault: true });
  const taken = new Set<string>();
  for (const p of policies) {
    const base = (names.get(p.teamSlug) ?? p.name)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    let name = base;
    for (let n = 2; taken.has(name); n += 1) name = `${base}-${n}`;
    taken.add(name);
    keys.push({ routingKey: name, targets: [p.slug], isDefault: false });
  }
  keys.push({ routingKey: 'legacy-billing', targets: [], isDefault: false });
  return keys;
}

/**
 * A pending invitation as VictorOps lists it: `invited_` then something undocumented (here the
 * person's name and a short random tag), with the email they were invited at, not yet verified.
 */
function generateInvitee(random: Random, takenUsernames: NameRegistry): SimUser {
  const person = generateUser(random, takenUsernames);
  const tag = random.alphanumeric(4).toLowerCase();
  const username = uniqueName(
    takenUsernames,
    `invited_${person.username.toLowerCase().replace(/[^a-z0-9.]/g, '')}_${tag}`,
  );
  const invitedAt = formatTimestamp(new Date(EPOCH_2025 - random.int(1, 47) * 3_600_000));
  return {
    ...person,
    username,
    email: person.email ?? `${person.username.toLowerCase().replace(/@/g, 'a')}@example.com`,
    createdAt: invitedAt,
    passwordLastUpdated: invitedAt,
    verified: false,
  };
}

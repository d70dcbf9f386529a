/**
 * The simulated org: users, teams, memberships, escalation policies and on-call shifts held
 * in memory, with the mutations an admin can make. Records are replaced, never edited in place, so a reader holding an old
 * record (e.g. a cached response) never sees it change underneath it.
 */
import { SimOrgError } from '../errors.js';
import {
  copyPolicy,
  createPolicyBook,
  type NewSimPolicy,
  type SimOverride,
  type SimPolicy,
  type SimPolicyUpdate,
  type SimShift,
} from './policies.js';
import { createRandom } from './random.js';
import { createRoutingKeyBook, type SimRoutingKey } from './routing-keys.js';

export interface SimUser {
  /** Original spelling; lookups are case-insensitive, as in VictorOps. */
  username: string;
  firstName: string;
  lastName: string;
  /** null = the API omits the field (it does for some real users). */
  email: string | null;
  createdAt: string;
  passwordLastUpdated: string;
  verified: boolean;
}

export interface SimTeam {
  slug: string;
  name: string;
  version: number;
  isDefaultTeam: boolean;
}

export interface SimMembership {
  username: string;
  teamSlug: string;
}

export interface SimOrgSnapshot {
  users: SimUser[];
  teams: SimTeam[];
  memberships: SimMembership[];
  policies: SimPolicy[];
  shifts: SimShift[];
  /** Absent in orgs built before routing keys: such an org has none. */
  routingKeys?: SimRoutingKey[];
}

/** What an org starts from: a snapshot, where an org without policies may leave them out. */
export type SimOrgInput = Omit<SimOrgSnapshot, 'policies' | 'shifts'> &
  Partial<Pick<SimOrgSnapshot, 'policies' | 'shifts'>>;

export interface NewSimUser {
  username: string;
  firstName: string;
  lastName: string;
  email?: string | null;
  createdAt?: string;
  passwordLastUpdated?: string;
  verified?: boolean;
}

/** A full replacement of the editable fields: an omitted email is removed. */
export interface SimUserUpdate {
  firstName: string;
  lastName: string;
  email?: string | null | undefined;
}

export interface SimOrgCounts {
  users: number;
  teams: number;
  memberships: number;
}

export interface SimOrg {
  /** Bumped by every mutation; the server caches serialised lists per revision. */
  readonly revision: number;
  counts(): SimOrgCounts;
  listUsers(): readonly SimUser[];
  getUser(username: string): SimUser | undefined;
  /** The per-user `version` the members endpoint reports; bumped on every update. */
  userVersion(username: string): number;
  listTeams(): readonly SimTeam[];
  getTeam(slug: string): SimTeam | undefined;
  memberCount(slug: string): number;
  /** The `memberCount` the team lists show: the live count, unless frozen (setListedCountsFrozen). */
  listedMemberCount(slug: string): number;
  teamsOfUser(username: string): SimTeam[];
  membersOfTeam(slug: string): SimUser[];
  addUser(input: NewSimUser): SimUser;
  updateUser(username: string, fields: SimUserUpdate): SimUser;
  removeUser(username: string, options?: { replacement?: string }): void;
  addTeam(input: { name: string; slug?: string }): SimTeam;
  renameTeam(slug: string, name: string): SimTeam;
  removeTeam(slug: string): void;
  /** Returns false when the user already was a member (VictorOps treats that as a no-op). */
  addMember(slug: string, username: string): boolean;
  removeMember(slug: string, username: string): void;
  listPolicies(): readonly SimPolicy[];
  getPolicy(slug: string): SimPolicy | undefined;
  /** The slug defaults to 'pol-' + 16 alphanumerics; the team must exist. */
  addPolicy(input: NewSimPolicy): SimPolicy;
  updatePolicy(slug: string, input: SimPolicyUpdate): SimPolicy;
  /** Also removes the policy's shifts. */
  removePolicy(slug: string): void;
  /** All shifts, or one team's. */
  listShifts(teamSlug?: string): readonly SimShift[];
  /** Replaces the team's shifts; each must belong to one of the team's policies. */
  setShifts(teamSlug: string, shifts: readonly Omit<SimShift, 'teamSlug'>[]): void;
  listOverrides(teamSlug: string): readonly SimOverride[];
  /** Replaces the team's overrides; each must belong to one of the team's policies. */
  setOverrides(teamSlug: string, overrides: readonly SimOverride[]): void;
  listRoutingKeys(): readonly SimRoutingKey[];
  /** Creates or replaces a routing key; its targets must be policies of the org. */
  setRoutingKey(key: SimRoutingKey): SimRoutingKey;
  removeRoutingKey(routingKey: string): void;
  snapshot(): SimOrgSnapshot;
  /**
   * What moves a team's `version`. By default only edits of the team record (a rename), as the
   * public captures of the real API show (populated teams at `version: 0`; a rename 0 → 1; see
   * test/fixtures/victorops/README.md). With true, every membership change bumps it too: the
   * behaviour the hints were first designed for, kept to test that clients cope with both.
   */
  setTeamVersionBumps(enabled: boolean): void;
  /**
   * Fault switch: with true, the team lists keep showing each team's `memberCount` as it is now,
   * whatever membership changes follow, so the list contradicts the members endpoint.
   */
  setListedCountsFrozen(frozen: boolean): void;
  readonly teamVersionBumps: boolean;
}

export interface SimOrgDeps {
  /** Timestamps for users created without one. */
  now?: () => Date;
  /** Seeds the slugs of teams and policies created without one. */
  seed?: number;
}

const keyOf = (username: string): string => username.toLowerCase();

/** ISO-8601 with a Z and no milliseconds, the way VictorOps writes timestamps. */
export function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function createSimOrg(initial: SimOrgInput, deps: SimOrgDeps = {}): SimOrg {
  const now = deps.now ?? (() => new Date());
  const slugRandom = createRandom((deps.seed ?? 1) ^ 0x51a6);
  const users = new Map<string, SimUser>();
  const userVersions = new Map<string, number>();
  const teams = new Map<string, SimTeam>();
  const membersByTeam = new Map<string, Set<string>>();
  const teamsByUser = new Map<string, Set<string>>();
  let membershipCount = 0;
  let revision = 0;
  let versionBumps = false;
  let frozenCounts: Map<string, number> | null = null;

  const requireUser = (username: string): SimUser => {
    const user = users.get(keyOf(username));
    if (!user) throw new SimOrgError('user-not-found', `User ${username} was not found`);
    return user;
  };
  const requireTeam = (slug: string): SimTeam => {
    const team = teams.get(slug);
    if (!team) throw new SimOrgError('team-not-found', `Team ${slug} was not found`);
    return team;
  };
  /** A membership change: moves `version` only with the switch on. */
  const bumpTeam = (team: SimTeam): SimTeam => {
    if (!versionBumps) return team;
    const next = { ...team, version: team.version + 1 };
    teams.set(team.slug, next);
    return next;
  };
  /** An edit of the team record itself (a rename) always moves `version`. */
  const editTeam = (team: SimTeam, changes: Partial<SimTeam>): SimTeam => {
    const next = { ...team, ...changes, version: team.version + 1 };
    teams.set(team.slug, next);
    return next;
  };

  const insertUser = (user: SimUser): void => {
    const key = keyOf(user.username);
    if (users.has(key)) throw new SimOrgError('username-taken', `User name ${user.username} is unavailable`);
    users.set(key, user);
    userVersions.set(key, 1);
    teamsByUser.set(key, new Set());
  };
  const insertTeam = (team: SimTeam): void => {
    if (teams.has(team.slug)) throw new SimOrgError('slug-taken', `Team slug ${team.slug} is taken`);
    teams.set(team.slug, team);
    membersByTeam.set(team.slug, new Set());
  };
  const link = (slug: string, key: string): boolean => {
    const members = membersByTeam.get(slug);
    const userTeams = teamsByUser.get(key);
    if (!members || !userTeams || members.has(key)) return false;
    members.add(key);
    userTeams.add(slug);
    membershipCount += 1;
    return true;
  };
  const unlink = (slug: string, key: string): boolean => {
    const removed = membersByTeam.get(slug)?.delete(key) ?? false;
    teamsByUser.get(key)?.delete(slug);
    if (removed) membershipCount -= 1;
    return removed;
  };

  for (const user of initial.users) insertUser({ ...user });
  for (const team of initial.teams) insertTeam({ ...team });
  for (const { username, teamSlug } of initial.memberships) {
    requireUser(username);
    requireTeam(teamSlug);
    link(teamSlug, keyOf(username));
  }
  // A separate stream, so creating policies never changes the slugs later teams get.
  const policies = createPolicyBook({ requireTeam, random: createRandom((deps.seed ?? 1) ^ 0x9011c7) });
  for (const policy of initial.policies ?? []) policies.add(policy);
  const initialShifts = new Map<string, SimShift[]>();
  for (const shift of initial.shifts ?? []) {
    const teamShifts = initialShifts.get(shift.teamSlug) ?? [];
    teamShifts.push(shift);
    initialShifts.set(shift.teamSlug, teamShifts);
  }
  for (const [teamSlug, shifts] of initialShifts) policies.setShifts(teamSlug, shifts);
  const routingKeys = createRoutingKeyBook({
    hasPolicy: (slug) => policies.get(slug) !== undefined,
    ...(initial.routingKeys === undefined ? {} : { initial: initial.routingKeys }),
  });

  const newSlug = (): string => {
    for (;;) {
      const slug = `team-${slugRandom.alphanumeric(16)}`;
      if (!teams.has(slug)) return slug;
    }
  };

  return {
    get revision() {
      return revision;
    },
    get teamVersionBumps() {
      return versionBumps;
    },
    setTeamVersionBumps(enabled) {
      versionBumps = enabled;
      revision += 1;
    },
    setListedCountsFrozen(frozen) {
      frozenCounts = frozen
        ? new Map([...membersByTeam].map(([slug, members]) => [slug, members.size]))
        : null;
      revision += 1;
    },
    counts: () => ({ users: users.size, teams: teams.size, memberships: membershipCount }),
    listUsers: () => [...users.values()],
    getUser: (username) => users.get(keyOf(username)),
    userVersion: (username) => userVersions.get(keyOf(username)) ?? 0,
    listTeams: () => [...teams.values()],
    getTeam: (slug) => teams.get(slug),
    memberCount: (slug) => membersByTeam.get(slug)?.size ?? 0,
    listedMemberCount: (slug) => frozenCounts?.get(slug) ?? membersByTeam.get(slug)?.size ?? 0,
    teamsOfUser(username) {
      requireUser(username);
      const slugs = teamsByUser.get(keyOf(username)) ?? new Set<string>();
      return [...slugs].map((slug) => requireTeam(slug));
    },
    membersOfTeam(slug) {
      requireTeam(slug);
      const keys = membersByTeam.get(slug) ?? new Set<string>();
      return [...keys].map((key) => requireUser(key));
    },
    addUser(input) {
      const stamp = formatTimestamp(now());
      const user: SimUser = {
        username: input.username,
        firstName: input.firstName,
        lastName: input.lastName,
        email: input.email ?? null,
        createdAt: input.createdAt ?? stamp,
        passwordLastUpdated: input.passwordLastUpdated ?? input.createdAt ?? stamp,
        verified: input.verified ?? false,
      };
      insertUser(user);
      revision += 1;
      return user;
    },
    updateUser(username, fields) {
      const current = requireUser(username);
      const key = keyOf(username);
      const next: SimUser = {
        ...current,
        firstName: fields.firstName,
        lastName: fields.lastName,
        email: fields.email ?? null,
      };
      users.set(key, next);
      userVersions.set(key, (userVersions.get(key) ?? 0) + 1);
      revision += 1;
      return next;
    },
    removeUser(username, options = {}) {
      requireUser(username);
      const key = keyOf(username);
      // VictorOps hands the leaver's on-call duties to the replacement, so it must exist.
      if (options.replacement !== undefined) {
        const replacementKey = keyOf(options.replacement);
        if (replacementKey === key || !users.has(replacementKey)) {
          throw new SimOrgError(
            'replacement-not-found',
            `Replacement user ${options.replacement} was not found`,
          );
        }
      }
      // Policies and shifts keep the username on purpose: VictorOps leaves a deleted user in
      // escalation policies and schedules without a word, and roster-watch must notice.
      for (const slug of [...(teamsByUser.get(key) ?? [])]) {
        unlink(slug, key);
        bumpTeam(requireTeam(slug));
      }
      users.delete(key);
      userVersions.delete(key);
      teamsByUser.delete(key);
      revision += 1;
    },
    addTeam(input) {
      const team: SimTeam = {
        slug: input.slug ?? newSlug(),
        name: input.name,
        version: 1,
        isDefaultTeam: false,
      };
      insertTeam(team);
      revision += 1;
      return team;
    },
    renameTeam(slug, name) {
      const next = editTeam(requireTeam(slug), { name });
      revision += 1;
      return next;
    },
    removeTeam(slug) {
      requireTeam(slug);
      for (const key of [...(membersByTeam.get(slug) ?? [])]) unlink(slug, key);
      teams.delete(slug);
      membersByTeam.delete(slug);
      const gone = policies.list().filter((p) => p.teamSlug === slug);
      policies.removeTeam(slug);
      for (const p of gone) routingKeys.policyRemoved(p.slug);
      revision += 1;
    },
    addMember(slug, username) {
      const team = requireTeam(slug);
      requireUser(username);
      if (!link(slug, keyOf(username))) return false;
      bumpTeam(team);
      revision += 1;
      return true;
    },
    removeMember(slug, username) {
      const team = requireTeam(slug);
      requireUser(username);
      if (!unlink(slug, keyOf(username))) {
        throw new SimOrgError('not-a-member', `User ${username} is not a member of team ${slug}`);
      }
      bumpTeam(team);
      revision += 1;
    },
    listPolicies: () => policies.list(),
    getPolicy: (slug) => policies.get(slug),
    addPolicy(input) {
      const policy = policies.add(input);
      revision += 1;
      return policy;
    },
    updatePolicy(slug, input) {
      const policy = policies.update(slug, input);
      revision += 1;
      return policy;
    },
    removePolicy(slug) {
      policies.remove(slug);
      routingKeys.policyRemoved(slug);
      revision += 1;
    },
    listRoutingKeys: () => routingKeys.list(),
    setRoutingKey(key) {
      const set = routingKeys.set(key);
      revision += 1;
      return set;
    },
    removeRoutingKey(routingKey) {
      routingKeys.remove(routingKey);
      revision += 1;
    },
    listShifts: (teamSlug) => policies.listShifts(teamSlug),
    setShifts(teamSlug, shifts) {
      policies.setShifts(teamSlug, shifts);
      revision += 1;
    },
    listOverrides: (teamSlug) => policies.listOverrides(teamSlug),
    setOverrides(teamSlug, overrides) {
      policies.setOverrides(teamSlug, overrides);
      revision += 1;
    },
    snapshot() {
      const memberships: SimMembership[] = [];
      for (const [slug, keys] of membersByTeam) {
        for (const key of keys) memberships.push({ username: requireUser(key).username, teamSlug: slug });
      }
      return {
        users: [...users.values()].map((user) => ({ ...user })),
        teams: [...teams.values()].map((team) => ({ ...team })),
        memberships,
        policies: policies.list().map(copyPolicy),
        shifts: policies.listShifts().map((shift) => ({ ...shift })),
        ...(routingKeys.list().length === 0 ? {} : { routingKeys: [...routingKeys.list()] }),
      };
    },
  };
}

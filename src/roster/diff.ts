/**
 * What changed between two rosters: pure, order-independent, and invertible by `applyDiff`
 * (applyDiff(a, diffRosters(a, b)) equals b), which the property tests check.
 */
import type { EventDraft, FieldChange } from './events.js';
import {
  compareMemberships,
  compareText,
  diffKnownUsers,
  membershipKey,
  normaliseRoster,
  sameUsers,
} from './normalise.js';
import { indexPolicyReferences } from './policies.js';
import type { Policy } from './policy-types.js';
import {
  isPendingInvitee,
  type Membership,
  type Roster,
  type Team,
  USER_FIELDS,
  type User,
  type UserField,
  usernameKey,
} from './types.js';

export interface UserChange {
  before: User;
  after: User;
  changes: FieldChange<UserField>[];
}

export interface TeamChange {
  before: Team;
  after: Team;
  changes: FieldChange<'name'>[];
}

export interface RosterDiff {
  usersAdded: User[];
  usersRemoved: User[];
  usersChanged: UserChange[];
  teamsAdded: Team[];
  teamsRemoved: Team[];
  teamsChanged: TeamChange[];
  membershipsAdded: Membership[];
  membershipsRemoved: Membership[];
}

export function isEmptyDiff(diff: RosterDiff): boolean {
  return countChanges(diff) === 0;
}

export function countChanges(diff: RosterDiff): number {
  return (
    diff.usersAdded.length +
    diff.usersRemoved.length +
    diff.usersChanged.length +
    diff.teamsAdded.length +
    diff.teamsRemoved.length +
    diff.teamsChanged.length +
    diff.membershipsAdded.length +
    diff.membershipsRemoved.length
  );
}

function userChanges(before: User, after: User): FieldChange<UserField>[] {
  const changes: FieldChange<UserField>[] = [];
  for (const field of USER_FIELDS) {
    if (before[field] !== after[field]) changes.push({ field, before: before[field], after: after[field] });
  }
  // The spelling of a username can only differ in case (usernames are immutable in VictorOps);
  // it is recorded as a new version without an event of its own.
  return changes;
}

/** The same objects in the same order: nothing in them can differ. */
export function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Both rosters must be normalised (see normaliseRoster). */
export function diffRosters(before: Roster, after: Roster): RosterDiff {
  const diff: RosterDiff = {
    usersAdded: [],
    usersRemoved: [],
    usersChanged: [],
    teamsAdded: [],
    teamsRemoved: [],
    teamsChanged: [],
    membershipsAdded: [],
    membershipsRemoved: [],
  };
  // The recorded roster rebuilt from fingerprints shares the fetched objects where nothing
  // changed: the maps below (20,000 users, 60,000 memberships) are only built where they can differ.
  // The same known user list on both sides (rosterWithKnownUsers) is compared unparsed.
  // Two lists known by their facts (a patched list and the recorded users) by their fingerprints.
  if (!sameUsers(before, after)) {
    const known = diffKnownUsers(before, after);
    if (known !== null) {
      diff.usersRemoved.push(...known.removed);
      diff.usersAdded.push(...known.added);
      for (const [old, user] of known.both) changedUser(old, user, diff);
    } else if (!sameItems(before.users, after.users)) {
      diffUsers(before.users, after.users, diff);
    }
  }

  const beforeTeams = new Map(before.teams.map((t) => [t.slug, t]));
  const afterTeams = new Map(after.teams.map((t) => [t.slug, t]));
  for (const [slug, team] of afterTeams) {
    const old = beforeTeams.get(slug);
    if (!old) diff.teamsAdded.push(team);
    else if (old.name !== team.name) {
      diff.teamsChanged.push({
        before: old,
        after: team,
        changes: [{ field: 'name', before: old.name, after: team.name }],
      });
    }
  }
  for (const [slug, team] of beforeTeams) if (!afterTeams.has(slug)) diff.teamsRemoved.push(team);

  if (!sameItems(before.memberships, after.memberships)) {
    if (!walkMemberships(before.memberships, after.memberships, diff)) {
      // Not in normalised order after all: one map, emptied as the new memberships are matched
      // (a second map of them was a large part of a poll's peak memory).
      diff.membershipsAdded.length = 0;
      diff.membershipsRemoved.length = 0;
      const unmatched = new Map<string, Membership>();
      for (const m of before.memberships) unmatched.set(membershipKey(m), m);
      for (const m of after.memberships)
        if (!unmatched.delete(membershipKey(m))) diff.membershipsAdded.push(m);
      for (const m of unmatched.values()) diff.membershipsRemoved.push(m);
    }
  }

  const byUser = (a: User, b: User) => compareText(usernameKey(a.username), usernameKey(b.username));
  const byTeam = (a: Team, b: Team) => compareText(a.slug, b.slug);
  diff.usersAdded.sort(byUser);
  diff.usersRemoved.sort(byUser);
  diff.usersChanged.sort((a, b) => byUser(a.after, b.after));
  diff.teamsAdded.sort(byTeam);
  diff.teamsRemoved.sort(byTeam);
  diff.teamsChanged.sort((a, b) => byTeam(a.after, b.after));
  // compareMemberships orders as the key strings do, without building two for every comparison.
  diff.membershipsAdded.sort(compareMemberships);
  diff.membershipsRemoved.sort(compareMemberships);
  return diff;
}

/**
 * One merge walk over two lists sorted strictly by `key` (as normalised rosters hold their users
 * and memberships): what only `before` holds, what only `after` holds, and the pairs with the
 * same key, without a map of 20,000 users or 60,000 memberships (building those was most of a
 * changed poll's diff, issue 21). Returns false as soon as either list is out of order or holds a
 * key twice, having reported part of them; the caller then starts again without relying on order.
 * `order` compares two keys; a key may be the item itself when `order` compares items.
 */
function walkSorted<T, K>(
  before: readonly T[],
  after: readonly T[],
  key: (item: T) => K,
  order: (a: K, b: K) => number,
  visit: { removed: (item: T) => void; added: (item: T) => void; both: (old: T, now: T) => void },
): boolean {
  const keyAt = (list: readonly T[], index: number): K | null =>
    index < list.length ? key(list[index]!) : null;
  let i = 0;
  let j = 0;
  let x = keyAt(before, 0);
  let y = keyAt(after, 0);
  while (x !== null || y !== null) {
    const o = x === null ? 1 : y === null ? -1 : order(x, y);
    if (o === 0) visit.both(before[i]!, after[j]!);
    if (o <= 0 && x !== null) {
      if (o < 0) visit.removed(before[i]!);
      const next = keyAt(before, ++i);
      if (next !== null && order(x, next) >= 0) return false;
      x = next;
    }
    if (o >= 0 && y !== null) {
      if (o > 0) visit.added(after[j]!);
      const next = keyAt(after, ++j);
      if (next !== null && order(y, next) >= 0) return false;
      y = next;
    }
  }
  return true;
}

/**
 * Memberships are walked as themselves, compared by compareMemberships (the order of their key
 * strings): a changed poll's walk built a key string for each of both rosters' 60,000, about
 * 17 MiB of garbage (issue 21, thirty-fourth part).
 */
function walkMemberships(
  before: readonly Membership[],
  after: readonly Membership[],
  diff: RosterDiff,
): boolean {
  return walkSorted(before, after, (m) => m, compareMemberships, {
    removed: (m) => diff.membershipsRemoved.push(m),
    added: (m) => diff.membershipsAdded.push(m),
    both: () => {},
  });
}

function changedUser(old: User, user: User, diff: RosterDiff): void {
  if (old === user) return;
  const changes = userChanges(old, user);
  if (changes.length > 0 || old.username !== user.username)
    diff.usersChanged.push({ before: old, after: user, changes });
}

function diffUsers(before: readonly User[], after: readonly User[], diff: RosterDiff): void {
  const walked = walkSorted(before, after, (u) => usernameKey(u.username), compareText, {
    removed: (u) => diff.usersRemoved.push(u),
    added: (u) => diff.usersAdded.push(u),
    both: (old, user) => changedUser(old, user, diff),
  });
  if (walked) return;
  // Not in normalised order after all: by maps (the last of two equal keys wins, as before).
  diff.usersAdded.length = 0;
  diff.usersRemoved.length = 0;
  diff.usersChanged.length = 0;
  const beforeUsers = new Map(before.map((u) => [usernameKey(u.username), u]));
  const afterUsers = new Map(after.map((u) => [usernameKey(u.username), u]));
  for (const [key, user] of afterUsers) {
    const old = beforeUsers.get(key);
    if (!old) diff.usersAdded.push(user);
    else changedUser(old, user, diff);
  }
  for (const [key, user] of beforeUsers) if (!afterUsers.has(key)) diff.usersRemoved.push(user);
}

/** Replays a diff onto the roster it was computed from. */
export function applyDiff(roster: Roster, diff: RosterDiff): Roster {
  const users = new Map(roster.users.map((u) => [usernameKey(u.username), u]));
  for (const u of diff.usersRemoved) users.delete(usernameKey(u.username));
  for (const u of diff.usersAdded) users.set(usernameKey(u.username), u);
  for (const c of diff.usersChanged) users.set(usernameKey(c.after.username), c.after);
  const teams = new Map(roster.teams.map((t) => [t.slug, t]));
  for (const t of diff.teamsRemoved) teams.delete(t.slug);
  for (const t of diff.teamsAdded) teams.set(t.slug, t);
  for (const c of diff.teamsChanged) teams.set(c.after.slug, c.after);
  const memberships = new Map(roster.memberships.map((m) => [membershipKey(m), m]));
  for (const m of diff.membershipsRemoved) memberships.delete(membershipKey(m));
  for (const m of diff.membershipsAdded) memberships.set(membershipKey(m), m);
  return normaliseRoster({
    users: [...users.values()],
    teams: [...teams.values()],
    memberships: [...memberships.values()],
  });
}

interface InvitationPairs {
  registered: { invitation: User; user: User }[];
  /** Keys of the users who registered, and of the invitations they came from. */
  registeredAs: Set<string>;
  registeredFrom: Set<string>;
}

/**
 * An invitee that disappears in the same poll as a real user with its email appears registered:
 * one event, not a removal and an addition. Emails are compared case-insensitively; each new
 * user takes at most one invitation.
 */
export function pairInvitations(diff: RosterDiff): InvitationPairs {
  const pairs: InvitationPairs = { registered: [], registeredAs: new Set(), registeredFrom: new Set() };
  const newUsers = new Map<string, User>();
  for (const user of diff.usersAdded) {
    const email = user.email?.trim().toLowerCase();
    if (email && !isPendingInvitee(user.username) && !newUsers.has(email)) newUsers.set(email, user);
  }
  for (const invitation of diff.usersRemoved) {
    const email = invitation.email?.trim().toLowerCase();
    if (!email || !isPendingInvitee(invitation.username)) continue;
    const user = newUsers.get(email);
    if (!user) continue;
    newUsers.delete(email);
    pairs.registered.push({ invitation, user });
    pairs.registeredAs.add(usernameKey(user.username));
    pairs.registeredFrom.add(usernameKey(invitation.username));
  }
  return pairs;
}

/**
 * One event per change. Every membership pair is its own event, also when its user or team was
 * added or removed in the same run. Order: additions first (teams, users, memberships), then
 * changes, then removals (memberships, users, teams), so a consumer replaying in sequence order
 * never sees a membership of a team it has not heard of. A removed user's event lists the
 * `policies` that still page it, so the alert says what to fix.
 */
export function diffToEvents(
  diff: RosterDiff,
  before: Roster,
  after: Roster,
  policies: readonly Policy[] = [],
): EventDraft[] {
  const teamBefore = new Map(before.teams.map((t) => [t.slug, t]));
  const teamAfter = new Map(after.teams.map((t) => [t.slug, t]));
  const teamFor = (slug: string, primary: Map<string, Team>, fallback: Map<string, Team>): Team =>
    primary.get(slug) ?? fallback.get(slug) ?? { slug, name: slug };
  const events: EventDraft[] = [];
  const invitations = pairInvitations(diff);
  // One pass over the policies for all removed users (a 10% change removes hundreds at once).
  const referencing = diff.usersRemoved.length > 0 ? indexPolicyReferences(policies) : () => [];
  for (const team of diff.teamsAdded)
    events.push({ type: 'victorops.team.added', subject: team.slug, data: { team } });
  for (const user of diff.usersAdded) {
    if (invitations.registeredAs.has(usernameKey(user.username))) continue;
    if (isPendingInvitee(user.username))
      events.push({ type: 'victorops.user.invited', subject: user.username, data: { user } });
    else events.push({ type: 'victorops.user.added', subject: user.username, data: { user } });
  }
  for (const { invitation, user } of invitations.registered)
    events.push({
      type: 'victorops.user.registered',
      subject: user.username,
      data: { invitedAs: invitation.username, username: user.username, user, invitation },
    });
  for (const m of diff.membershipsAdded) {
    events.push({
      type: 'victorops.membership.added',
      subject: m.username,
      data: { username: m.username, team: teamFor(m.teamSlug, teamAfter, teamBefore) },
    });
  }
  for (const c of diff.usersChanged) {
    if (c.changes.length === 0) continue;
    events.push({
      type: 'victorops.user.changed',
      subject: c.after.username,
      data: { username: c.after.username, before: c.before, after: c.after, changes: c.changes },
    });
  }
  for (const c of diff.teamsChanged) {
    events.push({
      type: 'victorops.team.changed',
      subject: c.after.slug,
      data: { slug: c.after.slug, before: c.before, after: c.after, changes: c.changes },
    });
  }
  for (const m of diff.membershipsRemoved) {
    events.push({
      type: 'victorops.membership.removed',
      subject: m.username,
      data: { username: m.username, team: teamFor(m.teamSlug, teamBefore, teamAfter) },
    });
  }
  for (const user of diff.usersRemoved) {
    if (!isPendingInvitee(user.username)) {
      events.push({
        type: 'victorops.user.removed',
        subject: user.username,
        data: { user, policies: referencing(user.username) },
      });
    } else if (!invitations.registeredFrom.has(usernameKey(user.username))) {
      events.push({ type: 'victorops.user.invite_withdrawn', subject: user.username, data: { user } });
    }
  }
  for (const team of diff.teamsRemoved)
    events.push({ type: 'victorops.team.removed', subject: team.slug, data: { team } });
  return events;
}

/**
 * What a poll reads of a roster, for the fingerprint-path tests: the first username respelled,
 * some teams carried by the hints or failed (their members not read).
 */
import { normaliseRoster } from '../../src/roster/normalise.js';
import type { FailedScope, Roster } from '../../src/roster/types.js';

export interface FetchEdit {
  respell: boolean;
  /** Indices into the roster's teams: carried by the hints (unless also failed). */
  carried: number[];
  /** Indices into the roster's teams: their member reads failed. */
  failed: number[];
}

export interface EditedFetch {
  /** The roster as read: without the carried and failed teams' members. */
  roster: Roster;
  failedScopes: FailedScope[];
  carried: string[];
  /** The teams whose members were read, in the roster's order. */
  read: string[];
}

export function editedFetch(roster: Roster, edit: FetchEdit): EditedFetch {
  const first = roster.users[0];
  const spell = (name: string) =>
    edit.respell && first && name === first.username ? name.toUpperCase() : name;
  const respelled = normaliseRoster({
    users: roster.users.map((u) => ({ ...u, username: spell(u.username) })),
    teams: roster.teams,
    memberships: roster.memberships.map((m) => ({ ...m, username: spell(m.username) })),
  });
  const slugs = (picks: number[]) => picks.flatMap((i) => (roster.teams[i] ? [roster.teams[i].slug] : []));
  const failed = new Set(slugs(edit.failed));
  const carried = slugs(edit.carried).filter((slug) => !failed.has(slug));
  const unread = new Set([...carried, ...failed]);
  return {
    roster: { ...respelled, memberships: respelled.memberships.filter((m) => !unread.has(m.teamSlug)) },
    failedScopes: [...failed].map((teamSlug) => ({ kind: 'team-members', teamSlug, reason: 'HTTP 500' })),
    carried,
    read: respelled.teams.map((t) => t.slug).filter((slug) => !unread.has(slug)),
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffRosters } from '../../../src/roster/diff.js';
import { rosterToJson } from '../../../src/roster/roster-json.js';
import type { Store } from '../../../src/store/db.js';
import { loadCurrentRoster, loadRosterAt } from '../../../src/store/history.js';
import {
  countRosterNow,
  countsThen,
  loadRosterChangeSummary,
  loadRosterChanges,
  loadRosterUsersAt,
  loadTeamsAt,
} from '../../../src/store/ui-roster.js';
import { buildRosterPage } from '../../../src/web/pages/roster.js';
import { aRoster, aTeam, aUser } from '../../helpers/builders.js';
import { recordRosterRun, recordUiHistory, rosterThree, TIMES } from '../../helpers/ui-history.js';

let dir: string;
let store: Store;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-ui-roster-'));
  store = recordUiHistory(join(dir, 'h.db'));
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const INSTANTS = [
  '2026-02-01T00:00:00.000Z',
  TIMES.one,
  '2026-03-01T12:00:00.000Z',
  TIMES.two,
  '2026-03-02T23:59:59.999Z',
  TIMES.three,
  '2026-04-01T00:00:00.000Z',
];

describe('the roster page queries agree with the full reconstruction', () => {
  it.each(INSTANTS)('at %s: users, teams and counts match loadRosterAt', (at) => {
    const full = rosterToJson(loadRosterAt(store, at));
    const paged = loadRosterUsersAt(store, at, { limit: 1000 });
    expect(paged.map((u) => ({ ...u, teams: [...u.teams].sort() }))).toEqual(
      [...full.users].sort((a, b) => a.username.toLowerCase().localeCompare(b.username.toLowerCase())),
    );
    const roster = loadRosterAt(store, at);
    const diff = loadRosterChangeSummary(store, at);
    expect(loadTeamsAt(store, at, diff.memberDelta)).toEqual(
      roster.teams.map((t) => ({
        ...t,
        members: roster.memberships.filter((m) => m.teamSlug === t.slug).length,
      })),
    );
    expect(countsThen(countRosterNow(store), diff.counts)).toEqual({
      users: roster.users.length,
      teams: roster.teams.length,
      memberships: roster.memberships.length,
    });
  });

  it.each(INSTANTS)('at %s: the SQL diff to now equals diffRosters of the two whole rosters', (at) => {
    const expected = diffRosters(
      loadRosterAt(store, at),
      loadCurrentRoster(store) ?? loadRosterAt(store, at),
    );
    const entries = loadRosterChanges(store, at, loadRosterChangeSummary(store, at), { limit: 1000 }).entries;
    const actual = {
      usersAdded: entries.flatMap((e) => (e.kind === 'user-added' ? [e.user] : [])),
      usersRemoved: entries.flatMap((e) => (e.kind === 'user-removed' ? [e.user] : [])),
      usersChanged: entries.flatMap((e) => (e.kind === 'user-changed' ? [e] : [])),
      membershipsAdded: entries.flatMap((e) => (e.kind === 'membership-added' ? [e] : [])),
      membershipsRemoved: entries.flatMap((e) => (e.kind === 'membership-removed' ? [e] : [])),
      teamsAdded: entries.flatMap((e) => (e.kind === 'team-added' ? [e] : [])),
      teamsRemoved: entries.flatMap((e) => (e.kind === 'team-removed' ? [e] : [])),
    };
    const names = (list: { username: string }[]) => list.map((u) => u.username).sort();
    const pairs = (list: { username: string; teamSlug: string }[]) =>
      list.map((m) => `${m.username}/${m.teamSlug}`).sort();
    expect(names(actual.usersAdded)).toEqual(names(expected.usersAdded));
    expect(names(actual.usersRemoved)).toEqual(names(expected.usersRemoved));
    expect(actual.usersChanged.map((c) => [c.after.username, c.changes])).toEqual(
      expected.usersChanged.map((c) => [c.after.username, c.changes]),
    );
    expect(pairs(actual.membershipsAdded)).toEqual(pairs(expected.membershipsAdded));
    expect(pairs(actual.membershipsRemoved)).toEqual(pairs(expected.membershipsRemoved));
    expect(actual.teamsAdded.map((t) => t.slug).sort()).toEqual(
      expected.teamsAdded.map((t) => t.slug).sort(),
    );
    expect(actual.teamsRemoved.map((t) => t.slug).sort()).toEqual(
      expected.teamsRemoved.map((t) => t.slug).sort(),
    );
  });

  it('pages the users by username with a cursor', () => {
    const first = loadRosterUsersAt(store, TIMES.two, { limit: 2 });
    const rest = loadRosterUsersAt(store, TIMES.two, {
      afterKey: first[1]?.username.toLowerCase(),
      limit: 10,
    });
    expect([...first, ...rest].map((u) => u.username)).toEqual(
      loadRosterUsersAt(store, TIMES.two, { limit: 10 }).map((u) => u.username),
    );
    expect(rest.length).toBeGreaterThan(0);
  });
});

describe('the roster page reads the diff afresh', () => {
  it('shows a change recorded after the page was first built', () => {
    const page = (at: string) =>
      JSON.stringify(
        buildRosterPage({
          store,
          base: '/ui',
          url: new URL(`http://localhost/ui/roster?at=${at}`),
          now: new Date('2026-04-01T00:00:00.000Z'),
          csv: false,
          zone: 'UTC',
        }),
      );
    const before = page(TIMES.two);
    expect(page(TIMES.two)).toBe(before);
    expect(before).not.toContain('dave');
    const three = rosterThree();
    const four = aRoster({
      users: [...three.users, aUser('dave')],
      teams: three.teams.map((t) => aTeam(t.slug, t.name)),
      memberships: three.memberships.map((m) => [m.username, m.teamSlug]),
    });
    recordRosterRun(store, three, four, '2026-03-05T09:00:00.000Z', 'ok');
    expect(page(TIMES.two)).toContain('dave');
  });
});

/**
 * Migration 0017: the search index's triggers skip rewriting an entity whose searchable text did
 * not change (issue 21). The same history written through the triggers of migration 0010 and
 * through the new ones leaves the same entity rows, the same search results and a trigram index
 * that FTS5's integrity check finds equal to its content; and a version that changes no
 * searchable text writes nothing to the index.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Roster, User } from '../../../src/roster/types.js';
import { MIGRATIONS_FOLDER, openStore, type Store } from '../../../src/store/db.js';
import { searchEntities } from '../../../src/store/ui-search.js';
import { aRoster, aTeam, aUser } from '../../helpers/builders.js';
import { recordRosterRun } from '../../helpers/ui-history.js';

let dir: string;
let opened = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-search-triggers-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The CREATE TRIGGER statements of migration 0010, as the build before 0017 ran them. */
function triggersOf0010(): string[] {
  return readFileSync(join(MIGRATIONS_FOLDER, '0010_web_search.sql'), 'utf8')
    .split('--> statement-breakpoint')
    .map((s) => s.replace(/^(\s*--[^\n]*\n)*/, '').trim())
    .filter((s) => s.startsWith('CREATE TRIGGER'));
}

function newStore(triggers: 'before 0017' | 'current'): Store {
  const store = openStore(join(dir, `h${++opened}.db`));
  if (triggers === 'before 0017') {
    const old = triggersOf0010();
    expect(old).toHaveLength(5);
    for (const name of [
      'search_entities_ai',
      'search_entities_au',
      'search_users_ai',
      'search_teams_ai',
      'search_policies_ai',
    ]) {
      store.sqlite.exec(`DROP TRIGGER ${name}`);
    }
    for (const statement of old) store.sqlite.exec(statement);
  }
  return store;
}

/** The trigram index's stored segments: any write to the index changes them. */
const indexBlocks = (store: Store) =>
  store.sqlite.prepare('SELECT id, block FROM search_text_data ORDER BY id').all();

const entities = (store: Store) =>
  store.sqlite
    .prepare('SELECT id, kind, key, ref, name, detail, body FROM search_entities ORDER BY id')
    .all();

const integrityCheck = (store: Store) =>
  store.sqlite.exec("INSERT INTO search_text (search_text, rank) VALUES ('integrity-check', 1)");

const QUERIES = ['ann', 'Ann', 'smith', 'jones', 'exa', 'new.example', 'ops', 'Team', 'pol', 'bo', 'zed'];
const results = (store: Store) => QUERIES.map((q) => searchEntities(store, q, 50));

/** Small pools, so versions often repeat a user's text, change one field, or only its case. */
const aUserVersion = fc.record({
  name: fc.constantFrom('ann', 'Ann', 'bob', 'cy'),
  lastName: fc.constantFrom('Smith', 'Jones'),
  email: fc.constantFrom('a@example.com', 'a@new.example.com', null),
  passwordLastUpdated: fc.constantFrom(null, '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'),
  verified: fc.constantFrom(null, true, false),
});
const aRosterVersion = fc.record({
  users: fc.uniqueArray(aUserVersion, { selector: (u) => u.name.toLowerCase(), maxLength: 3 }),
  teams: fc.uniqueArray(
    fc.record({ slug: fc.constantFrom('ops', 'dev'), name: fc.constantFrom('Ops', 'Team ops', 'Dev') }),
    { selector: (t) => t.slug, maxLength: 2 },
  ),
});

type RosterVersion = typeof aRosterVersion extends fc.Arbitrary<infer T> ? T : never;

function rosterOf(version: RosterVersion): Roster {
  return aRoster({
    users: version.users.map(
      (u): User =>
        aUser(u.name, {
          lastName: u.lastName,
          email: u.email,
          passwordLastUpdated: u.passwordLastUpdated,
          verified: u.verified,
        }),
    ),
    teams: version.teams.map((t) => aTeam(t.slug, t.name)),
  });
}

/** A policy's new version (the current one closed), as the policy history writes it. */
function insertPolicy(store: Store, runId: number, slug: string, name: string, teamSlug: string): void {
  const at = `2026-05-0${runId}T00:00:00.000Z`;
  store.sqlite
    .prepare('UPDATE policies SET valid_to = ?, to_run_id = ? WHERE slug = ? AND valid_to IS NULL')
    .run(at, runId, slug);
  store.sqlite
    .prepare(
      `INSERT INTO policies (slug, name, team_slug, steps, valid_from, from_run_id) VALUES (?, ?, ?, '[]', ?, ?)`,
    )
    .run(slug, name, teamSlug, at, runId);
}

describe('search index triggers (migration 0017)', () => {
  it('write the same index as the triggers before them, for any sequence of roster versions', () => {
    fc.assert(
      fc.property(fc.array(aRosterVersion, { minLength: 1, maxLength: 6 }), (versions) => {
        const before = newStore('before 0017');
        const current = newStore('current');
        try {
          for (const store of [before, current]) {
            let previous = aRoster();
            versions.forEach((version, i) => {
              const next = rosterOf(version);
              const at = new Date(Date.UTC(2026, 0, 1 + i)).toISOString();
              recordRosterRun(store, previous, next, at, i === 0 ? 'baseline' : 'ok');
              previous = next;
            });
          }
          expect(entities(current)).toEqual(entities(before));
          expect(results(current)).toEqual(results(before));
          expect(() => integrityCheck(current)).not.toThrow();
        } finally {
          before.close();
          current.close();
        }
      }),
      { numRuns: 25 },
    );
  });

  it('write nothing to the index for a version whose searchable text is unchanged', () => {
    const store = newStore('current');
    try {
      const one = aRoster({ users: [aUser('ann'), aUser('bob')], teams: [aTeam('ops')] });
      const runOne = recordRosterRun(store, aRoster(), one, '2026-05-01T00:00:00.000Z', 'baseline');
      insertPolicy(store, runOne, 'pol-ops', 'Ops primary', 'ops');
      const blocks = indexBlocks(store);
      const rows = entities(store);
      // A password change, a verified flag, the same team again, a policy moved to another team.
      const two = aRoster({
        users: [
          aUser('ann', { passwordLastUpdated: '2026-05-02T00:00:00Z' }),
          aUser('bob', { verified: false }),
        ],
        teams: [aTeam('ops')],
      });
      const runTwo = recordRosterRun(store, one, two, '2026-05-02T00:00:00.000Z', 'ok');
      insertPolicy(store, runTwo, 'pol-ops', 'Ops primary', 'dev');
      expect(store.sqlite.prepare('SELECT count(*) FROM users').pluck().get()).toBe(4);
      expect(indexBlocks(store)).toEqual(blocks);
      const detail = rows.map((r) =>
        (r as { kind: string }).kind === 'policy' ? { ...(r as object), detail: 'dev' } : r,
      );
      expect(entities(store)).toEqual(detail);
      expect(searchEntities(store, 'Ops primary', 5)).toEqual([
        { kind: 'policy', ref: 'pol-ops', name: 'Ops primary', detail: 'dev' },
      ]);
      // A changed email is written, and found.
      const three = aRoster({ users: [aUser('ann', { email: 'ann@new.example.com' })], teams: [] });
      recordRosterRun(store, two, three, '2026-05-03T00:00:00.000Z', 'ok');
      expect(indexBlocks(store)).not.toEqual(blocks);
      expect(searchEntities(store, 'new.exa', 5).map((h) => h.ref)).toEqual(['ann']);
      expect(() => integrityCheck(store)).not.toThrow();
    } finally {
      store.close();
    }
  });
});

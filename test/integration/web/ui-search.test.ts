/**
 * The search index (migration 0010): kept current by triggers as the history is written through
 * the real write paths, and read through FTS5 trigrams, case- and accent-insensitively.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/db.js';
import { searchEntities } from '../../../src/store/ui-search.js';
import { aRoster, aTeam, aUser } from '../../helpers/builders.js';
import { recordRosterRun, recordUiHistory } from '../../helpers/ui-history.js';

let dir: string;
let store: Store;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-search-'));
  store = recordUiHistory(join(dir, 'h.db'));
});

afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const refs = (q: string) => searchEntities(store, q, 20).map((h) => `${h.kind}:${h.ref}`);

describe('search', () => {
  it('finds a user by any part of the username, names or email, whatever the case', () => {
    expect(refs('lidd')).toEqual(['user:alice']);
    expect(refs('LICE')).toContain('user:alice');
    expect(refs('alice lidd')).toEqual(['user:alice']);
    expect(refs('bob@new.exa')).toEqual(['user:bob']);
  });

  it('finds teams and policies by name or slug, and keeps removed users findable', () => {
    expect(refs('operat')).toEqual(['team:ops']);
    expect(refs('pol-pay')).toContain('policy:pol-payments');
    expect(refs('Builder')).toEqual(['user:bob']);
  });

  it('follows the history: a new name is found, the old one no longer', () => {
    const before = aRoster({
      users: [aUser('dana', { firstName: 'Dana', lastName: 'Scully' })],
      teams: [aTeam('x')],
    });
    const after = aRoster({
      users: [aUser('dana', { firstName: 'Dana', lastName: 'Müller-Núñez' })],
      teams: [aTeam('x', 'Xénon Squad')],
    });
    recordRosterRun(store, aRoster(), before, '2026-03-10T09:00:00.000Z', 'ok');
    expect(refs('scully')).toEqual(['user:dana']);
    recordRosterRun(store, before, after, '2026-03-11T09:00:00.000Z', 'ok');
    expect(refs('scully')).toEqual([]);
    // Accents do not matter either way round.
    expect(refs('muller-nunez')).toEqual(['user:dana']);
    expect(refs('MÜLLER')).toEqual(['user:dana']);
    expect(refs('xenon')).toEqual(['team:x']);
  });

  it('a query of one or two characters matches usernames and slugs that start with it', () => {
    expect(refs('al')).toEqual(['user:alice']);
    expect(refs('op')).toEqual(['team:ops']);
    expect(refs('"')).toEqual([]);
  });

  it('query syntax is text: quotes, stars and operators are searched for, not run', () => {
    expect(refs('ali" OR "bob')).toEqual([]);
    expect(refs('NEAR(alice')).toEqual([]);
    expect(refs('*)*')).toEqual([]);
  });
});

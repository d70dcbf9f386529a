/**
 * The Runs page lists every kind of run in its filter: contacts and identity runs as well as
 * roster and policy runs, and a kind found in the database that this version does not know.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { insertRun, type RunKind } from '../../../src/store/runs.js';
import type { Block } from '../../../src/web/model.js';
import { buildRunsPage } from '../../../src/web/pages/records.js';
import { createTempStore, type TempStore } from '../../helpers/delivery-fixtures.js';
import { quietRun } from '../../helpers/run-record.js';

let t: TempStore | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

function recordRuns(kinds: RunKind[]): void {
  const store = (t as TempStore).store;
  for (const [i, kind] of kinds.entries()) insertRun(store, quietRun(kind, `2026-03-02T1${i}:00:00.000Z`));
}

function page(query: string) {
  const store = (t as TempStore).store;
  const url = new URL(`http://localhost/ui/runs${query}`);
  return buildRunsPage({
    store,
    base: '/ui',
    url,
    now: new Date('2026-03-04T12:00:00.000Z'),
    csv: false,
    zone: 'UTC',
  });
}

function kindOptions(query: string): string[] {
  const form = page(query).blocks.find((b: Block) => b.kind === 'form');
  if (form?.kind !== 'form') throw new Error('no filter form');
  const select = form.fields.find((f) => f.kind === 'select');
  if (select?.kind !== 'select') throw new Error('no kind select');
  return select.options.map((o) => o.value);
}

describe('the Runs page', () => {
  it('offers every kind of run in its filter, also contacts, identity and a kind only the database knows', () => {
    t = createTempStore();
    recordRuns(['roster', 'contacts']);
    expect(kindOptions('')).toEqual(['', 'roster', 'policy', 'contacts', 'identity']);
    // A database written by a later version may hold a kind this one does not record.
    t.store.sqlite
      .prepare("INSERT INTO runs (kind, started_at, finished_at, status) VALUES ('audit', ?, ?, 'ok')")
      .run('2026-03-03T00:00:00.000Z', '2026-03-03T00:00:00.000Z');
    expect(kindOptions('')).toEqual(['', 'roster', 'policy', 'contacts', 'identity', 'audit']);
  });

  it('lists only the runs of the kind picked', () => {
    t = createTempStore();
    recordRuns(['roster', 'contacts', 'roster']);
    const table = page('?kind=contacts').blocks.find((b: Block) => b.kind === 'table');
    if (table?.kind !== 'table') throw new Error('no runs table');
    expect(table.rows).toHaveLength(1);
  });
});

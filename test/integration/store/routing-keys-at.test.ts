/** `loadRoutingKeysAt`: the routing keys in force at an instant, from the recorded versions. */
import { afterEach, describe, expect, it } from 'vitest';
import { diffRoutingKeys, type RoutingKey } from '../../../src/roster/routing-keys.js';
import { inTransaction } from '../../../src/store/db.js';
import { applyRoutingKeyHistory, loadRoutingKeysAt } from '../../../src/store/routing-keys.js';
import { insertRun } from '../../../src/store/runs.js';
import { createTempStore, type TempStore } from '../../helpers/delivery-fixtures.js';
import { quietRun } from '../../helpers/run-record.js';

let t: TempStore | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

const key = (routingKey: string, ...slugs: string[]): RoutingKey => ({
  routingKey,
  isDefault: false,
  targets: slugs.map((policySlug) => ({ policySlug, policyName: policySlug })),
});

/** Records a policy run at `at` that read `after` (the keys read before it were `before`). */
function recordKeys(before: RoutingKey[], after: RoutingKey[], at: string): void {
  const store = (t as TempStore).store;
  inTransaction(store, () => {
    const runId = insertRun(store, quietRun('policy', at));
    applyRoutingKeyHistory(store, runId, at, diffRoutingKeys(before, after));
  });
}

const T1 = '2026-03-01T10:00:00.000Z';
const T2 = '2026-03-02T10:00:00.000Z';

describe('routing keys at an instant', () => {
  it('answers from the versions in force then: before the first read nothing, a removed key only before its removal', () => {
    t = createTempStore();
    expect(loadRoutingKeysAt(t.store, T1)).toEqual({ firstReadAt: null, keys: [] });
    const first = [key('db-critical', 'pol-db'), key('old-key', 'pol-a')];
    recordKeys([], first, T1);
    recordKeys(first, [key('db-critical', 'pol-db', 'pol-dba')], T2);
    const at = (iso: string) => loadRoutingKeysAt((t as TempStore).store, iso);
    expect(at('2026-03-01T09:59:59.999Z')).toEqual({ firstReadAt: T1, keys: [] });
    expect(at(T1)).toEqual({ firstReadAt: T1, keys: first });
    expect(at('2026-03-02T09:59:59.999Z').keys).toEqual(first);
    expect(at(T2).keys).toEqual([key('db-critical', 'pol-db', 'pol-dba')]);
    expect(at('2027-01-01T00:00:00.000Z').keys.map((k) => k.routingKey)).toEqual(['db-critical']);
  });
});

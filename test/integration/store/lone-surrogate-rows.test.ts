/**
 * Policies and routing keys recorded by versions that kept a lone surrogate as fetched (issue 21):
 * read back, they equal what a poll now fetches (made well-formed, as SQLite stores the columns),
 * so the first poll after the upgrade reports no change. The steps and targets are JSON, which
 * kept the lone surrogate as an escape; the slug, name and key columns hold U+FFFD.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { compareText } from '../../../src/roster/normalise.js';
import { diffPolicies, normalisePolicies, unreadPoliciesOf } from '../../../src/roster/policies.js';
import { entryKey, normaliseEntry, type PolicyEntry } from '../../../src/roster/policy-entries.js';
import type { Policy } from '../../../src/roster/policy-types.js';
import { diffRoutingKeys, normaliseRoutingKeys, type RoutingKey } from '../../../src/roster/routing-keys.js';
import { wellFormed } from '../../../src/roster/well-formed.js';
import { inTransaction, type Store } from '../../../src/store/db.js';
import { applyPolicyHistory, loadCurrentPolicies } from '../../../src/store/policies.js';
import { applyRoutingKeyHistory, loadCurrentRoutingKeys } from '../../../src/store/routing-keys.js';
import { insertRun } from '../../../src/store/runs.js';
import { createTempStore, type TempStore } from '../../helpers/delivery-fixtures.js';
import { quietRun } from '../../helpers/run-record.js';

let t: TempStore | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

const AT = '2026-03-01T10:00:00.000Z';

/** Text of a few units: plain, lone halves, U+FFFD, a pair, and a unit that sorts after U+D800. */
const text = fc
  .array(fc.constantFrom('a', 'B', '-', '\ud800', '\udc00', '\ufffd', '\ue000', '\ud83d\ude00'), {
    minLength: 1,
    maxLength: 4,
  })
  .map((units) => units.join(''));

const entry: fc.Arbitrary<PolicyEntry> = fc.oneof(
  text.map((username) => ({ kind: 'user' as const, username })),
  fc.tuple(text, text).map(([rotationSlug, rotationLabel]) => ({
    kind: 'rotation' as const,
    executionType: 'rotation_group' as const,
    rotationSlug,
    rotationLabel,
  })),
  text.map((address) => ({ kind: 'email' as const, address })),
  text.map((webhookSlug) => ({ kind: 'webhook' as const, webhookSlug })),
);

/**
 * An entry's key as versions before the fix built it, from the text as fetched: they sorted and
 * folded a step's entries by it.
 */
function olderKey(e: PolicyEntry): string {
  if (e.kind === 'user') return `u\u0000${e.username.toLowerCase()}`;
  if (e.kind === 'rotation') return `r\u0000${e.executionType}\u0000${e.rotationSlug}`;
  if (e.kind === 'email') return `e\u0000${e.address.toLowerCase()}`;
  if (e.kind === 'webhook') return `w\u0000${e.webhookSlug}`;
  throw new Error('not generated');
}

/** A policy as older versions recorded it: each step's entries folded and sorted by `olderKey`. */
function olderRecord(p: Policy): Policy {
  return {
    ...p,
    steps: p.steps.map((s, i) => {
      const byKey = new Map<string, PolicyEntry>();
      for (const e of s.entries) if (!byKey.has(olderKey(e))) byKey.set(olderKey(e), e);
      const entries = [...byKey.entries()].sort((a, b) => compareText(a[0], b[0])).map(([, e]) => e);
      return { index: i + 1, timeout: s.timeout, entries };
    }),
  };
}

/**
 * Two entries of a step (or two targets of a key) that differ only in their lone surrogates are one
 * once well-formed, and which of them is kept depends on the order they were read in: that fold
 * is not generated (the entries and targets are distinct as they are now read).
 */
const policy: fc.Arbitrary<Policy> = fc.record({
  slug: text,
  name: text,
  teamSlug: text,
  steps: fc.array(
    fc.record({
      index: fc.constant(0),
      timeout: fc.nat(30),
      entries: fc.uniqueArray(entry, { selector: (e) => entryKey(normaliseEntry(e)), maxLength: 5 }),
    }),
    { maxLength: 3 },
  ),
});

function record(write: (runId: number) => void): void {
  const store = (t as TempStore).store;
  inTransaction(store, () => write(insertRun(store, quietRun('policy', AT))));
}

interface Diff<T> {
  added: T[];
  removed: T[];
  changed: unknown[];
}

/**
 * `older(fetched)` recorded as an older version did reads back as `fetched` normalised now, with
 * nothing to report; and once gone from VictorOps its row is closed, not found again every poll.
 */
function readsBackAsFetched<T, D extends Diff<T>>(kind: {
  arbitrary: fc.Arbitrary<T>;
  /** What identifies a row once well-formed: rows distinct by it are generated. */
  keyOf: (item: T) => string;
  older: (fetched: T) => T;
  write: (store: Store, runId: number, at: string, diff: D) => void;
  normalise: (raw: readonly T[]) => T[];
  load: (store: Store) => T[];
  diff: (before: readonly T[], after: readonly T[]) => D;
}): void {
  fc.assert(
    // Several rows, so the order they load in is held to the normaliser's too.
    fc.property(
      fc.uniqueArray(kind.arbitrary, { minLength: 1, maxLength: 3, selector: kind.keyOf }),
      (fetched) => {
        t?.cleanup();
        t = createTempStore();
        const store = t.store;
        record((runId) =>
          kind.write(store, runId, AT, { ...kind.diff([], []), added: fetched.map(kind.older) }),
        );
        const now = kind.normalise(fetched);
        const loaded = kind.load(store);
        expect(loaded).toEqual(now);
        expect(kind.diff(loaded, now)).toEqual({ added: [], removed: [], changed: [] });
        record((runId) => kind.write(store, runId, AT, kind.diff(loaded, [])));
        expect(kind.load(store)).toEqual([]);
      },
    ),
    { numRuns: 80 },
  );
}

describe('rows recorded with lone surrogates by older versions', () => {
  it('a policy reads back as the same policy fetched now, so no change is reported', () => {
    readsBackAsFetched({
      arbitrary: policy,
      keyOf: (p) => wellFormed(p.slug.trim()),
      older: olderRecord,
      write: applyPolicyHistory,
      normalise: normalisePolicies,
      load: loadCurrentPolicies,
      diff: diffPolicies,
    });
  }, 60_000);

  it('a routing key reads back as the same key fetched now, so no change is reported', () => {
    readsBackAsFetched({
      arbitrary: fc.record({
        routingKey: text,
        isDefault: fc.boolean(),
        targets: fc.uniqueArray(fc.record({ policySlug: text, policyName: text }), {
          selector: (target) => wellFormed(target.policySlug),
          maxLength: 4,
        }),
      }),
      keyOf: (k) => wellFormed(k.routingKey.trim()),
      // Older versions sorted the targets by the slug as fetched.
      older: (fetched: RoutingKey) => ({
        ...fetched,
        targets: [...fetched.targets].sort((a, b) => compareText(a.policySlug, b.policySlug)),
      }),
      write: applyRoutingKeyHistory,
      normalise: normaliseRoutingKeys,
      load: (store) => loadCurrentRoutingKeys(store) ?? [],
      diff: diffRoutingKeys,
    });
  }, 60_000);

  it('a failed scope an older run recorded as fetched is not unread when its policy is recorded', () => {
    const scopes = [
      { kind: 'policy' as const, slug: 'pol-\ud800', reason: 'HTTP 500', name: 'Db \udc00' },
      {
        kind: 'policy' as const,
        slug: 'web-\udc00',
        reason: 'HTTP 500',
        name: 'Web \udc00',
        teamSlug: 't\ud800',
      },
    ];
    expect(unreadPoliciesOf(scopes, new Set(['pol-\ufffd']))).toEqual([
      { slug: 'web-\ufffd', name: 'Web \ufffd', teamSlug: 't\ufffd', reason: 'HTTP 500' },
    ]);
  });
});

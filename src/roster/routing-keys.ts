/**
 * Routing keys as roster-watch keeps them (`GET /v1/org/routing-keys`): where an alert enters
 * VictorOps and which escalation policies it goes to. Their normalisation, diff and change events.
 * Pure.
 */
import type { EventDraft, FieldChange } from './events.js';
import { compareText } from './normalise.js';
import type { RoutingKey, RoutingKeyField, RoutingKeyTarget } from './routing-key-types.js';
import { wellFormed } from './well-formed.js';

export type { RoutingKey, RoutingKeyField, RoutingKeyTarget } from './routing-key-types.js';

export interface RoutingKeyChange {
  before: RoutingKey;
  after: RoutingKey;
  changes: FieldChange<RoutingKeyField, string | boolean>[];
}

export interface RoutingKeyDiff {
  added: RoutingKey[];
  removed: RoutingKey[];
  changed: RoutingKeyChange[];
}

/**
 * Trims and makes the text well-formed, as it is recorded (well-formed.ts: a key is a column, its
 * targets' slugs name the recorded policies), drops duplicate keys (the first wins) and duplicate
 * targets; sorted by key.
 */
export function normaliseRoutingKeys(raw: readonly RoutingKey[]): RoutingKey[] {
  const byKey = new Map<string, RoutingKey>();
  for (const k of raw) {
    const routingKey = wellFormed(k.routingKey.trim());
    if (routingKey === '' || byKey.has(routingKey)) continue;
    const targets = new Map<string, RoutingKeyTarget>();
    for (const t of k.targets) {
      const policySlug = wellFormed(t.policySlug.trim());
      if (policySlug !== '' && !targets.has(policySlug))
        targets.set(policySlug, { policySlug, policyName: wellFormed(t.policyName.trim()) });
    }
    byKey.set(routingKey, {
      routingKey,
      isDefault: k.isDefault,
      targets: [...targets.values()].sort((a, b) => compareText(a.policySlug, b.policySlug)),
    });
  }
  return [...byKey.values()].sort((a, b) => compareText(a.routingKey, b.routingKey));
}

/** The targets as compact text: `pol-a (DB primary), pol-b (DB secondary)`, or `(no targets)`. */
export function describeTargets(targets: readonly RoutingKeyTarget[]): string {
  if (targets.length === 0) return '(no targets)';
  return targets.map((t) => `${t.policySlug} (${t.policyName})`).join(', ');
}

/**
 * Both lists normalised. A target's listed policy name is not compared: a policy rename is the
 * policy's own change (`victorops.policy.changed`), not the key's.
 */
export function diffRoutingKeys(before: readonly RoutingKey[], after: readonly RoutingKey[]): RoutingKeyDiff {
  const old = new Map(before.map((k) => [k.routingKey, k]));
  const now = new Map(after.map((k) => [k.routingKey, k]));
  const diff: RoutingKeyDiff = { added: [], removed: [], changed: [] };
  const slugs = (k: RoutingKey) => k.targets.map((t) => t.policySlug).join('\u0000');
  for (const [name, key] of now) {
    const previous = old.get(name);
    if (!previous) {
      diff.added.push(key);
      continue;
    }
    const changes: FieldChange<RoutingKeyField, string | boolean>[] = [];
    if (slugs(previous) !== slugs(key))
      changes.push({
        field: 'targets',
        before: describeTargets(previous.targets),
        after: describeTargets(key.targets),
      });
    if (previous.isDefault !== key.isDefault)
      changes.push({ field: 'isDefault', before: previous.isDefault, after: key.isDefault });
    if (changes.length > 0) diff.changed.push({ before: previous, after: key, changes });
  }
  for (const [name, key] of old) if (!now.has(name)) diff.removed.push(key);
  return diff;
}

export function countRoutingKeyChanges(diff: RoutingKeyDiff): number {
  return diff.added.length + diff.removed.length + diff.changed.length;
}

/** Additions, then changes, then removals, like the other change events. */
export function routingKeyDiffToEvents(diff: RoutingKeyDiff): EventDraft[] {
  return [
    ...diff.added.map(
      (routingKey): EventDraft => ({
        type: 'victorops.routing_key.added',
        subject: routingKey.routingKey,
        data: { routingKey },
      }),
    ),
    ...diff.changed.map(
      (c): EventDraft => ({
        type: 'victorops.routing_key.changed',
        subject: c.after.routingKey,
        data: { routingKey: c.after.routingKey, before: c.before, after: c.after, changes: c.changes },
      }),
    ),
    ...diff.removed.map(
      (routingKey): EventDraft => ({
        type: 'victorops.routing_key.removed',
        subject: routingKey.routingKey,
        data: { routingKey },
      }),
    ),
  ];
}

/**
 * The simulated org's routing keys (`GET /v1/org/routing-keys`): a key routes alerts to zero or
 * more escalation policies; the default key is `.+`. Deleting a policy deletes the keys whose only
 * target it was, as VictorOps does (test/fixtures/victorops/README.md).
 */
import { SimOrgError } from '../errors.js';

export interface SimRoutingKey {
  routingKey: string;
  /** Policy slugs, in the order they were set. */
  targets: string[];
  isDefault: boolean;
}

export interface RoutingKeyBook {
  list(): readonly SimRoutingKey[];
  /** Creates or replaces a key; every target must be a policy of the org. */
  set(key: SimRoutingKey): SimRoutingKey;
  remove(routingKey: string): void;
  /** A policy is gone: drop it from every key, and delete the keys whose only target it was. */
  policyRemoved(slug: string): void;
}

export function createRoutingKeyBook(deps: {
  hasPolicy: (slug: string) => boolean;
  initial?: readonly SimRoutingKey[];
}): RoutingKeyBook {
  const keys = new Map<string, SimRoutingKey>();
  const copy = (k: SimRoutingKey): SimRoutingKey => ({ ...k, targets: [...k.targets] });
  const book: RoutingKeyBook = {
    list: () => [...keys.values()].map(copy),
    set(key) {
      const routingKey = key.routingKey.trim();
      if (routingKey === '') throw new SimOrgError('invalid-routing-key', 'A routing key needs a name');
      for (const slug of key.targets)
        if (!deps.hasPolicy(slug)) throw new SimOrgError('policy-not-found', `Policy ${slug} was not found`);
      const next = { routingKey, targets: [...new Set(key.targets)], isDefault: key.isDefault };
      // One default key: setting a new default takes the flag from the old one.
      if (next.isDefault)
        for (const k of keys.values()) if (k.isDefault) keys.set(k.routingKey, { ...k, isDefault: false });
      keys.set(routingKey, next);
      return copy(next);
    },
    remove(routingKey) {
      if (!keys.delete(routingKey))
        throw new SimOrgError('routing-key-not-found', `Routing key ${routingKey} was not found`);
    },
    policyRemoved(slug) {
      for (const k of [...keys.values()]) {
        if (!k.targets.includes(slug)) continue;
        const targets = k.targets.filter((t) => t !== slug);
        if (targets.length === 0) keys.delete(k.routingKey);
        else keys.set(k.routingKey, { ...k, targets });
      }
    },
  };
  for (const k of deps.initial ?? []) book.set(k);
  return book;
}

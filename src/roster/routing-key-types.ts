/**
 * Routing keys as roster-watch keeps them: the shapes shared by the VictorOps adapter, the store,
 * the findings and the event contract; kept apart so the event contract can name them without
 * importing the diff (routing-keys.ts), which builds events.
 */

export interface RoutingKeyTarget {
  policySlug: string;
  /** The name VictorOps listed with the target. */
  policyName: string;
}

export interface RoutingKey {
  routingKey: string;
  /** The default key (`.+`): alerts no other key matches go to its targets. */
  isDefault: boolean;
  /** Sorted by policy slug, without duplicates; may be empty (the key routes nowhere). */
  targets: RoutingKeyTarget[];
}

export type RoutingKeyField = 'targets' | 'isDefault';

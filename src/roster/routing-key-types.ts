/**
 * Routing keys as roster-watch keeps them: the shapes shared by the VictorOps adapter, the store,
 * the findings and the event contract; kept apart so the event contract can name them without
 * importing the diff (routing-keys.ts), which builds events.
 */

/**
 * A routing key: its name, whether it is the default (`.+`), and its targets (sorted by policy
 * slug, without duplicates; may be empty). The shapes are the event catalogue's.
 */
import type { RoutingKey, RoutingKeyTarget } from '../contract/catalogue.js';

export type { RoutingKey, RoutingKeyTarget };

export type RoutingKeyField = 'targets' | 'isDefault';

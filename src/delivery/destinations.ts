/**
 * The delivery destination registry: one plugin per destination kind. A kind the routing knows
 * (DestinationKind in roster/delivery-plan.ts) without a plugin here fails the typecheck.
 */
import type { Dispatcher as UndiciDispatcher } from 'undici';
import type { Clock } from '../clock.js';
import type { Config } from '../config/load-config.js';
import { type DestinationKind, destinationSpecsFromConfig } from '../roster/delivery-plan.js';
import type { Store } from '../store/db.js';
import type { DestinationPlugin, DestinationRuntime } from './destination-runtime.js';
import { fileDestination } from './file-destination.js';
import { slackDestination } from './slack-destination.js';
import { webhookDestination } from './webhook-destination.js';

export const DESTINATION_PLUGINS: { readonly [K in DestinationKind]: DestinationPlugin<K> } = {
  webhook: webhookDestination,
  slack: slackDestination,
  file: fileDestination,
};

/** One runtime per configured destination, in the routing's order, each built by its kind's plugin. */
export function createDestinationRuntimes(deps: {
  store: Store;
  config: Config;
  clock: Clock;
  agent: UndiciDispatcher;
}): DestinationRuntime[] {
  const pluginDeps = {
    store: deps.store,
    delivery: deps.config.delivery,
    clock: deps.clock,
    agent: deps.agent,
  };
  const runtimes: DestinationRuntime[] = [];
  for (const spec of destinationSpecsFromConfig(deps.config.delivery)) {
    const sender = DESTINATION_PLUGINS[spec.kind].create(spec.name, pluginDeps);
    if (sender === null) continue;
    runtimes.push({ spec, ...sender, lastSendStartedMs: Number.NEGATIVE_INFINITY, pausedUntilMs: 0 });
  }
  return runtimes;
}

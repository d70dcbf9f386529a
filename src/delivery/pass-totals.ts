/** The counts a delivery pass reports, per destination and in total. */
import type { DeliveryOutcome } from './settle-attempt.js';

export interface DestinationPassSummary {
  attempted: number;
  delivered: number;
  failed: number;
  dead: number;
}

export interface PassSummary extends DestinationPassSummary {
  /** Unexpected errors (such as a database error) while handling a row; the row is due again later. */
  errors: number;
  /** Destinations that answered 410 during this pass and are now disabled. */
  disabledDuringPass: string[];
  /** Destinations skipped because they were already disabled. */
  skippedDisabled: string[];
  byDestination: Record<string, DestinationPassSummary>;
}

export type PassCounters = DestinationPassSummary & { errors: number };

export function createPassCounters(): PassCounters {
  return { attempted: 0, delivered: 0, failed: 0, dead: 0, errors: 0 };
}

/** A 410's `disabled` counts as failed: the row stays open for when the endpoint is re-enabled. */
export function countOutcome(counters: PassCounters, outcome: DeliveryOutcome): void {
  counters.attempted += 1;
  if (outcome === 'delivered') counters.delivered += 1;
  else if (outcome === 'dead') counters.dead += 1;
  else counters.failed += 1;
}

/** Adds up each destination's counters into the pass's summary. */
export function sumPassTotals(input: {
  byDestination: ReadonlyMap<string, PassCounters>;
  disabledDuringPass: readonly string[];
  skippedDisabled: readonly string[];
}): PassSummary {
  const summary: PassSummary = {
    ...createPassCounters(),
    disabledDuringPass: [...input.disabledDuringPass],
    skippedDisabled: [...input.skippedDisabled],
    byDestination: {},
  };
  for (const [name, c] of input.byDestination) {
    summary.byDestination[name] = {
      attempted: c.attempted,
      delivered: c.delivered,
      failed: c.failed,
      dead: c.dead,
    };
    summary.attempted += c.attempted;
    summary.delivered += c.delivered;
    summary.failed += c.failed;
    summary.dead += c.dead;
    summary.errors += c.errors;
  }
  return summary;
}

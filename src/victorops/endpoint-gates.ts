/**
 * Minimum intervals for endpoints with a limit of their own (VictorOps' `GET /v1/policies`: about
 * one a minute), on top of the client's overall pacing. Lives as long as the client, so the
 * interval holds across polls within a process.
 */
import { type Clock, monotonicNow } from '../clock.js';

export interface GatePass {
  /**
   * Must be called once: with `true` when the request is being sent (that instant starts the
   * next interval), `false` when it never was.
   */
  done(sent: boolean): void;
  /**
   * The request sent was refused as rate limited: it did not use the endpoint's allowance, so
   * the interval counts from the send before it again. Without this a retry of a refused policy
   * list call waited a whole minute, and a doctor beside a daemon took minutes.
   */
  refused(): void;
}

export interface EndpointGates {
  /** Waits for the endpoint's turn. */
  pass(endpoint: string, intervalMs: number, signal: AbortSignal): Promise<GatePass>;
}

/**
 * Per-endpoint minimum intervals. Callers queue per endpoint; each waits until the previous
 * request to it was actually sent (not merely let through) plus the interval.
 */
export function createEndpointGates(clock: Clock): EndpointGates {
  const gates = new Map<string, { lastSentMs: number | null; tail: Promise<void> }>();
  return {
    async pass(endpoint: string, intervalMs: number, signal: AbortSignal): Promise<GatePass> {
      let gate = gates.get(endpoint);
      if (gate === undefined) {
        gate = { lastSentMs: null, tail: Promise.resolve() };
        gates.set(endpoint, gate);
      }
      const state = gate;
      let finish: () => void = () => undefined;
      const mine = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const previous = state.tail;
      state.tail = previous.then(() => mine);
      await previous;
      try {
        for (;;) {
          // Monotonic, like the rate limiter: intervals are durations, not dates.
          const waitMs = state.lastSentMs === null ? 0 : state.lastSentMs + intervalMs - monotonicNow(clock);
          if (waitMs <= 0) break;
          await clock.sleep(waitMs, signal);
        }
      } catch (error) {
        finish();
        throw error;
      }
      const before = state.lastSentMs;
      let sentAtMs: number | null = null;
      return {
        done(sent) {
          if (sent) {
            sentAtMs = monotonicNow(clock);
            state.lastSentMs = sentAtMs;
          }
          finish();
        },
        refused() {
          // Only while no later send took the gate since.
          if (sentAtMs !== null && state.lastSentMs === sentAtMs) state.lastSentMs = before;
        },
      };
    },
  };
}

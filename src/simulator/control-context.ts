/** What the simulator's control routes may change; shared by the roster and the policy control routes. */
import type { SimContactBook } from './contacts.js';
import type { FaultInjector } from './faults.js';
import type { SimOrg } from './org.js';
import type { RateLimitConfig } from './rate-limit.js';
import type { RequestLog } from './request-log.js';

export interface ControlContext {
  org: SimOrg;
  contacts: SimContactBook;
  faults: FaultInjector;
  stats: RequestLog;
  setLatency(ms: number): void;
  setRateLimit(config: RateLimitConfig | null): void;
  setPolicyListLimit(perMinute: number): void;
  applyDrift(count: number): string[];
}

export { createDriftEngine, type DriftDeps, type DriftEngine } from './drift.js';
export { FAULT_KINDS, type FaultInjector, type FaultKind, type FaultSpec } from './faults.js';
export { type GenerateOrgOptions, generateOrg } from './generate.js';
export {
  type GraphFake,
  type GraphFakeOptions,
  type GraphFakeUser,
  startGraphFake,
} from './identity/graph-fake.js';
export {
  type OktaFake,
  type OktaFakeOptions,
  type OktaFakePerson,
  startOktaFake,
} from './identity/okta-fake.js';
export {
  createSimOrg,
  type NewSimUser,
  type SimMembership,
  type SimOrg,
  type SimOrgCounts,
  SimOrgError,
  type SimOrgErrorCode,
  type SimOrgInput,
  type SimOrgSnapshot,
  type SimTeam,
  type SimUser,
  type SimUserUpdate,
} from './org.js';
export type {
  NewSimPolicy,
  SimPolicy,
  SimPolicyEntry,
  SimPolicyStep,
  SimPolicyUpdate,
  SimShift,
} from './policies.js';
export { createRandom, type Random } from './random.js';
export type { RateLimitConfig } from './rate-limit.js';
export {
  createRequestLog,
  type RequestCountFilter,
  type RequestLog,
  type RequestLogEntry,
} from './request-log.js';
export { type Simulator, type SimulatorOptions, startSimulator } from './simulator.js';

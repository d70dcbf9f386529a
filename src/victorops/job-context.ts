/**
 * Which job a VictorOps request belongs to, carried through the async calls of that job
 * (AsyncLocalStorage), so the shared rate budget can serve roster polls before policy polls before
 * bulk work, and the client can count each job's requests apart: two jobs running at once in one
 * process must not count each other's requests.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Served in this order when several wait for the key's budget; see rate-budget.ts for the share. */
export const PRIORITIES = ['roster', 'policy', 'bulk'] as const;
export type RequestPriority = (typeof PRIORITIES)[number];

/** The job names the daemon reports (a small fixed set, so they can be metric labels). */
export const JOB_NAMES = ['roster', 'policy', 'contacts', 'other'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export interface JobScope {
  job: JobName;
  priority: RequestPriority;
}

const storage = new AsyncLocalStorage<JobScope>();

/** Runs `work` as `job`: every VictorOps request it makes, however deep, is that job's. */
export function runAsJob<T>(scope: JobScope, work: () => Promise<T>): Promise<T> {
  return storage.run(scope, work);
}

/** Outside any job (a one-shot command's own reads): counted as `other`, served first. */
const NO_JOB: JobScope = { job: 'other', priority: 'roster' };

export function currentJob(): JobScope {
  return storage.getStore() ?? NO_JOB;
}

/** True inside runAsJob. */
export function inJob(): boolean {
  return storage.getStore() !== undefined;
}

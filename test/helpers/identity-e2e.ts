/** Shared steps of the identity e2e suites: the CLI, the open findings and identity events. */

import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import type { CloudEvent } from '../../src/roster/events.js';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { runCli, simulatorCliEnv, tempDatabase } from './cli.js';
import { assertValidEvent } from './event-schema.js';

export interface OpenIdentityFinding {
  kind: string;
  username: string | null;
  message: string;
  finding: { exposure?: { policies: { slug: string }[]; teams: unknown[] } };
}

export function identityCli(env: () => Record<string, string>) {
  const cli = async (args: string[], extra: Record<string, string> = {}, code = 0) => {
    const r = await runCli(args, { ...env(), ...extra });
    expect(r.code, `${args.join(' ')}: ${r.stdout}\n${r.stderr}`).toBe(code);
    return r;
  };
  return {
    cli,
    async events(): Promise<CloudEvent[]> {
      const out = await cli(['history', '--json', '--type', 'rosterwatch.identity.*']);
      const events = JSON.parse(out.stdout) as CloudEvent[];
      for (const e of events) assertValidEvent(e);
      return events;
    },
    async open(extra: Record<string, string> = {}): Promise<OpenIdentityFinding[]> {
      return JSON.parse((await cli(['identity', '--json'], extra)).stdout) as OpenIdentityFinding[];
    },
  };
}

export const stateOf = (e: CloudEvent) => (e.data as { state: string }).state;
export const usernameOf = (e: CloudEvent) => (e.data as { username: string | null }).username;

/** A user paged directly by a policy step: the leaver whose exposure the sentence must name. */
export function pagedUser(sim: Simulator): { username: string; policyName: string; policySlug: string } {
  for (const policy of sim.org.listPolicies()) {
    for (const step of policy.steps) {
      for (const entry of step.entries) {
        if (entry.executionType === 'user' && sim.org.getUser(entry.username))
          return { username: entry.username, policyName: policy.name, policySlug: policy.slug };
      }
    }
  }
  throw new Error('the generated org has no entry paging a user directly');
}

/** Gives every simulated user an address, so only the accounts a test leaves out are unmatched. */
export function giveEveryoneAnEmail(sim: Simulator): void {
  for (const u of sim.org.listUsers()) {
    if (u.email === null)
      sim.org.updateUser(u.username, {
        firstName: u.firstName,
        lastName: u.lastName,
        email: `${u.username.toLowerCase()}@example.com`,
      });
  }
}

/** A simulated org of 30 where everyone has an address, a fresh database, and the CLI's env with IDENTITY_FILE. */
export async function startFileIdentityOrg(
  seed: number,
): Promise<{ sim: Simulator; env: Record<string, string>; file: string }> {
  const sim = await startSimulator({ users: 30, teams: 6, seed, policyListPerMinute: 0 });
  giveEveryoneAnEmail(sim);
  const db = tempDatabase();
  const file = join(dirname(db), 'people.csv');
  const env = simulatorCliEnv(sim, {
    DATABASE_PATH: db,
    POLICY_LIST_MIN_INTERVAL_MS: '50',
    LOG_LEVEL: 'warn',
    IDENTITY_FILE: file,
  });
  return { sim, env, file };
}

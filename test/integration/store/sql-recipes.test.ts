/**
 * The SQL recipes in docs/sql-recipes.md run against a real history: each one must execute, and the ones
 * with a checkable answer must give it. Keeps the documentation honest when the schema moves.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';
import { openStore, type Store } from '../../../src/store/db.js';
import { tempDatabase } from '../../helpers/cli.js';
import { pollOnce, simConfig, withApp } from '../../helpers/sim-app.js';

const recipesPage = readFileSync(
  resolve(import.meta.dirname, '..', '..', '..', 'docs', 'sql-recipes.md'),
  'utf8',
);
const recipes = [...recipesPage.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);
const today = new Date().toISOString().slice(0, 10);
const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

let sim: Simulator;
let store: Store;

/** Moves a recipe's example dates to today, so it asks about the history this test made. */
function forToday(sql: string): string {
  return sql
    .replaceAll('2026-03-04', tomorrow)
    .replaceAll('2026-03-03T12:00:00Z', new Date().toISOString())
    .replaceAll('2026-03-03', today);
}

function run(sql: string): Record<string, unknown>[] {
  return store.sqlite.prepare(sql).all() as Record<string, unknown>[];
}

function recipe(containing: string): string {
  const found = recipes.find((r) => r.includes(containing));
  if (!found) throw new Error(`no recipe in docs/sql-recipes.md contains ${containing}`);
  return forToday(found);
}

beforeAll(async () => {
  sim = await startSimulator({ users: 20, teams: 4, seed: 8 });
  const [payments, other] = sim.org.listTeams();
  sim.org.renameTeam(payments!.slug, 'Payments On-Call');
  sim.org.addUser({ username: 'jdoe', firstName: 'Jane', lastName: 'Doe', email: 'jane@old.example' });
  sim.org.addMember(other!.slug, 'jdoe');
  // The history is made by the App's own polls, as `roster-watch poll` makes it.
  const path = tempDatabase();
  const config = simConfig(sim, path, { MEMBERSHIP_SOURCE: 'team', REMOVAL_GUARD_MIN: '100' });
  await pollOnce(config);
  sim.org.updateUser('jdoe', { firstName: 'Jane', lastName: 'Doe', email: 'jane@new.example' });
  sim.org.addMember(payments!.slug, 'jdoe');
  const leaver = sim.org.listUsers().find((u) => u.username !== 'jdoe')!;
  sim.org.removeUser(leaver.username);
  await pollOnce(config);
  // A routing key to a policy renamed "DB primary", recorded by a policy poll.
  const policy = sim.org.listPolicies()[0]!;
  sim.org.updatePolicy(policy.slug, { name: 'DB primary' });
  sim.org.setRoutingKey({ routingKey: 'db-critical', targets: [policy.slug], isDefault: false });
  sim.org.setRoutingKey({ routingKey: 'elsewhere', targets: [], isDefault: false });
  await withApp(config, (app) => app.pollPolicies(new AbortController().signal));
  // The recipes are read-only, as a person runs them: a read-only connection of the test's own.
  store = openStore(path, { readonly: true });
});

afterAll(async () => {
  store.close();
  await sim.close();
});

describe('SQL recipes in docs/sql-recipes.md', () => {
  it('there are recipes to check', () => {
    expect(recipes.length).toBeGreaterThanOrEqual(6);
  });

  it('every recipe runs', () => {
    for (const sql of recipes) expect(() => run(forToday(sql)), sql).not.toThrow();
  });

  it('who had access to the payments rotation today includes jdoe', () => {
    expect(run(recipe("Payments On-Call'\n  AND m.valid_from")).map((r) => r.username)).toContain('jdoe');
  });

  it('removed in the last 7 days lists the leaver', () => {
    expect(run(recipe("type = 'victorops.user.removed'"))).toHaveLength(1);
  });

  it('which teams was jdoe on finds both teams now', () => {
    expect(run(recipe("m.username_key = lower('jdoe')"))).toHaveLength(2);
  });

  it('when did jdoe’s email change gives the old and the new address', () => {
    expect(run(recipe('old_email'))).toEqual([
      expect.objectContaining({ old_email: 'jane@old.example', new_email: 'jane@new.example' }),
    ]);
  });

  it('which routing keys targeted a policy on a day names the key that did, not the one that did not', () => {
    expect(run(recipe('json_each(k.targets)')).map((r) => r.routing_key)).toEqual(['db-critical']);
  });

  it('who joined the team this month is the change, not the baseline', () => {
    expect(run(recipe("type = 'victorops.membership.added'")).map((r) => r.username)).toEqual(['jdoe']);
  });
});

/**
 * `roster-watch offboard-check <username>`: live reads (the user's teams, the policies, the
 * teams' schedules) with the recorded history as the fallback for whatever cannot be read.
 * Only GET requests. Exit 0: nothing references the user; 3: references remain; 1: error.
 */
import { createVictorOpsClientFromConfig, openConfiguredStore } from '../app.js';
import { systemClock } from '../clock.js';
import { CliExit, VictorOpsError } from '../errors.js';
import { formatUtcMinute } from '../roster/coverage-events.js';
import { buildOffboardReport, type ReadSource } from '../roster/offboard.js';
import {
  mergeFailedPolicies,
  mergeFailedSchedules,
  type Policy,
  type TeamSchedule,
} from '../roster/policies.js';
import type { Team } from '../roster/types.js';
import { usernameKey } from '../roster/types.js';
import { loadCurrentRoster } from '../store/history.js';
import { claimPolicyListCall, loadCurrentPolicies, loadTeamSchedules } from '../store/policies.js';
import { hasPolicyBaseline } from '../store/runs.js';
import { fetchPolicies } from '../victorops/fetch-policies.js';
import { fetchUserTeams } from '../victorops/fetch-user-teams.js';
import type { CliContext } from './context.js';
import { describeOffboardIdentity, loadOffboardIdentityStatus } from './offboard-identity.js';
import { createCliLogger, loadCliConfig } from './setup.js';

/** Exit code when something still references the user: distinct from 1 (error) and 2 (usage). */
export const OFFBOARD_REFERENCES_REMAIN = 3;
/** Exit code when no escalation policies could be read live or from the history: cannot tell. */
export const OFFBOARD_UNKNOWN = 4;

export async function runOffboardCheck(ctx: CliContext, username: string, json: boolean): Promise<void> {
  const config = loadCliConfig(ctx, true);
  const logger = createCliLogger(config);
  const store = openConfiguredStore(config);
  const client = createVictorOpsClientFromConfig(config, { logger });
  const notes: string[] = [];
  try {
    const roster = loadCurrentRoster(store);
    const key = usernameKey(username);
    const rosterTeams = new Map((roster?.teams ?? []).map((t) => [t.slug, t]));

    let teams: Team[];
    let teamsSource: ReadSource = 'live';
    let existsInVictorOps: boolean | null = null;
    try {
      const live = await fetchUserTeams(client, username, ctx.signal);
      existsInVictorOps = live !== null;
      teams = live ?? [];
      if (live === null) notes.push(`VictorOps does not know a user ${username} (404)`);
    } catch (error) {
      if (!(error instanceof VictorOpsError) || ctx.signal.aborted) throw error;
      teamsSource = 'stored';
      teams = (roster?.memberships ?? [])
        .filter((m) => usernameKey(m.username) === key)
        .map((m) => rosterTeams.get(m.teamSlug) ?? { slug: m.teamSlug, name: m.teamSlug });
      notes.push(`could not read the user's teams live (${error.message}): used the recorded memberships`);
    }

    const storedPolicies = loadCurrentPolicies(store);
    const storedSchedules = loadTeamSchedules(store);
    let policies: Policy[] = storedPolicies;
    let schedules: TeamSchedule[] = storedSchedules;
    let policySource: ReadSource = 'stored';
    const permit = claimPolicyListCall(store, systemClock.now(), config.coverage.policyListMinIntervalMs);
    if (!permit.ok) {
      notes.push(
        `the policy list was read ${Math.round((systemClock.now() - permit.lastCallMs) / 1000)} s ago and VictorOps allows about one call a minute: used the recorded policies and schedules (try again in ${Math.ceil(permit.retryInMs / 1000)} s for live data)`,
      );
    } else {
      try {
        const allTeams = new Map(rosterTeams);
        for (const t of teams) allTeams.set(t.slug, t);
        const fetched = await fetchPolicies({
          client,
          clock: systemClock,
          teams: [...allTeams.values()],
          daysForward: config.coverage.daysForward,
          concurrency: config.victorOps.concurrency,
          signal: ctx.signal,
        });
        policies = mergeFailedPolicies(storedPolicies, fetched.policies, fetched.failedScopes);
        schedules = mergeFailedSchedules(storedSchedules, fetched.schedules, fetched.failedScopes);
        policySource = 'live';
        if (fetched.failedScopes.length > 0) {
          notes.push(
            `${fetched.failedScopes.length} policies or schedules could not be read live: used their recorded versions`,
          );
        }
      } catch (error) {
        if (!(error instanceof VictorOpsError) || ctx.signal.aborted) throw error;
        notes.push(
          `could not read the policies live (${error.message}): used the recorded policies and schedules`,
        );
      }
    }
    if (policySource === 'stored' && storedPolicies.length === 0) {
      notes.push('no policies are recorded yet: run `roster-watch policy-poll`');
    }

    const teamNames = new Map<string, string>();
    for (const t of rosterTeams.values()) teamNames.set(t.slug, t.name);
    for (const s of schedules) teamNames.set(s.team.slug, s.team.name);
    for (const t of teams) teamNames.set(t.slug, t.name);
    const report = buildOffboardReport({
      username,
      teams,
      policies,
      schedules,
      teamNames,
      now: new Date(systemClock.now()).toISOString(),
    });
    const sources = { teams: teamsSource, policies: policySource, schedules: policySource };
    const identity = loadOffboardIdentityStatus(
      config,
      store,
      username,
      new Date(systemClock.now()).toISOString(),
    );
    // No live read and nothing recorded: "nothing references them" would be a guess, and a wrong
    // "safe to delete" is exactly the gap this command exists to close.
    const policiesUnknown = policySource === 'stored' && !hasPolicyBaseline(store);
    if (policiesUnknown && report.safeToDelete) {
      const unknown = { ...report, safeToDelete: false };
      notes.push(
        'cannot tell whether escalation policies or shifts still reference them: none could be read live and none are recorded',
      );
      if (json)
        ctx.exact(
          JSON.stringify(
            { ...unknown, verdict: 'unknown', existsInVictorOps, sources, notes, identity },
            null,
            2,
          ),
        );
      else {
        ctx.out(`offboard-check ${report.username}: cannot tell yet, do not delete`);
        for (const note of notes) ctx.out(`note: ${note}`);
        for (const line of describeOffboardIdentity(identity)) ctx.out(line);
      }
      throw new CliExit(OFFBOARD_UNKNOWN, '');
    }
    if (json) {
      ctx.exact(
        JSON.stringify(
          {
            ...report,
            verdict: report.safeToDelete ? 'safe' : 'references-remain',
            existsInVictorOps,
            sources,
            notes,
            identity,
          },
          null,
          2,
        ),
      );
    } else {
      printReport(ctx, report, sources, existsInVictorOps, notes);
      for (const line of describeOffboardIdentity(identity)) ctx.out(line);
    }
    if (!report.safeToDelete) throw new CliExit(OFFBOARD_REFERENCES_REMAIN, '');
  } finally {
    await client.close();
    store.close();
  }
}

function printReport(
  ctx: CliContext,
  report: ReturnType<typeof buildOffboardReport>,
  sources: { teams: ReadSource; policies: ReadSource; schedules: ReadSource },
  exists: boolean | null,
  notes: string[],
): void {
  const u = report.username;
  const verdict = report.safeToDelete
    ? 'nothing references them: safe to delete'
    : `${report.teams.length} teams, ${report.policySteps.length} policy steps and ${report.shifts.length} upcoming shifts involve them: do not delete yet`;
  ctx.out(`offboard-check ${u}${exists === false ? ' (not a VictorOps user)' : ''}: ${verdict}`);
  ctx.out(`sources: teams ${sources.teams}, policies ${sources.policies}, schedules ${sources.schedules}`);
  for (const note of notes) ctx.out(`note: ${note}`);
  ctx.out(`teams (${report.teams.length}):${report.teams.length === 0 ? ' none' : ''}`);
  for (const t of report.teams) ctx.out(`  - ${t.name} (${t.slug})`);
  ctx.out(
    `escalation policy steps (${report.policySteps.length}):${report.policySteps.length === 0 ? ' none' : ''}`,
  );
  for (const p of report.policySteps)
    ctx.out(
      `  - '${p.policy.name}' (${p.policy.slug}), team ${p.team.name}, step ${p.step} (steps count from 1)`,
    );
  ctx.out(`upcoming on-call shifts (${report.shifts.length}):${report.shifts.length === 0 ? ' none' : ''}`);
  for (const s of report.shifts)
    ctx.out(
      `  - team ${s.team.name}, rotation '${s.rotationName}', shift '${s.shiftName}': ${formatUtcMinute(s.start)} → ${formatUtcMinute(s.end)}`,
    );
  ctx.out('what to do, in order:');
  for (const [i, a] of report.actions.entries()) ctx.out(`  ${i + 1}. ${a}`);
}

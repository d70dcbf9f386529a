/**
 * What `offboard-check` needs to know about one user: live reads (the user's teams, the policies,
 * the teams' schedules; GET only) with the recorded history as the fallback for whatever cannot
 * be read, and what the identity sources last said. The CLI only prints it.
 */
import type { Clock } from '../clock.js';
import type { Config } from '../config/load-config.js';
import { VictorOpsError } from '../errors.js';
import { describeIdentityFinding } from '../roster/identity-events.js';
import { findExemption } from '../roster/identity-match.js';
import type { Exemption } from '../roster/identity-types.js';
import { buildOffboardReport, type OffboardReport, type ReadSource } from '../roster/offboard.js';
import { mergeFailedPolicies, mergeFailedSchedules } from '../roster/policies.js';
import type { Policy, PolicyFailedScope, TeamSchedule } from '../roster/policy-types.js';
import { type Team, usernameKey } from '../roster/types.js';
import type { Store } from '../store/db.js';
import { loadCurrentRoster, loadRemovedUsers } from '../store/history.js';
import { loadIdentitySourceStates, loadOpenIdentityFindingsFor } from '../store/identity.js';
import {
  claimPolicyListCall,
  loadCurrentPolicies,
  loadTeamSchedules,
  loadUnreadPolicies,
  releasePolicyListClaim,
} from '../store/policies.js';
import { loadCurrentRoutingKeys } from '../store/routing-keys.js';
import { hasCompletePolicyPoll, hasPolicyBaseline } from '../store/runs.js';
import type { VictorOpsClient } from '../victorops/client.js';
import { fetchPolicies } from '../victorops/fetch-policies.js';
import { fetchUserTeams } from '../victorops/fetch-user-teams.js';

export interface OffboardFacts {
  report: OffboardReport;
  sources: { teams: ReadSource; policies: ReadSource; schedules: ReadSource };
  /** null when the user's teams could not be read live. */
  existsInVictorOps: boolean | null;
  notes: string[];
  identity: OffboardIdentityStatus;
  /** No policy could be read live and none are recorded: "nothing references them" would be a guess. */
  policiesUnknown: boolean;
  /**
   * Listed policies and team schedules that could not be read and have no recorded version to
   * stand in (one recorded by or after the last complete policy poll): "safe" cannot be said.
   */
  unread: UnreadScope[];
  /**
   * VictorOps answered 404 for them, the history never recorded them and nothing references them:
   * most likely a typo. `suggestions` are the recorded usernames closest to what was typed.
   */
  unknownUser: { suggestions: string[] } | null;
}

export interface UnreadScope {
  kind: 'policy' | 'team-schedule';
  /** The policy or team slug. */
  slug: string;
  name: string;
  reason: string;
}

/**
 * The failed scopes nothing recorded can stand in for. A recorded version counts only when a
 * complete policy poll exists: then it is that poll's reading or a later one.
 */
function unreadScopes(
  failed: readonly PolicyFailedScope[],
  stored: { policies: readonly Policy[]; schedules: readonly TeamSchedule[]; complete: boolean },
): UnreadScope[] {
  const policies = new Set(stored.policies.map((p) => p.slug));
  const teams = new Set(stored.schedules.map((s) => s.team.slug));
  return failed.flatMap((f): UnreadScope[] => {
    if (f.kind === 'policy')
      return stored.complete && policies.has(f.slug)
        ? []
        : [{ kind: 'policy', slug: f.slug, name: f.name ?? f.slug, reason: f.reason }];
    // Routing keys do not decide whether a user can leave safely: their recorded state stands.
    if (f.kind === 'routing-keys') return [];
    return stored.complete && teams.has(f.teamSlug)
      ? []
      : [{ kind: 'team-schedule', slug: f.teamSlug, name: f.teamSlug, reason: f.reason }];
  });
}

export async function gatherOffboardFacts(
  deps: { config: Config; store: Store; client: VictorOpsClient; clock: Clock },
  username: string,
  signal: AbortSignal,
): Promise<OffboardFacts> {
  const { config, store, client, clock } = deps;
  const notes: string[] = [];
  const roster = loadCurrentRoster(store);
  const key = usernameKey(username);
  const rosterTeams = new Map((roster?.teams ?? []).map((t) => [t.slug, t]));

  let teams: Team[];
  let teamsSource: ReadSource = 'live';
  let existsInVictorOps: boolean | null = null;
  try {
    const live = await fetchUserTeams(client, username, signal);
    existsInVictorOps = live !== null;
    teams = live ?? [];
    if (live === null) notes.push(`VictorOps does not know a user ${username} (404)`);
  } catch (error) {
    if (!(error instanceof VictorOpsError) || signal.aborted) throw error;
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
  let routingKeys = loadCurrentRoutingKeys(store);
  // Until a live read says otherwise: what the last policy poll listed but could not read.
  let unread: UnreadScope[] = loadUnreadPolicies(store).map((p) => ({
    kind: 'policy',
    slug: p.slug,
    name: p.name,
    reason: p.reason,
  }));
  const permit = claimPolicyListCall(store, clock.now(), config.coverage.policyListMinIntervalMs);
  if (!permit.ok) {
    notes.push(
      `the policy list was read ${Math.round((clock.now() - permit.lastCallMs) / 1000)} s ago and VictorOps allows about one call a minute: used the recorded policies and schedules (try again in ${Math.ceil(permit.retryInMs / 1000)} s for live data)`,
    );
  } else {
    try {
      const allTeams = new Map(rosterTeams);
      for (const t of teams) allTeams.set(t.slug, t);
      const fetched = await fetchPolicies({
        client,
        clock: clock,
        teams: [...allTeams.values()],
        daysForward: config.coverage.daysForward,
        concurrency: config.victorOps.concurrency,
        signal: signal,
      });
      policies = mergeFailedPolicies(storedPolicies, fetched.policies, fetched.failedScopes);
      schedules = mergeFailedSchedules(storedSchedules, fetched.schedules, fetched.failedScopes);
      policySource = 'live';
      if (fetched.routingKeys) routingKeys = fetched.routingKeys;
      unread = unreadScopes(fetched.failedScopes, {
        policies: storedPolicies,
        schedules: storedSchedules,
        complete: hasCompletePolicyPoll(store),
      });
      if (fetched.failedScopes.length > 0) {
        notes.push(
          `${fetched.failedScopes.length} policies or schedules could not be read live: used their recorded versions`,
        );
      }
    } catch (error) {
      // Failed or stopped before the list request was sent: the claim goes back (a no-op once sent).
      releasePolicyListClaim(store, permit);
      if (!(error instanceof VictorOpsError) || signal.aborted) throw error;
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
    now: new Date(clock.now()).toISOString(),
    reach: {
      routingKeys,
      users: new Set((roster?.users ?? []).map((u) => usernameKey(u.username))),
      daysForward: config.coverage.daysForward,
      unreadPolicies: new Set(unread.flatMap((s) => (s.kind === 'policy' ? [s.slug] : []))),
    },
  });
  const sources = { teams: teamsSource, policies: policySource, schedules: policySource };
  const identity = loadOffboardIdentityStatus(config, store, username, new Date(clock.now()).toISOString());
  // No live read and nothing recorded: "nothing references them" would be a guess, and a wrong
  // "safe to delete" is exactly the gap this command exists to close.
  const policiesUnknown = policySource === 'stored' && !hasPolicyBaseline(store);
  const neverSeen =
    existsInVictorOps === false &&
    report.safeToDelete &&
    !(roster?.users ?? []).some((u) => usernameKey(u.username) === key) &&
    !loadRemovedUsers(store).has(key);
  const unknownUser = neverSeen
    ? {
        suggestions: closestUsernames(
          key,
          (roster?.users ?? []).map((u) => u.username),
        ),
      }
    : null;
  return { report, sources, existsInVictorOps, notes, identity, policiesUnknown, unread, unknownUser };
}

/** Up to three usernames within a few edits of `key`, closest first. */
function closestUsernames(key: string, usernames: readonly string[]): string[] {
  const limit = Math.max(2, Math.floor(key.length / 3));
  return usernames
    .map((name) => ({ name, d: editDistance(key, usernameKey(name)) }))
    .filter((c) => c.d <= limit)
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, 3)
    .map((c) => c.name);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

export interface OffboardIdentityStatus {
  /** `not-configured`: no identity source; `unknown`: configured but never synced; `exempt`: not checked. */
  status: 'not-configured' | 'unknown' | 'ok' | 'findings' | 'exempt';
  /** The exemption that covers the user, whatever the status. */
  exemption: Exemption | null;
  findings: { kind: string; firstSeen: string; message: string }[];
  /** When the identity sources were last read successfully (the oldest of them), or null. */
  syncedAt: string | null;
}

export function loadOffboardIdentityStatus(
  config: Config,
  store: Store,
  username: string,
  now: string,
): OffboardIdentityStatus {
  const id = config.identity;
  const configured = id.file !== null || id.ldap !== null || id.okta !== null || id.entra !== null;
  const states = loadIdentitySourceStates(store);
  const findings = loadOpenIdentityFindingsFor(store, usernameKey(username)).map((o) => ({
    kind: o.finding.kind,
    firstSeen: o.firstSeen,
    message: describeIdentityFinding(o.finding, now),
  }));
  const successes = states.map((s) => s.lastSuccessAt).filter((s): s is string => s !== null);
  const syncedAt = successes.length === 0 ? null : (successes.sort()[0] ?? null);
  const exemption = findExemption(id.exemptions, username) ?? null;
  if (findings.length > 0) return { status: 'findings', findings, syncedAt, exemption };
  if (!configured) return { status: 'not-configured', findings, syncedAt, exemption };
  if (exemption !== null) return { status: 'exempt', findings, syncedAt, exemption };
  return { status: syncedAt === null ? 'unknown' : 'ok', findings, syncedAt, exemption };
}

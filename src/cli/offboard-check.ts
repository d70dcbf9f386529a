/**
 * `roster-watch offboard-check <username>`: live reads (the user's teams, the policies, the
 * teams' schedules) with the recorded history as the fallback for whatever cannot be read.
 * Only GET requests. Exit 0: nothing references the user; 3: references remain; 4: cannot tell;
 * 1: error.
 */
import { createApp } from '../app.js';
import { CliExit, InvalidOptionError } from '../errors.js';
import { formatUtcMinute } from '../roster/coverage-events.js';
import type { buildOffboardReport, ReadSource } from '../roster/offboard.js';
import type { CliContext } from './context.js';
import { describeOffboardIdentity } from './offboard-identity.js';
import { createCliLogger, loadCliConfig } from './setup.js';

/** Exit code when something still references the user: distinct from 1 (error) and 2 (usage). */
export const OFFBOARD_REFERENCES_REMAIN = 3;
/**
 * Exit code when it cannot tell: no escalation policies could be read live or from the history,
 * or a listed policy or schedule could not be read and no recorded version stands in for it.
 */
export const OFFBOARD_UNKNOWN = 4;

export async function runOffboardCheck(ctx: CliContext, username: string, json: boolean): Promise<void> {
  const config = loadCliConfig(ctx, true);
  const logger = createCliLogger(config);
  const app = createApp({ config, logger });
  try {
    const { report, sources, existsInVictorOps, notes, identity, policiesUnknown, unread, unknownUser } =
      await app.offboardCheck(username, ctx.signal);
    if (unknownUser) {
      // A typo must not read as "safe to delete".
      const hint =
        unknownUser.suggestions.length > 0 ? `; did you mean ${unknownUser.suggestions.join(', ')}?` : '';
      throw new InvalidOptionError(
        `"${username}" is not a VictorOps user, was never recorded, and nothing references it${hint}`,
      );
    }
    for (const u of unread)
      notes.push(
        `could not read ${u.kind === 'policy' ? `escalation policy '${u.name}' (${u.slug})` : `the on-call schedule of team ${u.slug}`} and no recorded version stands in for it (${u.reason})`,
      );
    if ((policiesUnknown || unread.length > 0) && report.safeToDelete) {
      const unknown = { ...report, safeToDelete: false };
      notes.push(
        policiesUnknown
          ? 'cannot tell whether escalation policies or shifts still reference them: none could be read live and none are recorded'
          : `cannot tell whether the ${unread.length} unread ${unread.length === 1 ? 'policy or schedule references' : 'policies or schedules reference'} them: try again later`,
      );
      if (json)
        ctx.exact(
          JSON.stringify(
            { ...unknown, verdict: 'unknown', existsInVictorOps, sources, notes, identity, unread },
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
            unread,
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
    await app.close();
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
  ctx.out(
    `routing keys that would reach nobody without them (${report.routingKeys.length}):${report.routingKeys.length === 0 ? ' none' : ''}`,
  );
  for (const k of report.routingKeys) ctx.out(`  - ${k.routingKey}: from ${k.from} to ${k.until}`);
  ctx.out('what to do, in order:');
  for (const [i, a] of report.actions.entries()) ctx.out(`  ${i + 1}. ${a}`);
}

/**
 * Slack messages for roster-watch's own notices (baseline, guard, polling health, a disabled
 * endpoint): one short message each, saying what happened and what to do about it.
 */
import { type CloudEvent, type EventDataByType, isCoverageEvent, isIdentityEvent } from '../roster/events.js';
import {
  codeSpan,
  contextBlock,
  escapeMrkdwn,
  fallbackText,
  headerBlock,
  type SlackMessage,
  sectionBlock,
  truncate,
} from './slack-blocks.js';
import { formatCoverageNotice } from './slack-coverage.js';
import { formatIdentityNotice } from './slack-identity.js';

interface NoticeParts {
  title: string;
  body: string;
  fields?: string[];
}

const ERROR_MAX = 300;

function percent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}

function describe(event: CloudEvent): NoticeParts {
  if (isCoverageEvent(event.type)) return formatCoverageNotice(event);
  if (isIdentityEvent(event.type)) return formatIdentityNotice(event);
  const esc = (s: string, max = 200) => escapeMrkdwn(truncate(s, max));
  switch (event.type) {
    case 'rosterwatch.baseline': {
      const d = event.data as EventDataByType['rosterwatch.baseline'];
      return {
        title: 'Roster baseline recorded',
        body: `roster-watch recorded the current roster as its starting point: ${d.users} users, ${d.teams} teams, ${d.memberships} memberships (read by ${esc(d.strategy)}). Changes from now on are reported here.`,
      };
    }
    case 'rosterwatch.guard.held': {
      const d = event.data as EventDataByType['rosterwatch.guard.held'];
      const sample = d.sampleUsernames.slice(0, 10).map((u) => codeSpan(u, 60));
      return {
        title: '⚠️ Mass removal held back',
        // Events stored before the team guard existed carry no team counts.
        body: `This poll would remove *${d.removedUsers} of ${d.knownUsers} users* (${percent(d.fraction)})${
          d.removedTeams ? ` and *${d.removedTeams} of ${d.knownTeams} teams*` : ''
        }, above the guard (${percent(d.threshold.maxFraction)} and at least ${d.threshold.min}). Nothing is recorded as removed until ${d.confirmationsRequired} polls in a row agree or an operator accepts it (\`roster-watch accept\`).`,
        fields: [
          `*Confirmations*\n${d.confirmations} of ${d.confirmationsRequired}`,
          `*Sample*\n${sample.length > 0 ? sample.join(', ') : '_none_'}`,
        ],
      };
    }
    case 'rosterwatch.guard.released': {
      const d = event.data as EventDataByType['rosterwatch.guard.released'];
      return {
        title: 'Mass removal released',
        body: `The removal of ${d.removedUsers} users held since run ${d.heldSinceRunId} was ${d.how === 'accepted' ? 'accepted by an operator' : 'confirmed by consecutive polls'} and is now recorded.`,
      };
    }
    case 'rosterwatch.poll.failing': {
      const d = event.data as EventDataByType['rosterwatch.poll.failing'];
      // Events stored before policy polls existed carry no `poll`: they were roster polls.
      const policy = d.poll === 'policy';
      return {
        title: policy ? '🔴 Escalation-policy polling is failing' : '🔴 Roster polling is failing',
        body: `${d.consecutiveFailures} ${policy ? 'policy polls' : 'polls'} in a row have failed since ${esc(d.since)}. ${
          policy
            ? 'Policy changes and coverage findings are not being detected'
            : 'Roster changes are not being detected'
        } until polling recovers.\nLast error: ${codeSpan(d.lastError, ERROR_MAX)}`,
      };
    }
    case 'rosterwatch.poll.recovered': {
      const d = event.data as EventDataByType['rosterwatch.poll.recovered'];
      return {
        title: d.poll === 'policy' ? '✅ Escalation-policy polling recovered' : '✅ Roster polling recovered',
        body: `Polling works again after ${d.failedRuns} failed run${d.failedRuns === 1 ? '' : 's'} (failing since ${esc(d.since)}).`,
      };
    }
    case 'rosterwatch.endpoint.disabled': {
      const d = event.data as EventDataByType['rosterwatch.endpoint.disabled'];
      return {
        title: 'Webhook endpoint disabled',
        body: `${codeSpan(d.destination, 64)} answered ${d.statusCode} (${esc(d.reason)}), so roster-watch stopped sending to it. Its undelivered events are kept. Re-enable it with ${codeSpan(`roster-watch endpoints enable ${d.destination}`, 120)}; to replay what it already received, use ${codeSpan(`roster-watch redeliver --since ${event.time} --destination ${d.destination}`, 200)}.`,
      };
    }
    case 'rosterwatch.endpoint.enabled': {
      const d = event.data as EventDataByType['rosterwatch.endpoint.enabled'];
      const waiting = `${d.waiting} deliver${d.waiting === 1 ? 'y' : 'ies'}`;
      return {
        title: 'Delivery destination enabled again',
        body: `${codeSpan(d.destination, 64)} was re-enabled; it had been disabled since ${esc(d.disabledAt)} (${esc(d.reason)}). Its ${waiting} kept meanwhile go out now. Events that went dead or that it missed before it was disabled can be replayed with ${codeSpan(`roster-watch redeliver --since ${d.disabledAt} --destination ${d.destination}`, 200)}.`,
      };
    }
    case 'rosterwatch.hints.unreliable': {
      const d = event.data as EventDataByType['rosterwatch.hints.unreliable'];
      return {
        title: 'Membership hints proved unreliable',
        body: `VictorOps contradicted itself about team ${codeSpan(d.team.name, 100)}: ${d.listedMemberCount === undefined ? 'its members as read did not match the `memberCount` in the team list' : `the team list gave \`memberCount\` ${d.listedMemberCount}, but reading its members gave ${d.readMemberCount ?? '?'}`}. Until the counts agree for a whole verify interval (\`MEMBERSHIP_VERIFY_INTERVAL\`), every poll reads every team: more API requests, nothing missed. The hints are then followed again on their own, or at once with ${codeSpan('roster-watch hints --reset', 60)}.`,
      };
    }
    default:
      return { title: `roster-watch: ${truncate(event.type, 100)}`, body: esc(event.subject) };
  }
}

export function formatNotice(event: CloudEvent): SlackMessage {
  const parts = describe(event);
  const blocks = [
    headerBlock(parts.title),
    sectionBlock(parts.body, parts.fields),
    contextBlock(`roster-watch · ${escapeMrkdwn(event.time)}`),
  ];
  return { text: fallbackText(`${parts.title}: ${parts.body}`), blocks };
}

/**
 * Slack notices for identity findings: the finding's sentence ("jdoe left (Okta: DEPROVISIONED 3
 * days ago) but is still paged by Payments primary and on call Friday") under a title per kind. Pure.
 */
import type { CloudEvent, IdentityEventData } from '../roster/events.js';
import { escapeMrkdwn, truncate } from './slack-blocks.js';

const TITLES: Record<string, string> = {
  'identity.inactive': 'Leaver still in VictorOps',
  'identity.unmatched': 'VictorOps account matches no person',
  'identity.mismatch': 'VictorOps profile differs from the identity source',
  'identity.source_failing': 'Identity source cannot be read',
};

const LINE_MAX = 600;

export function formatIdentityNotice(event: CloudEvent): { title: string; body: string } {
  const d = event.data as IdentityEventData;
  const title = TITLES[d.kind] ?? d.kind;
  if (d.state === 'resolved') {
    const how =
      d.kind === 'identity.source_failing'
        ? 'The source is read again.'
        : 'The VictorOps account is gone or matches an active person now.';
    return {
      title: `✅ Resolved: ${title}`,
      body: `${how} It was: ${escapeMrkdwn(truncate(d.message, LINE_MAX))} (open since ${escapeMrkdwn(d.firstSeen)}).`,
    };
  }
  return {
    title: d.kind === 'identity.source_failing' ? `🔴 ${title}` : `⚠️ ${title}`,
    body: `${escapeMrkdwn(truncate(d.message, LINE_MAX))}\nSee all open identity findings with \`roster-watch identity\`.`,
  };
}

/**
 * The entries of an escalation policy step: who or what a step pages, each keyed by its target,
 * as compact text, and upgraded from the forms older versions recorded. Pure.
 */

import type { PolicyEntry } from '../contract/catalogue.js';
import { usernameKey } from './types.js';
import { wellFormed } from './well-formed.js';

/** Who in a rotation group a step pages: whoever is on call now, next, or previously. */
export { ROTATION_TYPES, type RotationType } from '../contract/names.js';
/**
 * Who a step pages, keyed by its target so two users (or two webhooks) in one step stay two
 * entries and swapping one for another is a change: a user directly, a rotation group, an email
 * address, a webhook, another policy (`policy_routing`), a team (no documented target), or a type
 * roster-watch does not know, kept with its raw target. Its shape is the event catalogue's.
 */
export type { PolicyEntry };

/** The identity of an entry within a step: its type and its target. */
export function entryKey(entry: PolicyEntry): string {
  switch (entry.kind) {
    case 'user':
      return `u\u0000${usernameKey(entry.username)}`;
    case 'rotation':
      return `r\u0000${entry.executionType}\u0000${entry.rotationSlug}`;
    case 'email':
      return `e\u0000${entry.address.toLowerCase()}`;
    case 'webhook':
      return `w\u0000${entry.webhookSlug}`;
    case 'policy':
      return `p\u0000${entry.policySlug}`;
    default:
      return `x\u0000${entry.executionType}\u0000${entry.target}`;
  }
}

/**
 * Trims, makes the text well-formed as SQLite would store it (well-formed.ts), and upgrades entries
 * recorded by older versions (rotations without `executionType`, `other` without a target, text
 * with a lone surrogate) so a stored policy compares equal to the same policy read now.
 */
export function normaliseEntry(e: PolicyEntry): PolicyEntry {
  switch (e.kind) {
    case 'user':
      return { kind: 'user', username: wellFormed(e.username.trim()) };
    case 'rotation':
      return {
        kind: 'rotation',
        executionType: e.executionType ?? 'rotation_group',
        rotationSlug: wellFormed(e.rotationSlug.trim()),
        rotationLabel: wellFormed(e.rotationLabel.trim()),
      };
    case 'email':
      return { kind: 'email', address: wellFormed(e.address.trim()) };
    case 'webhook':
      return { kind: 'webhook', webhookSlug: wellFormed(e.webhookSlug.trim()) };
    case 'policy':
      return { kind: 'policy', policySlug: wellFormed(e.policySlug.trim()) };
    case 'team':
      return { kind: 'team', executionType: e.executionType, target: wellFormed(e.target ?? '') };
    default:
      return {
        kind: 'other',
        executionType: wellFormed(e.executionType.trim()),
        target: wellFormed(e.target ?? ''),
      };
  }
}

/** One entry as compact text: `jdoe`, `@rtg-1 (next)`, `email:a@b`, `webhook:wh-1`, `policy:pol-2`. */
export function describeEntry(e: PolicyEntry): string {
  switch (e.kind) {
    case 'user':
      return e.username;
    case 'rotation': {
      const which = e.executionType === 'rotation_group' ? '' : ` (${e.executionType.slice(15)})`;
      return `@${e.rotationSlug}${which}`;
    }
    case 'email':
      return `email:${e.address}`;
    case 'webhook':
      return `webhook:${e.webhookSlug}`;
    case 'policy':
      return `policy:${e.policySlug}`;
    default:
      return `(${e.executionType}${e.target === '' || e.target === '{}' ? '' : ` ${e.target}`})`;
  }
}

/**
 * One entry as people read it: a user by username, a rotation by its label with "(next)" or
 * "(previous)" when the step pages the next or previous person of the rotation, as the events
 * say it; the rest as `describeEntry`.
 */
export function entryLabel(e: PolicyEntry): string {
  if (e.kind === 'user') return e.username;
  if (e.kind !== 'rotation') return describeEntry(e);
  return e.executionType === 'rotation_group'
    ? e.rotationLabel
    : `${e.rotationLabel} (${e.executionType.slice(15)})`;
}

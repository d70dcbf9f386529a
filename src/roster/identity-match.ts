/**
 * Joins VictorOps users to identities: by email (case-insensitive, every address of an identity),
 * then by the optional rule (username = an address's local part), then by the explicit mapping.
 * Built around one index of the identities, so 100,000 identities cost one pass. Pure.
 */
import type { Exemption, Identity, MatchedBy, MatchSettings } from './identity-types.js';
import type { User } from './types.js';
import { usernameKey } from './types.js';

/** One identity (the common case) or several; a single one is not wrapped, to spare memory at 100k. */
type Bucket = Identity | Identity[];

export interface IdentityIndex {
  byEmail(email: string): Identity[] | undefined;
  byLocalPart(localPart: string): Identity[] | undefined;
}

export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

function localPart(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 0 ? email : email.slice(0, at);
}

function put(map: Map<string, Bucket>, key: string, identity: Identity): void {
  const bucket = map.get(key);
  if (bucket === undefined) map.set(key, identity);
  else if (Array.isArray(bucket)) {
    if (!bucket.includes(identity)) bucket.push(identity);
  } else if (bucket !== identity) map.set(key, [bucket, identity]);
}

function lookup(map: Map<string, Bucket>, key: string): Identity[] | undefined {
  const bucket = map.get(key);
  return bucket === undefined ? undefined : Array.isArray(bucket) ? bucket : [bucket];
}

/** `localParts`: also index by the part before the @ (only the local-part rule needs it). */
export function indexIdentities(
  identities: readonly Identity[],
  options: { localParts: boolean },
): IdentityIndex {
  const emails = new Map<string, Bucket>();
  const locals = new Map<string, Bucket>();
  for (const identity of identities) {
    for (const email of identity.emails) {
      const key = emailKey(email);
      if (key === '') continue;
      put(emails, key, identity);
      if (options.localParts) put(locals, localPart(key), identity);
    }
  }
  return { byEmail: (e) => lookup(emails, emailKey(e)), byLocalPart: (l) => lookup(locals, l) };
}

/** A person is one primary address: several sources describing them agree on it. */
function distinctPeople(identities: readonly Identity[]): number {
  return new Set(identities.map((i) => emailKey(i.emails[0] ?? i.id))).size;
}

export type UserMatch =
  | { kind: 'exempt'; exemption: Exemption }
  | { kind: 'matched'; by: MatchedBy; identities: Identity[] }
  | { kind: 'unmatched' };

function patternToRegExp(pattern: string): RegExp {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'i');
}

export function createMatcher(index: IdentityIndex, settings: MatchSettings): (user: User) => UserMatch {
  const exemptions = settings.exemptions.map((e) => ({ exemption: e, re: patternToRegExp(e.pattern) }));
  return (user) => {
    const exempt = exemptions.find((e) => e.re.test(user.username));
    if (exempt) return { kind: 'exempt', exemption: exempt.exemption };
    if (user.email !== null) {
      const found = index.byEmail(user.email);
      if (found) return { kind: 'matched', by: 'email', identities: found };
    }
    if (settings.rule === 'local-part') {
      const found = index.byLocalPart(usernameKey(user.username));
      // Two different people share the local part (jdoe@a.com, jdoe@b.com): guessing could call
      // the wrong person a leaver, so the rule does not match and the mapping file decides.
      if (found && distinctPeople(found) === 1) return { kind: 'matched', by: 'rule', identities: found };
    }
    const mapped = settings.explicit.get(usernameKey(user.username));
    if (mapped !== undefined) {
      const found = index.byEmail(mapped);
      if (found) return { kind: 'matched', by: 'mapping', identities: found };
    }
    return { kind: 'unmatched' };
  };
}

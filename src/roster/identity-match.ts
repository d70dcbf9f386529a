/**
 * Joins VictorOps users to identities: an exemption first, then the explicit mapping, then email
 * (every address of an identity, compared by emailKey), then the optional rule (username = an
 * address's local part).
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

/** `jane+oncall` is `jane`: the tag after a plus is a filter of the same mailbox. */
function localKey(local: string): string {
  const plus = local.indexOf('+');
  return plus > 0 ? local.slice(0, plus) : local;
}

/** An internationalised domain as its ASCII (punycode) form, so `bücher.example` is `xn--bcher-kva.example`. */
function asciiDomain(domain: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range, not a control character
  if (/^[\x00-\x7f]*$/.test(domain)) return domain;
  try {
    return new URL(`http://${domain}`).hostname;
  } catch {
    return domain;
  }
}

/**
 * The key two addresses are compared by: trimmed, Unicode NFC, case-insensitive, without a
 * `+tag`, and with the domain in its ASCII form.
 */
export function emailKey(email: string): string {
  const t = email.trim().normalize('NFC').toLowerCase();
  const at = t.lastIndexOf('@');
  if (at < 0) return t;
  return `${localKey(t.slice(0, at))}@${asciiDomain(t.slice(at + 1))}`;
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

/** The keys a matcher can ask an index for: everything else need not be indexed. */
export interface IndexWanted {
  emails: ReadonlySet<string>;
  localParts: ReadonlySet<string>;
}

/**
 * The email keys and local parts `createMatcher` looks up for these users and settings: the
 * mapped addresses, the users' addresses and, under the local-part rule, their usernames.
 */
export function wantedKeys(
  users: readonly Pick<User, 'username' | 'email'>[],
  settings: MatchSettings,
): IndexWanted {
  const emails = new Set<string>();
  const localParts = new Set<string>();
  for (const mapped of settings.explicit.values()) emails.add(emailKey(mapped));
  for (const user of users) {
    if (user.email !== null) emails.add(emailKey(user.email));
    if (settings.rule === 'local-part') localParts.add(userLocalKey(user));
  }
  return { emails, localParts };
}

/** Every key of `wanted` is also one of `than`'s: what was kept for `than` covers `wanted` too. */
export function wantsNoMoreThan(wanted: IndexWanted, than: IndexWanted): boolean {
  for (const k of wanted.emails) if (!than.emails.has(k)) return false;
  for (const k of wanted.localParts) if (!than.localParts.has(k)) return false;
  return true;
}

/**
 * Whether an index built with `wanted` would hold this identity under some key (the test
 * indexIdentities applies): an identity for which it is false can never be matched, so a source
 * need not keep it (issue 21).
 */
export function canMatch(identity: Identity, wanted: IndexWanted): boolean {
  for (const email of identity.emails) {
    const key = emailKey(email);
    if (key === '') continue;
    if (wanted.emails.has(key)) return true;
    if (wanted.localParts.size > 0 && wanted.localParts.has(localPart(key))) return true;
  }
  return false;
}

function userLocalKey(user: Pick<User, 'username'>): string {
  return localKey(usernameKey(user.username).normalize('NFC'));
}

/**
 * `localParts`: also index by the part before the @ (only the local-part rule needs it).
 * `wanted`: index only these keys (wantedKeys), so 100,000 identities against 20,000 users hold
 * an index of at most the users' keys, not one entry per address of every identity (issue 21);
 * a lookup of any other key then finds nothing.
 */
export function indexIdentities(
  identities: readonly Identity[],
  options: { localParts: boolean; wanted?: IndexWanted },
): IdentityIndex {
  const emails = new Map<string, Bucket>();
  const locals = new Map<string, Bucket>();
  const wanted = options.wanted;
  for (const identity of identities) {
    for (const email of identity.emails) {
      const key = emailKey(email);
      if (key === '') continue;
      if (wanted === undefined || wanted.emails.has(key)) put(emails, key, identity);
      if (!options.localParts) continue;
      const local = localPart(key);
      if (wanted === undefined || wanted.localParts.has(local)) put(locals, local, identity);
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
  /** `mappedTo`: the mapping names an address no source holds. */
  | { kind: 'unmatched'; mappedTo?: string };

function patternToRegExp(pattern: string): RegExp {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'i');
}

/** The exemption that covers a username, if any (for `offboard-check` and the pages). */
export function findExemption(exemptions: readonly Exemption[], username: string): Exemption | undefined {
  return exemptions.find((e) => patternToRegExp(e.pattern).test(username));
}

/**
 * Order: an exemption, then the explicit mapping (configuration is never overruled by a guess),
 * then the exact email, then the optional local-part rule.
 */
export function createMatcher(index: IdentityIndex, settings: MatchSettings): (user: User) => UserMatch {
  const exemptions = settings.exemptions.map((e) => ({ exemption: e, re: patternToRegExp(e.pattern) }));
  return (user) => {
    const exempt = exemptions.find((e) => e.re.test(user.username));
    if (exempt) return { kind: 'exempt', exemption: exempt.exemption };
    const mapped = settings.explicit.get(usernameKey(user.username));
    if (mapped !== undefined) {
      const found = index.byEmail(mapped);
      return found
        ? { kind: 'matched', by: 'mapping', identities: found }
        : { kind: 'unmatched', mappedTo: mapped };
    }
    if (user.email !== null) {
      const found = index.byEmail(user.email);
      if (found) return { kind: 'matched', by: 'email', identities: found };
    }
    if (settings.rule === 'local-part') {
      const found = index.byLocalPart(userLocalKey(user));
      // Two different people share the local part (jdoe@a.com, jdoe@b.com): guessing could call
      // the wrong person a leaver, so the rule does not match.
      if (found && distinctPeople(found) === 1) return { kind: 'matched', by: 'rule', identities: found };
    }
    return { kind: 'unmatched' };
  };
}

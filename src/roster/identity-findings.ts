/**
 * Identity findings from one sync: which sources can be trusted this time (a failed read, or one
 * that shrank past the removal guard, is not), and, only when every source can, the per-user
 * findings. A source that could not be read never turns into "everyone is unmatched". Pure.
 */
import { type ExposureInput, indexExposure } from './identity-exposure.js';
import { createMatcher, emailKey, type IndexWanted, indexIdentities, wantedKeys } from './identity-match.js';
import type {
  Exposure,
  FieldDifference,
  Identity,
  IdentityFinding,
  IdentityFindingsDiff,
  IdentityRef,
  MatchSettings,
  OpenIdentityFinding,
  RecordConflict,
} from './identity-types.js';
import { compareText } from './normalise.js';
import { isPendingInvitee, type Membership, type User, usernameKey } from './types.js';

export type SourceReadResult =
  | {
      ok: true;
      /**
       * The identities read; with `summary`, only those a recorded user can match (canMatch), the
       * summary standing for the whole read.
       */
      identities: Identity[];
      summary?: ReadSummary;
      /** False when the source (a file) has no status column: everyone listed counts as active. */
      statusColumn?: boolean;
    }
  | { ok: false; error: string };

/** A status value no mapping recognises, and how many identities of one read carry it. */
export interface UnknownStatus {
  value: string;
  count: number;
}

export interface SourceState {
  name: string;
  /** Identities in the last read that was accepted; null before the first. */
  lastCount: number | null;
  /** Active and inactive identities in the last accepted read; null before the first. */
  lastActive: number | null;
  lastInactive: number | null;
  lastSuccessAt: string | null;
  /** When the current streak of failed or held reads began; null while healthy. */
  failingSince: string | null;
  lastError: string | null;
  /** Consecutive held reads that agree (the same identities and statuses); a failed read resets it. */
  heldReads: number;
  /** What the held reads agree on (a fingerprint of identities and statuses); null while none is held. */
  heldFingerprint: string | null;
  /** An accepted read had a status column: from then on a read without one fails. */
  statusColumnSeen: boolean;
  /** Identities of the last read whose status is not recognised. */
  unknownCount: number;
  /** Those statuses, most common first (at most UNKNOWN_STATUSES_KEPT). */
  unknownStatuses: UnknownStatus[];
}

export const UNKNOWN_STATUSES_KEPT = 10;

export type SourceVerdict = 'ok' | 'failed' | 'held';

export interface SourceDecision {
  name: string;
  verdict: SourceVerdict;
  /** Identities read this time (failed: 0). */
  read: number;
  next: SourceState;
}

export interface ShrinkGuard {
  maxFraction: number;
  min: number;
  confirmations: number;
}

export function initialSourceState(name: string): SourceState {
  return {
    name,
    lastCount: null,
    lastActive: null,
    lastInactive: null,
    lastSuccessAt: null,
    failingSince: null,
    lastError: null,
    heldReads: 0,
    heldFingerprint: null,
    statusColumnSeen: false,
    unknownCount: 0,
    unknownStatuses: [],
  };
}

/** What decideSource needs of a whole read, tallied as the records go by (ReadTally). */
export interface ReadSummary {
  count: number;
  active: number;
  inactive: number;
  /** The unrecognised statuses, most common first (at most UNKNOWN_STATUSES_KEPT). */
  unknown: UnknownStatus[];
  unknownCount: number;
  /** Of the identities and their statuses: held reads count towards confirmation only while it is the same. */
  fingerprint: string;
}

/** One record's part of a ReadTally (its two hashes, and what it counted as). */
export interface TallyShare {
  a: number;
  b: number;
  active: boolean | null;
  status: string;
}

const hex = (n: number) => n.toString(16).padStart(8, '0');

/**
 * Tallies a read one identity at a time, so a source can drop the identities no user can match
 * and still hand the removal guard its figures (issue 21). The fingerprint hashes each record
 * (its id, first address's key and status; FNV-1a and a multiplicative lane) and adds the hashes
 * up, so it does not depend on the order of the records and keeps two numbers, not the records.
 */
export class ReadTally {
  private count = 0;
  private active = 0;
  private inactive = 0;
  private unknownCount = 0;
  private readonly unknown = new Map<string, number>();
  private a = 0;
  private b = 0;

  /** Counts the record in; what it returns is its share, for `remove` if a later record replaces it. */
  add(identity: Identity): TallyShare {
    this.count++;
    if (identity.active === true) this.active++;
    else if (identity.active === false) this.inactive++;
    else {
      this.unknownCount++;
      this.unknown.set(identity.status, (this.unknown.get(identity.status) ?? 0) + 1);
    }
    const record = `${identity.id}\u0000${emailKey(identity.emails[0] ?? '')}\u0000${String(identity.active)}`;
    let a = 0x811c9dc5;
    let b = 0x01000193;
    for (let k = 0; k < record.length; k++) {
      const c = record.charCodeAt(k);
      a = Math.imul(a ^ c, 0x01000193) >>> 0;
      b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
    }
    this.a = (this.a + a) >>> 0;
    this.b = (this.b + b) >>> 0;
    return { a, b, active: identity.active, status: identity.status };
  }

  /**
   * Takes a record back out (its share from `add`): the summary is then that of the records
   * without it, fingerprint included, since the fingerprint is a sum.
   */
  remove(share: TallyShare): void {
    this.count--;
    if (share.active === true) this.active--;
    else if (share.active === false) this.inactive--;
    else {
      this.unknownCount--;
      const left = (this.unknown.get(share.status) ?? 0) - 1;
      if (left > 0) this.unknown.set(share.status, left);
      else this.unknown.delete(share.status);
    }
    this.a = (this.a - share.a) >>> 0;
    this.b = (this.b - share.b) >>> 0;
  }

  summary(): ReadSummary {
    const unknown = [...this.unknown]
      .map(([value, count]) => ({ value, count }))
      .sort((x, y) => y.count - x.count || compareText(x.value, y.value))
      .slice(0, UNKNOWN_STATUSES_KEPT);
    return {
      count: this.count,
      active: this.active,
      inactive: this.inactive,
      unknown,
      unknownCount: this.unknownCount,
      fingerprint: `${hex(this.a)}${hex((this.b ^ Math.imul(this.count, 0x9e3779b1)) >>> 0)}`,
    };
  }
}

/** A whole read's summary (a source that hands over every identity). */
export function summariseRead(identities: readonly Identity[]): ReadSummary {
  const tally = new ReadTally();
  for (const i of identities) tally.add(i);
  return tally.summary();
}

/** "Leaver ×3, Terminated - Voluntary ×1". */
export function describeUnknownStatuses(values: readonly UnknownStatus[], total: number): string {
  const listed = values.map((v) => `${v.value} ×${v.count}`).join(', ');
  const shown = values.reduce((n, v) => n + v.count, 0);
  return total > shown ? `${listed}, …` : listed;
}

/** A drop past the guard: at least `min` (and 1) and more than the fraction of what was there. */
function dropped(before: number | null, after: number, guard: ShrinkGuard): number | null {
  if (before === null) return null;
  const lost = before - after;
  return lost >= Math.max(guard.min, 1) && lost > guard.maxFraction * before ? lost : null;
}

/** Why a read looks like a broken export rather than people leaving, or null when it does not. */
function suspicion(prev: SourceState, count: number, c: ReadSummary, guard: ShrinkGuard): string | null {
  const reasons: string[] = [];
  const lost = dropped(prev.lastCount, count, guard);
  if (lost !== null)
    reasons.push(
      `read ${count} identities, ${lost} fewer than the ${prev.lastCount} of the last accepted read`,
    );
  const lostActive = dropped(prev.lastActive, c.active, guard);
  if (lostActive !== null)
    reasons.push(
      `${c.active} active, ${lostActive} fewer than the ${prev.lastActive} of the last accepted read`,
    );
  const lostInactive = dropped(prev.lastInactive, c.inactive, guard);
  if (lostInactive !== null)
    reasons.push(
      `${c.inactive} inactive, ${lostInactive} fewer than the ${prev.lastInactive} of the last accepted read`,
    );
  return reasons.length === 0 ? null : reasons.join('; ');
}

function failed(
  prev: SourceState,
  now: string,
  error: string,
  read: Partial<SourceState> = {},
): SourceDecision {
  return {
    name: prev.name,
    verdict: 'failed',
    read: 0,
    // A failure ends any run of agreeing held reads: confirmation starts again afterwards.
    next: {
      ...prev,
      ...read,
      failingSince: prev.failingSince ?? now,
      lastError: error,
      heldReads: 0,
      heldFingerprint: null,
    },
  };
}

/**
 * Decides whether one source's read is trusted, like the roster's removal guard: a read that lost
 * more identities, or more active or inactive ones, than the guard allows is held until
 * `confirmations` consecutive reads agree on the same identities and statuses; a failed read resets.
 */
export function decideSource(
  name: string,
  previous: SourceState | undefined,
  result: SourceReadResult,
  guard: ShrinkGuard,
  now: string,
): SourceDecision {
  const prev: SourceState = { ...initialSourceState(name), ...previous, name };
  if (!result.ok) return failed(prev, now, result.error);
  const c = result.summary ?? summariseRead(result.identities);
  const count = c.count;
  // No company has zero people: an empty read is a wrong filter, an empty export or a token that
  // sees nothing, and reconciling against it would call every VictorOps user unmatched.
  if (count === 0)
    return failed(
      prev,
      now,
      'read 0 identities: an empty source is treated as an outage (check the filter, the export or the permissions)',
    );
  const seen = { unknownCount: c.unknownCount, unknownStatuses: c.unknown };
  const statusColumn = result.statusColumn !== false;
  if (!statusColumn && prev.statusColumnSeen)
    return failed(
      prev,
      now,
      "the status column of earlier reads is gone (renamed?): without it nobody's status can be read (set IDENTITY_FILE_COLUMNS status=<its new name>)",
      seen,
    );
  if (c.unknownCount === count)
    return failed(
      prev,
      now,
      `no identity has a status this source recognises (${describeUnknownStatuses(c.unknown, c.unknownCount)}): map the values with IDENTITY_FILE_STATUS_MAP`,
      seen,
    );
  const suspicious = suspicion(prev, count, c, guard);
  if (suspicious !== null) {
    const fingerprint = c.fingerprint;
    const agreeing = (prev.heldFingerprint === fingerprint ? prev.heldReads : 0) + 1;
    if (agreeing < guard.confirmations) {
      return {
        name,
        verdict: 'held',
        read: count,
        next: {
          ...prev,
          ...seen,
          failingSince: prev.failingSince ?? now,
          lastError: `${suspicious}: held until ${guard.confirmations} reads in a row agree (${agreeing} so far)`,
          heldReads: agreeing,
          heldFingerprint: fingerprint,
        },
      };
    }
  }
  return {
    name,
    verdict: 'ok',
    read: count,
    next: {
      ...initialSourceState(name),
      ...seen,
      lastCount: count,
      lastActive: c.active,
      lastInactive: c.inactive,
      lastSuccessAt: now,
      statusColumnSeen: prev.statusColumnSeen || statusColumn,
    },
  };
}

export function sourceFailingFinding(decision: SourceDecision): IdentityFinding {
  return {
    kind: 'identity.source_failing',
    key: `identity.source_failing:${decision.name}`,
    username: null,
    source: decision.name,
    reason: decision.next.lastError ?? decision.verdict,
    since: decision.next.failingSince ?? '',
  };
}

export interface ComputeIdentityFindingsInput extends ExposureInput {
  identities: readonly Identity[];
  settings: MatchSettings;
  /** Names of the sources whose identities are given. */
  sources: readonly string[];
  /** The findings open before this sync: a leaver whose status turned unknown keeps theirs. */
  open?: readonly OpenIdentityFinding[];
  /** Receives each pair of disagreeing records of one source for one user, and which was taken. */
  conflicts?: RecordConflict[];
  /**
   * The memberships of these users (usernameKey), when `roster.memberships` was left empty: only
   * the users with a finding need theirs, for their exposure (issue 21).
   */
  membershipsOf?: (usernameKeys: ReadonlySet<string>) => readonly Membership[];
  /** wantedKeys(roster.users, settings), when the caller has it already. */
  wanted?: IndexWanted;
}

function nameOf(user: User): string | null {
  if (user.displayName) return user.displayName;
  const parts = [user.firstName, user.lastName].filter((p): p is string => p !== null && p !== '');
  return parts.length > 0 ? parts.join(' ') : null;
}

/** "Doe, John", "john  doe" and the decomposed (NFD) spelling are the same name: compare the sorted words. */
function nameKey(name: string): string {
  return name
    .normalize('NFC')
    .toLowerCase()
    .split(/[\s,.]+/)
    .filter((w) => w !== '')
    .sort()
    .join(' ');
}

export function refOf(identity: Identity): IdentityRef {
  return {
    source: identity.source,
    id: identity.id,
    email: identity.emails[0] ?? null,
    displayName: identity.displayName,
    status: identity.status,
    statusChangedAt: identity.statusChangedAt,
  };
}

function differencesOf(user: User, identity: Identity, checkEmail: boolean): FieldDifference[] {
  const out: FieldDifference[] = [];
  if (checkEmail) {
    const has =
      user.email !== null && identity.emails.some((e) => emailKey(e) === emailKey(user.email ?? ''));
    if (!has) out.push({ field: 'email', victorops: user.email, identity: identity.emails[0] ?? null });
  }
  const voName = nameOf(user);
  if (voName !== null && identity.displayName !== null && nameKey(voName) !== nameKey(identity.displayName)) {
    out.push({ field: 'name', victorops: voName, identity: identity.displayName });
  }
  return out;
}

const timeOf = (i: Identity) => (i.statusChangedAt === null ? Number.NaN : Date.parse(i.statusChangedAt));

/**
 * One record per source: a source holding several records for the person (a re-hire next to the
 * old termination) is read by its newest record by status date; without dates on all of them, an
 * active record wins over an inactive one and the conflict is reported.
 */
function onePerSource(
  username: string,
  identities: Identity[],
  conflicts: RecordConflict[] | undefined,
): Identity[] {
  const bySource = new Map<string, Identity[]>();
  for (const i of identities) {
    const list = bySource.get(i.source);
    if (list) list.push(i);
    else bySource.set(i.source, [i]);
  }
  if (bySource.size === identities.length) return identities;
  const out: Identity[] = [];
  for (const [source, records] of bySource) {
    const first = records[0];
    if (first === undefined) continue;
    if (records.length === 1 || records.every((r) => r.active === first.active)) {
      out.push(first);
      continue;
    }
    const dated = records.every((r) => !Number.isNaN(timeOf(r)));
    const taken = dated
      ? records.reduce((a, b) => (timeOf(b) > timeOf(a) ? b : a))
      : (records.find((r) => r.active === true) ?? first);
    out.push(taken);
    conflicts?.push({
      username,
      source,
      statuses: records.map((r) => r.status),
      taken: refOf(taken),
      rule: dated ? 'newest' : 'active',
    });
  }
  return out;
}

/** The per-user findings, sorted by key. Call only when every source's read was trusted. */
export function computeIdentityFindings(input: ComputeIdentityFindingsInput): IdentityFinding[] {
  const findings = computeWithoutExposure(input);
  // Only the users with a finding need their exposure: indexed for them alone, after matching.
  const users = findings.filter((f) => f.kind !== 'identity.source_failing');
  const only = new Set(users.map((f) => usernameKey(f.username)));
  const roster = input.membershipsOf
    ? { ...input.roster, memberships: [...input.membershipsOf(only)] }
    : input.roster;
  const exposure = indexExposure({ ...input, roster }, only);
  for (const f of users) f.exposure = exposure(f.username);
  return findings;
}

/** Every finding has no exposure yet (computeIdentityFindings fills it in). */
const NO_EXPOSURE: Exposure = { teams: [], policies: [], shifts: [], shiftCount: 0 };

function computeWithoutExposure(input: ComputeIdentityFindingsInput): IdentityFinding[] {
  const exposure = (_username: string): Exposure => NO_EXPOSURE;
  const match = createMatcher(
    indexIdentities(input.identities, {
      localParts: input.settings.rule === 'local-part',
      wanted: input.wanted ?? wantedKeys(input.roster.users, input.settings),
    }),
    input.settings,
  );
  const openInactive = new Map<string, Extract<IdentityFinding, { kind: 'identity.inactive' }>>();
  for (const o of input.open ?? [])
    if (o.finding.kind === 'identity.inactive') openInactive.set(o.finding.key, o.finding);
  const sources = [...input.sources];
  const findings: IdentityFinding[] = [];
  for (const user of input.roster.users) {
    const m = match(user);
    const key = usernameKey(user.username);
    const pending = isPendingInvitee(user.username);
    if (m.kind === 'exempt') continue;
    if (m.kind === 'unmatched') {
      findings.push({
        kind: 'identity.unmatched',
        key: `identity.unmatched:${key}`,
        username: user.username,
        email: user.email,
        sources,
        pending,
        mappedTo: m.mappedTo ?? null,
        exposure: exposure(user.username),
      });
      continue;
    }
    const identities = onePerSource(user.username, m.identities, input.conflicts);
    // A guess whose names differ is never enough to call someone a leaver: it is a mismatch.
    const inactive = identities.filter(
      (i) => i.active === false && !(m.by === 'rule' && differencesOf(user, i, false).length > 0),
    );
    const inactiveKey = `identity.inactive:${key}`;
    if (inactive.length > 0) {
      findings.push({
        kind: 'identity.inactive',
        key: inactiveKey,
        username: user.username,
        email: user.email,
        matchedBy: m.by,
        identities: inactive.map(refOf),
        activeElsewhere: identities.filter((i) => i.active === true).map(refOf),
        statusUnknown: null,
        pending,
        exposure: exposure(user.username),
      });
      continue;
    }
    const unknown = identities.filter((i) => i.active === null);
    const wasLeaver = openInactive.get(inactiveKey);
    if (wasLeaver !== undefined && unknown.length > 0 && !identities.some((i) => i.active === true)) {
      // Unknown is not active: the leaver stays a leaver until a source says otherwise.
      findings.push({
        ...wasLeaver,
        username: user.username,
        email: user.email,
        statusUnknown: unknown.map(refOf),
        pending,
        exposure: exposure(user.username),
      });
      continue;
    }
    for (const identity of identities) {
      const differences = differencesOf(user, identity, m.by !== 'email');
      if (differences.length === 0) continue;
      findings.push({
        kind: 'identity.mismatch',
        key: `identity.mismatch:${key}`,
        username: user.username,
        matchedBy: m.by,
        identity: refOf(identity),
        differences,
        exposure: exposure(user.username),
      });
      break;
    }
  }
  return findings.sort((a, b) => compareText(a.key, b.key));
}

export function diffIdentityFindings(
  open: readonly OpenIdentityFinding[],
  computed: readonly IdentityFinding[],
): IdentityFindingsDiff {
  const openKeys = new Set(open.map((o) => o.finding.key));
  const computedKeys = new Set(computed.map((f) => f.key));
  return {
    appeared: computed.filter((f) => !openKeys.has(f.key)),
    resolved: open.filter((o) => !computedKeys.has(o.finding.key)),
    still: computed.filter((f) => openKeys.has(f.key)),
  };
}

/**
 * What this sync concludes. When a source cannot be trusted, the per-user findings stay exactly as
 * they were (neither opened nor resolved) and only the source's own finding opens.
 */
export function planIdentityFindings(input: {
  decisions: readonly SourceDecision[];
  open: readonly OpenIdentityFinding[];
  computeUsers: () => IdentityFinding[];
}): { computed: IdentityFinding[]; usersFrozen: boolean } {
  const failing = input.decisions.filter((d) => d.verdict !== 'ok').map(sourceFailingFinding);
  if (failing.length > 0) {
    const kept = input.open.map((o) => o.finding).filter((f) => f.kind !== 'identity.source_failing');
    return { computed: [...kept, ...failing].sort((a, b) => compareText(a.key, b.key)), usersFrozen: true };
  }
  return { computed: input.computeUsers(), usersFrozen: false };
}

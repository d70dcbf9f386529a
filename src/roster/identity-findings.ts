/**
 * Identity findings from one sync: which sources can be trusted this time (a failed read, or one
 * that shrank past the removal guard, is not), and, only when every source can, the per-user
 * findings. A source that could not be read never turns into "everyone is unmatched". Pure.
 */
import { type ExposureInput, indexExposure } from './identity-exposure.js';
import { createMatcher, emailKey, indexIdentities } from './identity-match.js';
import type {
  FieldDifference,
  Identity,
  IdentityFinding,
  IdentityFindingsDiff,
  IdentityRef,
  MatchSettings,
  OpenIdentityFinding,
} from './identity-types.js';
import { compareText } from './normalise.js';
import { type User, usernameKey } from './types.js';

export type SourceReadResult = { ok: true; identities: Identity[] } | { ok: false; error: string };

export interface SourceState {
  name: string;
  /** Identities in the last read that was accepted; null before the first. */
  lastCount: number | null;
  lastSuccessAt: string | null;
  /** When the current streak of failed or held reads began; null while healthy. */
  failingSince: string | null;
  lastError: string | null;
  /** Consecutive reads held by the shrink guard. */
  heldReads: number;
}

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

/** Decides whether one source's read is trusted, like the roster's removal guard. */
export function decideSource(
  name: string,
  previous: SourceState | undefined,
  result: SourceReadResult,
  guard: ShrinkGuard,
  now: string,
): SourceDecision {
  const prev: SourceState = previous ?? {
    name,
    lastCount: null,
    lastSuccessAt: null,
    failingSince: null,
    lastError: null,
    heldReads: 0,
  };
  if (!result.ok) {
    return {
      name,
      verdict: 'failed',
      read: 0,
      next: { ...prev, failingSince: prev.failingSince ?? now, lastError: result.error },
    };
  }
  const count = result.identities.length;
  // No company has zero people: an empty read is a wrong filter, an empty export or a token that
  // sees nothing, and reconciling against it would call every VictorOps user unmatched.
  if (count === 0) {
    return {
      name,
      verdict: 'failed',
      read: 0,
      next: {
        ...prev,
        failingSince: prev.failingSince ?? now,
        lastError:
          'read 0 identities: an empty source is treated as an outage (check the filter, the export or the permissions)',
      },
    };
  }
  const lost = prev.lastCount === null ? 0 : prev.lastCount - count;
  const shrank =
    prev.lastCount !== null && lost >= Math.max(guard.min, 1) && lost > guard.maxFraction * prev.lastCount;
  if (shrank && prev.heldReads + 1 < guard.confirmations) {
    const error = `read ${count} identities, ${lost} fewer than the ${prev.lastCount} of the last accepted read: held until ${guard.confirmations} reads in a row agree`;
    return {
      name,
      verdict: 'held',
      read: count,
      next: {
        ...prev,
        failingSince: prev.failingSince ?? now,
        lastError: error,
        heldReads: prev.heldReads + 1,
      },
    };
  }
  return {
    name,
    verdict: 'ok',
    read: count,
    next: { name, lastCount: count, lastSuccessAt: now, failingSince: null, lastError: null, heldReads: 0 },
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
}

function nameOf(user: User): string | null {
  if (user.displayName) return user.displayName;
  const parts = [user.firstName, user.lastName].filter((p): p is string => p !== null && p !== '');
  return parts.length > 0 ? parts.join(' ') : null;
}

/** "Doe, John" and "john  doe" are the same name: compare the sorted words. */
function nameKey(name: string): string {
  return name
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

/** The per-user findings, sorted by key. Call only when every source's read was trusted. */
export function computeIdentityFindings(input: ComputeIdentityFindingsInput): IdentityFinding[] {
  const exposure = indexExposure(input);
  const match = createMatcher(
    indexIdentities(input.identities, { localParts: input.settings.rule === 'local-part' }),
    input.settings,
  );
  const sources = [...input.sources];
  const findings: IdentityFinding[] = [];
  for (const user of input.roster.users) {
    const m = match(user);
    const key = usernameKey(user.username);
    if (m.kind === 'exempt') continue;
    if (m.kind === 'unmatched') {
      findings.push({
        kind: 'identity.unmatched',
        key: `identity.unmatched:${key}`,
        username: user.username,
        email: user.email,
        sources,
        exposure: exposure(user.username),
      });
      continue;
    }
    const inactive = m.identities.filter((i) => i.active === false);
    if (inactive.length > 0) {
      findings.push({
        kind: 'identity.inactive',
        key: `identity.inactive:${key}`,
        username: user.username,
        email: user.email,
        matchedBy: m.by,
        identities: inactive.map(refOf),
        exposure: exposure(user.username),
      });
      continue;
    }
    for (const identity of m.identities) {
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

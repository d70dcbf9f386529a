/**
 * What every identity adapter is: something that reads all of a source's people and returns them
 * as Identity records, or fails with a typed error (never a partial list passed off as whole).
 */
import type { Clock } from '../clock.js';
import type { IdentitySourceConfigs } from '../config/identity.js';
import { type ReadSummary, summariseRead } from '../roster/identity-findings.js';
import { canMatch, type IndexWanted } from '../roster/identity-match.js';
import type { Identity, IdentitySourceKind } from '../roster/identity-types.js';
import type { FetchStats } from '../roster/types.js';

export interface IdentitySource {
  name: string;
  kind: IdentitySourceKind;
  /** Every identity the source holds, or a rejection: a read is whole or it fails. */
  read(signal: AbortSignal): Promise<Identity[]>;
  /**
   * The same read, keeping only the identities a user with these keys can match (canMatch) and
   * summarising the whole, so the others are never held together (the file source, 100,000 rows;
   * issue 21). A source without it is read whole and filtered afterwards (keptOf).
   */
  readKept?(signal: AbortSignal, wanted: IndexWanted): Promise<KeptRead>;
  /** After a read: whether it had a status column (only a file can lack one). */
  statusColumn?(): boolean;
  /** Requests made so far (HTTP sources), for the run row and metrics. */
  stats(): FetchStats;
  close(): Promise<void>;
}

/** A read that kept only the identities some user can match, and the summary of all it read. */
export interface KeptRead {
  identities: Identity[];
  summary: ReadSummary;
}

/**
 * `read` and `readKept` of a source with one read loop (`wanted` null keeps everything), so the
 * whole read and the kept one cannot drift apart.
 */
export function readWholeOrKept(
  readAll: (signal: AbortSignal, wanted: IndexWanted | null) => Promise<KeptRead>,
): Pick<IdentitySource, 'read' | 'readKept'> {
  return {
    read: async (signal) => (await readAll(signal, null)).identities,
    readKept: (signal, wanted) => readAll(signal, wanted),
  };
}

/** A whole read cut down to what `readKept` hands over. */
export function keptOf(identities: readonly Identity[], wanted: IndexWanted): KeptRead {
  return { identities: identities.filter((i) => canMatch(i, wanted)), summary: summariseRead(identities) };
}

/** What every source is built with: the clock (HTTP pacing) and IDENTITY_TIMEOUT_MS. */
export interface IdentitySourceDeps {
  clock: Clock;
  timeoutMs: number;
}

/**
 * One kind of identity source, registered in sources-from-config.ts: its kind (the key of its
 * settings reader in config/identity.ts) and how to build the adapter from those settings.
 */
export interface IdentitySourcePlugin<K extends IdentitySourceKind> {
  kind: K;
  create(config: IdentitySourceConfigs[K], deps: IdentitySourceDeps): IdentitySource;
}

export function emptyStats(): FetchStats {
  return { requests: 0, retries: 0, rateLimited: 0 };
}

/**
 * Drops duplicates (case-insensitive) and blanks, keeping the first spelling and the order; an
 * Exchange-style `SMTP:` / `smtp:` prefix is taken off (exports copy proxyAddresses as they are).
 */
export function uniqueEmails(emails: readonly (string | null | undefined)[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of emails) {
    const t = e?.trim().replace(/^smtp:/i, '');
    if (t === undefined || !t.includes('@')) continue;
    const k = t.toLowerCase();
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(t);
  }
  // A copy of exactly its length: a pushed-to array keeps room for more (17 slots after the first
  // push), which at 100,000 identities held between syncs is ~13 MB of empty slots (issue 21).
  return out.slice();
}

/**
 * An identity provider's failure as its status and its error code, when that looks like one
 * (`E0000011`, `invalid_client`, `InvalidAuthenticationToken`): error bodies may echo the request,
 * credentials included, so a message never carries the provider's prose.
 */
export function statusAndCode(status: number, code: unknown): string {
  return typeof code === 'string' && /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(code)
    ? `${status} ${code}`
    : `HTTP ${status}`;
}

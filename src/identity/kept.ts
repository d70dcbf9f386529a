/**
 * How a source keeps only the identities a recorded user can match while it reads (issue 21:
 * 100,000 identities against 20,000 users): every record is tallied for the removal guard
 * (ReadTally: counts, unknown statuses, the held-read fingerprint) and dropped at once unless
 * canMatch keeps it, so a source never holds its whole read. With `wanted` null everything is kept.
 */
import { ReadTally, type TallyShare } from '../roster/identity-findings.js';
import { canMatch, type IndexWanted } from '../roster/identity-match.js';
import type { Identity } from '../roster/identity-types.js';
import type { KeptRead } from './source.js';

/** Records that each count once (the file, Entra's pages, LDAP's pages). */
export class KeptCollector {
  readonly identities: Identity[] = [];
  readonly tally = new ReadTally();
  /** `copy`: what is held of a kept record (the file source detaches its strings from the text). */
  constructor(
    private readonly wanted: IndexWanted | null,
    private readonly copy: (identity: Identity) => Identity = (identity) => identity,
  ) {}

  add(identity: Identity): void {
    this.tally.add(identity);
    if (this.wanted === null) this.identities.push(identity);
    else if (canMatch(identity, this.wanted)) this.identities.push(this.copy(identity));
  }

  result(): KeptRead {
    return { identities: this.identities, summary: this.tally.summary() };
  }
}

/**
 * Records keyed by id where a later record replaces an earlier one, as a Map by id does (Okta's
 * two lists: a user deprovisioned between them is in both, and the second says how they are now).
 * Of a dropped record it holds the id and its share of the tally (9 bytes), so a replacement can
 * take it back; the kept ones come out in the order a Map by id would list them.
 */
export class KeptById {
  private readonly tally = new ReadTally();
  /** Each id's position: the order of its first record. */
  private readonly position = new Map<string, number>();
  private readonly kept = new Map<number, Identity>();
  private a = new Uint32Array(1024);
  private b = new Uint32Array(1024);
  /** 1 active, 0 inactive, -1 unknown (whose status is in `unknownStatus`). */
  private active = new Int8Array(1024);
  private readonly unknownStatus = new Map<number, string>();

  constructor(private readonly wanted: IndexWanted | null) {}

  add(identity: Identity): void {
    let at = this.position.get(identity.id);
    if (at === undefined) {
      at = this.position.size;
      this.position.set(identity.id, at);
      this.makeRoom(at);
    } else {
      this.tally.remove(this.shareAt(at));
      this.kept.delete(at);
      this.unknownStatus.delete(at);
    }
    const share = this.tally.add(identity);
    this.a[at] = share.a;
    this.b[at] = share.b;
    this.active[at] = share.active === true ? 1 : share.active === false ? 0 : -1;
    // Whatever the tally counted as unknown (anything but true or false), as shareAt gives it back.
    if (this.active[at] === -1) this.unknownStatus.set(at, share.status);
    if (this.wanted === null || canMatch(identity, this.wanted)) this.kept.set(at, identity);
  }

  result(): KeptRead {
    const identities = [...this.kept].sort((x, y) => x[0] - y[0]).map(([, identity]) => identity);
    return { identities, summary: this.tally.summary() };
  }

  private shareAt(at: number): TallyShare {
    const active = this.active[at];
    return {
      a: this.a[at] ?? 0,
      b: this.b[at] ?? 0,
      active: active === 1 ? true : active === 0 ? false : null,
      status: this.unknownStatus.get(at) ?? '',
    };
  }

  private makeRoom(at: number): void {
    if (at < this.a.length) return;
    const grow = <T extends Uint32Array | Int8Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    const size = this.a.length * 2;
    this.a = grow(this.a, new Uint32Array(size));
    this.b = grow(this.b, new Uint32Array(size));
    this.active = grow(this.active, new Int8Array(size));
  }
}

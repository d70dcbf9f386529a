/**
 * Identity reconciliation that neither cries wolf nor goes quiet (issue 26, issue 20 item 5): the
 * pure decisions — unknown status keeps a leaver, the guard needs agreeing reads and watches status
 * counts, one record per source, the order of matching, invitees, dates, normalised addresses.
 */
import { describe, expect, it } from 'vitest';
import { ago, describeExemption, describeIdentityFinding } from '../../../src/roster/identity-events.js';
import {
  computeIdentityFindings,
  decideSource,
  type SourceState,
} from '../../../src/roster/identity-findings.js';
import { emailKey } from '../../../src/roster/identity-match.js';
import type { Identity, IdentityFinding, RecordConflict } from '../../../src/roster/identity-types.js';
import { aRoster, aUser } from '../../helpers/builders.js';
import { matchSettings } from '../../helpers/identity-unit.js';

const NOW = '2026-12-05T10:00:00.000Z';
const guard = { maxFraction: 0.2, min: 2, confirmations: 3 };

function person(email: string, overrides: Partial<Identity> = {}): Identity {
  return {
    source: 'file',
    id: `id-${email}`,
    emails: [email],
    displayName: null,
    active: true,
    status: 'Active',
    statusChangedAt: null,
    ...overrides,
  };
}

const settings = matchSettings;

function compute(
  users: ReturnType<typeof aUser>[],
  identities: Identity[],
  s = settings(),
  extra: { open?: IdentityFinding[]; conflicts?: RecordConflict[] } = {},
): IdentityFinding[] {
  return computeIdentityFindings({
    roster: aRoster({ users }),
    policies: [],
    schedules: [],
    now: NOW,
    identities,
    settings: s,
    sources: ['file'],
    open: (extra.open ?? []).map((finding) => ({ finding, firstSeen: NOW })),
    ...(extra.conflicts ? { conflicts: extra.conflicts } : {}),
  });
}

const people = (n: number, active: (i: number) => boolean | null = () => true) =>
  Array.from({ length: n }, (_, i) =>
    person(`p${i}@x.com`, { active: active(i), status: active(i) === false ? 'Terminated' : 'Active' }),
  );

describe('a status that can no longer be read (26.1, 20.5)', () => {
  const leaver = person('jdoe@example.com', { active: false, status: 'Terminated' });
  const open = compute([aUser('jdoe')], [leaver]);

  it('keeps the open leaver finding when the status turns unknown, and says why', () => {
    expect(open.map((f) => f.kind)).toEqual(['identity.inactive']);
    for (const status of ['(empty)', 'Leaver', 'Terminated - Voluntary']) {
      const now = compute([aUser('jdoe')], [{ ...leaver, active: null, status }], settings(), { open });
      expect(now).toMatchObject([
        { kind: 'identity.inactive', key: 'identity.inactive:jdoe', statusUnknown: [{ status }] },
      ]);
      expect(describeIdentityFinding(now[0]!, NOW)).toContain(
        `status now unknown: HR file '${status}'; unknown is not active, so this stays open`,
      );
    }
    // Active again resolves it; an unknown status without an open finding opens nothing.
    expect(
      compute([aUser('jdoe')], [{ ...leaver, active: true, status: 'Active' }], settings(), { open }),
    ).toEqual([]);
    expect(compute([aUser('jdoe')], [{ ...leaver, active: null, status: 'Leaver' }])).toEqual([]);
  });

  it('fails a source whose status column disappeared, or whose statuses are all unmapped, and counts the unknown', () => {
    const first = decideSource(
      'file',
      undefined,
      { ok: true, identities: people(10), statusColumn: true },
      guard,
      NOW,
    );
    expect(first.next.statusColumnSeen).toBe(true);
    const renamed = decideSource(
      'file',
      first.next,
      { ok: true, identities: people(10), statusColumn: false },
      guard,
      NOW,
    );
    expect(renamed.verdict).toBe('failed');
    expect(renamed.next.lastError).toMatch(/status column of earlier reads is gone/);
    // Without a status column from the start, everyone listed is active (documented).
    expect(
      decideSource('file', undefined, { ok: true, identities: people(10), statusColumn: false }, guard, NOW)
        .verdict,
    ).toBe('ok');
    const unmapped = people(10, () => null).map((p, i) => ({ ...p, status: i < 7 ? 'Leaver' : 'Employed' }));
    const none = decideSource('file', first.next, { ok: true, identities: unmapped }, guard, NOW);
    expect(none.verdict).toBe('failed');
    expect(none.next.lastError).toMatch(
      /no identity has a status this source recognises \(Leaver ×7, Employed ×3\)/,
    );
    const some = people(10).map((p, i) => (i === 0 ? { ...p, active: null, status: 'Leaver' } : p));
    const counted = decideSource('file', first.next, { ok: true, identities: some }, guard, NOW);
    expect(counted).toMatchObject({
      verdict: 'ok',
      next: { unknownCount: 1, unknownStatuses: [{ value: 'Leaver', count: 1 }] },
    });
  });
});

describe('the shrink guard needs agreeing reads (26.2) and watches status counts (20.5)', () => {
  const accepted = (n: number, active?: (i: number) => boolean | null): SourceState =>
    decideSource('file', undefined, { ok: true, identities: people(n, active) }, guard, NOW).next;
  const read = (prev: SourceState, identities: Identity[]) =>
    decideSource('file', prev, { ok: true, identities }, guard, NOW);

  it('12 → 3, 5, 2: every read differs, so none is accepted', () => {
    let state = accepted(12);
    for (const n of [3, 5, 2]) {
      const d = read(state, people(n));
      expect(d.verdict).toBe('held');
      state = d.next;
    }
    expect(state.heldReads).toBe(1);
  });

  it('the same read three times is accepted; a failure in between starts again', () => {
    let state = accepted(12);
    state = read(state, people(3)).next;
    state = read(state, people(3)).next;
    expect(state.heldReads).toBe(2);
    state = decideSource('file', state, { ok: false, error: 'ENOENT' }, guard, NOW).next;
    expect(state.heldReads).toBe(0);
    state = read(state, people(3)).next;
    state = read(state, people(3)).next;
    expect(state.heldReads).toBe(2);
    expect(read(state, people(3))).toMatchObject({ verdict: 'ok', next: { lastCount: 3, heldReads: 0 } });
  });

  it('holds a read whose active or inactive count changed past the guard, with the same rows', () => {
    const base = accepted(40, (i) => i >= 5);
    const everyoneTerminated = read(
      base,
      people(40, () => false),
    );
    expect(everyoneTerminated.verdict).toBe('held');
    expect(everyoneTerminated.next.lastError).toMatch(/0 active, 35 fewer than the 35/);
    const everyoneActive = read(base, people(40));
    expect(everyoneActive.verdict).toBe('held');
    expect(everyoneActive.next.lastError).toMatch(/0 inactive, 5 fewer than the 5/);
    // Ordinary churn is not held.
    expect(
      read(
        base,
        people(40, (i) => i >= 6),
      ).verdict,
    ).toBe('ok');
  });
});

describe('records, order of matching and invitees', () => {
  it('one source with a termination and a re-hire: the newest record wins; without dates active wins, reported (26.3)', () => {
    const old = person('jdoe@example.com', {
      id: '1',
      active: false,
      status: 'Terminated',
      statusChangedAt: '2020-01-01T00:00:00.000Z',
    });
    const rehire = person('jdoe@example.com', { id: '2', statusChangedAt: '2026-11-01T00:00:00.000Z' });
    expect(compute([aUser('jdoe')], [old, rehire])).toEqual([]);
    expect(
      compute([aUser('jdoe')], [rehire, { ...old, statusChangedAt: '2026-11-20T00:00:00.000Z' }]),
    ).toMatchObject([{ kind: 'identity.inactive' }]);
    const conflicts: RecordConflict[] = [];
    expect(
      compute(
        [aUser('jdoe')],
        [
          { ...old, statusChangedAt: null },
          { ...rehire, statusChangedAt: null },
        ],
        settings(),
        { conflicts },
      ),
    ).toEqual([]);
    expect(conflicts).toMatchObject([
      {
        username: 'jdoe',
        source: 'file',
        statuses: ['Terminated', 'Active'],
        rule: 'active',
        taken: { id: '2' },
      },
    ]);
    // Across sources any inactive one stands, and the message says who disagrees.
    const [f] = compute([aUser('jdoe')], [old, { ...rehire, source: 'okta', status: 'ACTIVE' }]);
    expect(describeIdentityFinding(f!, NOW)).toContain(
      'Okta still says ACTIVE; one inactive source is enough',
    );
  });

  it('exemption, mapping, exact email, rule: configuration beats a guess (26.4)', () => {
    const s = settings({
      rule: 'local-part',
      explicit: new Map([['ops-legacy', 'platform-team@corp.example']]),
    });
    const user = aUser('ops-legacy', { email: null, firstName: 'Platform', lastName: 'Team' });
    const guessed = person('ops-legacy@corp.example', { active: false, status: 'Terminated' });
    const mapped = person('platform-team@corp.example', { displayName: 'Platform Team' });
    // The mapped identity is active: no leaver (only the documented email difference of a mapping).
    expect(compute([user], [guessed, mapped], s)).toMatchObject([
      { kind: 'identity.mismatch', matchedBy: 'mapping', identity: { email: 'platform-team@corp.example' } },
    ]);
    // Mapped to an address no source holds: said so, never a fallback to the guess (26.10).
    const [missing] = compute([user], [guessed], s);
    expect(missing).toMatchObject({ kind: 'identity.unmatched', mappedTo: 'platform-team@corp.example' });
    expect(describeIdentityFinding(missing!, NOW)).toContain(
      'is mapped to platform-team@corp.example in IDENTITY_MAPPING_FILE, but that address is not found in any source',
    );
  });

  it('a rule match whose names differ is a mismatch, never a leaver (26.4)', () => {
    const s = settings({ rule: 'local-part' });
    const user = aUser('jsmith', { email: null, firstName: 'Jane', lastName: 'Smith' });
    const other = person('jsmith@corp.example', {
      active: false,
      status: 'Terminated',
      displayName: 'John Smith',
    });
    expect(compute([user], [other], s).map((f) => f.kind)).toEqual(['identity.mismatch']);
    const same = { ...other, displayName: 'Jane Smith' };
    expect(compute([user], [same], s).map((f) => f.kind)).toEqual(['identity.inactive']);
  });

  it('invitees are pending invitations, not accounts to delete (26.7)', () => {
    const [unmatched] = compute([aUser('invited_ab12', { email: 'new@example.com' })], []);
    expect(unmatched).toMatchObject({ kind: 'identity.unmatched', pending: true });
    expect(describeIdentityFinding(unmatched!, NOW)).toMatch(
      /is a pending invitation that matches no identity/,
    );
    const [left] = compute(
      [aUser('invited_cd34', { email: 'gone@example.com' })],
      [person('gone@example.com', { active: false, status: 'Terminated' })],
    );
    expect(describeIdentityFinding(left!, NOW)).toMatch(
      /is a pending invitation for someone who left .*: withdraw the invitation/,
    );
    expect(describeIdentityFinding(left!, NOW)).not.toMatch(/delete the VictorOps user/);
  });

  it('an exemption says its reason and pattern (26.8)', () => {
    expect(describeExemption({ pattern: 'svc-*', reason: 'service accounts' })).toBe(
      'exempt: service accounts (pattern svc-*); not checked against the identity sources',
    );
  });
});

describe('dates and addresses as people write them', () => {
  it('"N days ago" for past dates, "leaves on" for future ones (26.9)', () => {
    expect(ago('2026-12-02T09:00:00.000Z', NOW)).toBe(' 3 days ago');
    expect(ago('2026-12-05T01:00:00.000Z', NOW)).toBe(' today');
    expect(ago('2026-12-31T00:00:00.000Z', NOW)).toBe(', leaves on 2026-12-31');
    expect(ago('not a date', NOW)).toBe('');
  });

  it('plus-addressing, IDN domains and NFC/NFD forms compare equal (26.11)', () => {
    expect(emailKey('Jane+oncall@Example.com')).toBe(emailKey('jane@example.com'));
    expect(emailKey('anna@bücher.example')).toBe(emailKey('ANNA@xn--bcher-kva.example'));
    expect(emailKey('jose\u0301@example.com')).toBe(emailKey('jos\u00e9@example.com'));
    const user = aUser('jose', {
      email: 'jos\u00e9+pager@b\u00fccher.example',
      firstName: 'Jos\u00e9',
      lastName: 'M\u00fcller',
    });
    const identity = person('jose\u0301@xn--bcher-kva.example', { displayName: 'Jose\u0301 Mu\u0308ller' });
    expect(compute([user], [identity])).toEqual([]);
  });
});

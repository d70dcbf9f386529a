/**
 * A source keeps only the identities some recorded user can match, with a summary of the whole
 * read (issue 21: 100,000 identities against 20,000 users): the findings, the conflicts and the
 * source's verdict must be exactly those of the whole read.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeptById, KeptCollector } from '../../../src/identity/kept.js';
import { type KeptRead, keptOf } from '../../../src/identity/source.js';
import {
  computeIdentityFindings,
  decideSource,
  ReadTally,
  summariseRead,
} from '../../../src/roster/identity-findings.js';
import { canMatch, wantedKeys } from '../../../src/roster/identity-match.js';
import type { Identity, MatchSettings, RecordConflict } from '../../../src/roster/identity-types.js';
import { aUser } from '../../helpers/builders.js';
import { anIdentity, matchSettings } from '../../helpers/identity-unit.js';

const NOW = '2026-12-06T12:00:00.000Z';
const guard = { maxFraction: 0.2, min: 2, confirmations: 2 };

describe('keeping only the identities a user can match', () => {
  it('drops an identity no user address, mapping or local part can reach, and keeps the rest in order', () => {
    const users = [aUser('jdoe', { email: 'JDoe+pager@Corp.example' }), aUser('ann', { email: null })];
    const settings = matchSettings({
      rule: 'local-part',
      explicit: new Map([['ops', 'ops@corp.example']]),
    });
    const wanted = wantedKeys(users, settings);
    const ids = [
      anIdentity('E1', ['stranger@corp.example']),
      anIdentity('E2', ['alias@mail.example', 'jdoe@corp.example']),
      anIdentity('E3', ['ann@elsewhere.example']),
      anIdentity('E4', ['OPS@corp.example']),
    ];
    expect(ids.filter((i) => canMatch(i, wanted)).map((i) => i.id)).toEqual(['E2', 'E3', 'E4']);
    expect(canMatch(ids[2] as Identity, wantedKeys(users, matchSettings()))).toBe(false);
    const kept = keptOf(ids, wanted);
    expect(kept.identities.map((i) => i.id)).toEqual(['E2', 'E3', 'E4']);
    expect(kept.summary.count).toBe(4);
  });

  it('summarises a read whatever the order of its records, and tells a changed status apart', () => {
    const ids = [
      anIdentity('E1', ['a@x.example']),
      anIdentity('E2', ['b@x.example'], { active: false, status: 'terminated' }),
      anIdentity('E3', ['c@x.example'], { active: null, status: 'Leaver' }),
      anIdentity('E4', ['d@x.example'], { active: null, status: 'Leaver' }),
    ];
    const summary = summariseRead(ids);
    expect(summary).toMatchObject({
      count: 4,
      active: 1,
      inactive: 1,
      unknownCount: 2,
      unknown: [{ value: 'Leaver', count: 2 }],
    });
    expect(summariseRead([...ids].reverse()).fingerprint).toBe(summary.fingerprint);
    const changed = ids.map((i) => (i.id === 'E1' ? { ...i, active: false, status: 'terminated' } : i));
    expect(summariseRead(changed).fingerprint).not.toBe(summary.fingerprint);
    expect(summariseRead(ids.slice(1)).fingerprint).not.toBe(summary.fingerprint);
    const tally = new ReadTally();
    for (const i of ids) tally.add(i);
    expect(tally.summary()).toEqual(summary);
  });

  it('finds exactly what the whole read finds, for random users, identities, sources and settings', () => {
    fc.assert(
      fc.property(anOrg({ ids: 'distinct' }), (o) => {
        const { users, identities, settings } = built(o);
        const wanted = wantedKeys(users, settings);
        // Cut down afterwards (keptOf), and as the records arrive (KeptCollector: file, Entra, LDAP).
        const collector = new KeptCollector(wanted);
        for (const i of identities) collector.add(i);
        for (const kept of [keptOf(identities, wanted), collector.result()])
          expectSameOutcome(o, users, settings, identities, kept);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the last record of an id, as a whole read by id does (Okta: a user in both lists)', () => {
    fc.assert(
      fc.property(anOrg({ ids: 'repeated' }), (o) => {
        const { users, identities: records, settings } = built(o);
        // The whole read: a Map by id, the later record replacing the earlier in its place.
        const byId = new Map<string, Identity>();
        for (const r of records) byId.set(r.id, r);
        const identities = [...byId.values()];
        const out = new KeptById(wantedKeys(users, settings));
        for (const r of records) out.add(r);
        const kept = out.result();
        expect(kept.summary).toEqual(summariseRead(identities));
        expectSameOutcome(o, users, settings, identities, kept);
        const all = new KeptById(null);
        for (const r of records) all.add(r);
        expect(all.result().identities).toEqual(identities);
      }),
      { numRuns: 300 },
    );
  });
});

const local = fc.constantFrom('jdoe', 'JDoe', 'ann', 'ann+oncall', 'bob', 'zoë', 'zoe\u0308', 'eve');
const domain = fc.constantFrom('corp.example', 'Corp.Example', 'mail.example', 'bücher.example');
const address = fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`);
const status = fc.constantFrom(
  { active: true, status: 'active' },
  { active: false, status: 'terminated' },
  { active: null, status: 'on leave' },
  { active: null, status: 'Leaver' },
);

/** Random users, identities (ids distinct, or drawn from a few so that they repeat) and settings. */
function anOrg(options: { ids: 'distinct' | 'repeated' }) {
  return fc.record({
    users: fc.array(
      fc.record({
        username: local,
        email: fc.option(address, { nil: null }),
        displayName: fc.option(fc.constantFrom('Jane Doe', 'Doe, Jane', 'Ann Other'), { nil: null }),
      }),
      { maxLength: 8 },
    ),
    identities: fc.array(
      fc.record({
        id: options.ids === 'repeated' ? fc.constantFrom('E1', 'E2', 'E3', 'E4', 'E5') : fc.constant(null),
        emails: fc.array(address, { minLength: 1, maxLength: 3 }),
        source: fc.constantFrom('file', 'okta'),
        status,
        displayName: fc.option(fc.constantFrom('Jane Doe', 'Bob B'), { nil: null }),
        changed: fc.option(fc.constantFrom('2026-01-01', '2026-06-01'), { nil: null }),
      }),
      { maxLength: 14 },
    ),
    rule: fc.constantFrom<MatchSettings['rule']>('none', 'local-part'),
    mapping: fc.array(fc.tuple(local, address), { maxLength: 3 }),
    previous: fc.option(fc.nat({ max: 20 }), { nil: undefined }),
  });
}

type Org = ReturnType<typeof anOrg> extends fc.Arbitrary<infer T> ? T : never;

function built(o: Org) {
  const users = o.users.map((u, i) =>
    aUser(`${u.username}${i % 2 === 0 ? '' : i}`, { email: u.email, displayName: u.displayName }),
  );
  const identities = o.identities.map((x, i) =>
    anIdentity(x.id ?? `E${i}`, x.emails, {
      source: x.source,
      ...x.status,
      displayName: x.displayName,
      statusChangedAt: x.changed,
    }),
  );
  const settings = matchSettings({
    rule: o.rule,
    explicit: new Map(o.mapping.map(([u, a]) => [u.toLowerCase(), a])),
  });
  return { users, identities, settings };
}

/** The kept read's findings, conflicts and verdict (after any previous read) are the whole read's. */
function expectSameOutcome(
  o: Org,
  users: ReturnType<typeof aUser>[],
  settings: MatchSettings,
  identities: Identity[],
  kept: KeptRead,
): void {
  const findings = (ids: readonly Identity[]) => {
    const conflicts: RecordConflict[] = [];
    const found = computeIdentityFindings({
      roster: { users, teams: [], memberships: [] },
      policies: [],
      schedules: [],
      now: NOW,
      identities: ids,
      settings,
      sources: ['file', 'okta'],
      conflicts,
    });
    return { found, conflicts };
  };
  expect(findings(kept.identities)).toEqual(findings(identities));
  const previous =
    o.previous === undefined
      ? undefined
      : decideSource('file', undefined, { ok: true, identities: identities.slice(0, o.previous) }, guard, NOW)
          .next;
  expect(decideSource('file', previous, { ok: true, ...kept }, guard, NOW)).toEqual(
    decideSource('file', previous, { ok: true, identities }, guard, NOW),
  );
}

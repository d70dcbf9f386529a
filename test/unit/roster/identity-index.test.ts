/**
 * The identity index holds only the keys the matcher can ask for (issue 21: 100,000 identities
 * against 20,000 users): matching through it must be exactly matching through a full index.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMatcher, indexIdentities, wantedKeys } from '../../../src/roster/identity-match.js';
import type { MatchSettings } from '../../../src/roster/identity-types.js';
import { aUser } from '../../helpers/builders.js';
import { anIdentity, matchSettings } from '../../helpers/identity-unit.js';

describe('the identity index restricted to the wanted keys', () => {
  it('holds no entry for an address or local part that no user, mapping or rule asks for', () => {
    const users = [aUser('jdoe', { email: 'JDoe@Corp.example' })];
    const settings = matchSettings({
      rule: 'local-part',
      explicit: new Map([['ops', 'ops+pager@corp.example']]),
    });
    const identities = [
      anIdentity('E1', ['jdoe@corp.example']),
      anIdentity('E2', ['ops@corp.example']),
      anIdentity('E3', ['stranger@corp.example', 'alias@mail.example']),
    ];
    const index = indexIdentities(identities, { localParts: true, wanted: wantedKeys(users, settings) });
    expect(index.byEmail('jdoe@corp.example')?.map((i) => i.id)).toEqual(['E1']);
    expect(index.byEmail('ops@corp.example')?.map((i) => i.id)).toEqual(['E2']);
    expect(index.byLocalPart('jdoe')?.map((i) => i.id)).toEqual(['E1']);
    expect(index.byEmail('stranger@corp.example')).toBeUndefined();
    expect(index.byEmail('alias@mail.example')).toBeUndefined();
    expect(index.byLocalPart('stranger')).toBeUndefined();
  });

  it('matches every user exactly as the full index does, for random users, identities and settings', () => {
    const local = fc.constantFrom('jdoe', 'JDoe', 'ann', 'ann+oncall', 'bob', 'b.o.b', 'zoë', 'zoe\u0308');
    const domain = fc.constantFrom('corp.example', 'Corp.Example', 'mail.example', 'bücher.example');
    const address = fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`);
    const arbitrary = fc.record({
      users: fc.array(fc.record({ username: local, email: fc.option(address, { nil: null }) }), {
        maxLength: 8,
      }),
      identities: fc.array(fc.array(address, { minLength: 1, maxLength: 3 }), { maxLength: 12 }),
      rule: fc.constantFrom<MatchSettings['rule']>('none', 'local-part'),
      mapping: fc.array(fc.tuple(local, address), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(arbitrary, (o) => {
        const users = o.users.map((u, i) =>
          aUser(`${u.username}${i % 2 === 0 ? '' : i}`, { email: u.email }),
        );
        const identities = o.identities.map((emails, i) => anIdentity(`E${i}`, emails));
        const settings = matchSettings({
          rule: o.rule,
          explicit: new Map(o.mapping.map(([u, a]) => [u.toLowerCase(), a])),
        });
        const localParts = o.rule === 'local-part';
        const full = createMatcher(indexIdentities(identities, { localParts }), settings);
        const lean = createMatcher(
          indexIdentities(identities, { localParts, wanted: wantedKeys(users, settings) }),
          settings,
        );
        for (const user of users) expect(lean(user)).toEqual(full(user));
      }),
      { numRuns: 300 },
    );
  });
});

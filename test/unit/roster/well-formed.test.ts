import { describe, expect, it } from 'vitest';
import { normaliseRoster } from '../../../src/roster/normalise.js';
import { usernameKey } from '../../../src/roster/types.js';
import { wellFormed } from '../../../src/roster/well-formed.js';

describe('roster text made well-formed, as it is recorded', () => {
  it('replaces each lone surrogate with U+FFFD and keeps pairs and plain text as they are', () => {
    expect(wellFormed('a\ud800b\udc00c')).toBe('a\ufffdb\ufffdc');
    expect(wellFormed('\ud83d\ude00 ok')).toBe('\ud83d\ude00 ok');
    const plain = 'plain text';
    expect(wellFormed(plain)).toBe(plain);
    expect(usernameKey('B\ud800OB')).toBe('b\ufffdob');
  });

  it('applies to teams and to the slugs and spellings of memberships', () => {
    const roster = normaliseRoster({
      users: [{ username: 'B\ud800ob' }],
      teams: [{ slug: 'ops\udc00', name: 'Ops \ud800' }],
      memberships: [{ username: 'b\ud800OB', teamSlug: 'ops\udc00' }],
    });
    expect(roster.users.map((u) => u.username)).toEqual(['B\ufffdob']);
    expect(roster.teams).toEqual([{ slug: 'ops\ufffd', name: 'Ops \ufffd' }]);
    expect(roster.memberships).toEqual([{ username: 'B\ufffdob', teamSlug: 'ops\ufffd' }]);
  });
});

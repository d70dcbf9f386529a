import { describe, expect, it } from 'vitest';
import { diffRosters, diffToEvents } from '../../../src/roster/diff.js';
import { decidePoll } from '../../../src/roster/poll-decision.js';
import { isPendingInvitee } from '../../../src/roster/types.js';
import { aFetch, aRoster, aUser } from '../../helpers/builders.js';

const types = (before: ReturnType<typeof aRoster>, after: ReturnType<typeof aRoster>) =>
  diffToEvents(diffRosters(before, after), before, after).map((e) => `${e.type} ${e.subject}`);

describe('pending invitations', () => {
  it.each([
    ['invited_kai.lee_8f3a', true],
    ['INVITED_Kai', true],
    ['Invited_', true],
    ['invitedkai', false],
    ['kai_invited_x', false],
  ])('%s is a pending invitee: %s', (username, expected) => {
    expect(isPendingInvitee(username)).toBe(expected);
  });

  it('a new invitee is invited, not added', () => {
    expect(types(aRoster(), aRoster({ users: [aUser('invited_kai_1')] }))).toEqual([
      'victorops.user.invited invited_kai_1',
    ]);
  });

  it('an invitee replaced by a user with its email (any case) in the same poll is one registered event', () => {
    const before = aRoster({ users: [aUser('invited_kai_1', { email: 'Kai@Example.com' })] });
    const after = aRoster({ users: [aUser('kai', { email: 'kai@example.com' })] });
    const events = diffToEvents(diffRosters(before, after), before, after);
    expect(events.map((e) => `${e.type} ${e.subject}`)).toEqual(['victorops.user.registered kai']);
    expect(events[0]?.data).toMatchObject({
      invitedAs: 'invited_kai_1',
      username: 'kai',
      user: { username: 'kai' },
    });
  });

  it('without a matching email: withdrawn and a plain addition; two invitees for one email register once', () => {
    const before = aRoster({
      users: [
        aUser('invited_a_1', { email: 'a@x' }),
        aUser('invited_a_2', { email: 'a@x' }),
        aUser('invited_b', { email: null }),
      ],
    });
    const after = aRoster({ users: [aUser('alice', { email: 'a@x' }), aUser('bob', { email: null })] });
    expect(types(before, after)).toEqual([
      'victorops.user.added bob',
      'victorops.user.registered alice',
      'victorops.user.invite_withdrawn invited_a_2',
      'victorops.user.invite_withdrawn invited_b',
    ]);
  });

  it('the mass-removal guard counts people, not withdrawn invitations', () => {
    const people = Array.from({ length: 10 }, (_, i) => aUser(`p${i}`));
    const invitees = Array.from({ length: 10 }, (_, i) => aUser(`invited_${i}`));
    const previous = aRoster({ users: [...people, ...invitees] });
    const decide = (after: ReturnType<typeof aRoster>) =>
      decidePoll({
        previous,
        outcome: { ok: true, fetched: aFetch(after) },
        openHold: null,
        guard: { maxFraction: 0.2, min: 3, confirmations: 2 },
        consecutiveFailures: 0,
        failingSince: null,
        pollFailingAfter: 3,
        now: '2026-03-03T12:00:00.000Z',
        hashText: (t) => t,
      });
    expect(decide(aRoster({ users: people })).status).toBe('ok');
    // Three of ten people is over 20 %: held, even though invitations make the org look bigger.
    expect(decide(aRoster({ users: [...people.slice(3), ...invitees] })).status).toBe('held');
  });
});

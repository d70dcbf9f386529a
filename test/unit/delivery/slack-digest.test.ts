import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findLimitViolations, SLACK_LIMITS } from '../../../src/delivery/slack-blocks.js';
import { formatRunDigest } from '../../../src/delivery/slack-digest.js';
import { formatNotice } from '../../../src/delivery/slack-notice.js';
import { diffPersonContacts } from '../../../src/roster/contacts-diff.js';
import type { CloudEvent, EventDraft } from '../../../src/roster/events.js';
import { diffPolicies, policyDiffToEvents } from '../../../src/roster/policies.js';
import type { Policy } from '../../../src/roster/policy-types.js';
import { routingKeyDiffToEvents } from '../../../src/roster/routing-keys.js';
import { aCloudEvent, aTeam, aUser, drafts } from '../../helpers/delivery-fixtures.js';

const hint = 'roster-watch history --since 2025-01-01T12:00:00.000Z';
const allText = (m: { blocks: unknown[] }) => JSON.stringify(m.blocks);
const events = (list: EventDraft[]): CloudEvent[] => list.map((d, i) => aCloudEvent(d, i + 1, 7));

describe('formatRunDigest', () => {
  it('groups changes under a header with counts and names people as "First Last (username)"', () => {
    const jane = aUser('jdoe', { firstName: 'Jane', lastName: 'Doe' });
    const platform = aTeam('team-platform', 'Platform');
    const message = formatRunDigest(
      events([
        drafts.userAdded(jane),
        drafts.userRemoved(aUser('bob')),
        drafts.userChanged(aUser('amy', { email: 'old@x.io' }), aUser('amy', { email: 'new@x.io' })),
        drafts.membershipAdded('jdoe', platform),
        drafts.membershipRemoved('bob', platform),
        drafts.teamAdded(aTeam('team-sre', 'SRE')),
      ]),
      { historyHint: hint },
    );
    expect(findLimitViolations(message)).toEqual([]);
    const header = message.blocks[0];
    expect(header).toMatchObject({ type: 'header' });
    expect(JSON.stringify(header)).toContain(
      '1 user added, 1 user removed, 1 user changed, 2 membership changes, 1 team change',
    );
    const text = allText(message);
    expect(text).toContain('Users added');
    expect(text).toContain('Jane Doe (jdoe)');
    expect(text).toContain('Users removed');
    expect(text).toContain('email `old@x.io` → `new@x.io`');
    expect(text).toContain('*Platform* + Jane Doe (jdoe)');
    expect(text).toContain('*Platform* − bob');
    expect(text).toContain('Teams added');
    expect(text).not.toContain('more:');
    expect(message.text).toContain('Roster drift in run 7');
  });

  it('shows where two long values differ, not the beginning they share', () => {
    // Step 3 of a long policy changes: cut at the same length, before and after would read alike.
    const steps = (third: string): Policy => ({
      slug: 'pol-1',
      name: 'Payments Primary',
      teamSlug: 'team-payments',
      steps: [['alice.longname', 'bob.longname'], ['carol.longname', 'dave.longname'], [third]].map(
        (who, i) => ({
          index: i + 1,
          timeout: 15,
          entries: who.map((username) => ({ kind: 'user' as const, username })),
        }),
      ),
    });
    const message = formatRunDigest(
      events(policyDiffToEvents(diffPolicies([steps('m_johnson')], [steps('priya')]))),
      { historyHint: hint },
    );
    const text = allText(message);
    expect(text).toContain('m_johnson');
    expect(text).toContain('priya');
    expect(text).toMatch(/steps `…[^`]*m_johnson[^`]*` → `…[^`]*priya[^`]*`/);
  });

  it('uses names known from history for people seen only in membership moves', () => {
    const message = formatRunDigest(events([drafts.membershipAdded('kim', aTeam('t-1', 'Ops'))]), {
      historyHint: hint,
      people: new Map([['kim', { firstName: 'Kim', lastName: 'Lee' }]]),
    });
    expect(allText(message)).toContain('Kim Lee (kim)');
  });

  it('escapes Slack control characters in names', () => {
    const message = formatRunDigest(
      events([drafts.userAdded(aUser('evil', { firstName: '<!channel>', lastName: 'A&B' }))]),
      { historyHint: hint },
    );
    const text = allText(message);
    expect(text).toContain('&lt;!channel&gt; A&amp;B (evil)');
    expect(text).not.toContain('<!channel>');
  });

  it('keeps 1,000 changes within Slack limits and summarises the rest with the history command', () => {
    const list: EventDraft[] = [];
    for (let i = 0; i < 1_000; i++) {
      const u = aUser(`user${i}`, { firstName: `First${i}`, lastName: `Last${i}` });
      list.push(
        i % 4 === 0
          ? drafts.userAdded(u)
          : i % 4 === 1
            ? drafts.membershipAdded(u.username, aTeam(`t${i % 30}`, `Team ${i % 30}`))
            : i % 4 === 2
              ? drafts.userChanged(u, { ...u, email: `x${i}@y.z` })
              : drafts.userRemoved(u),
      );
    }
    const message = formatRunDigest(events(list), { historyHint: hint });
    expect(findLimitViolations(message)).toEqual([]);
    const last = JSON.stringify(message.blocks.at(-1));
    const more = /…and (\d+) more: `roster-watch history --since 2025-01-01T12:00:00.000Z`/.exec(last);
    expect(more).not.toBeNull();
    expect(Number(more![1])).toBeGreaterThan(0);
    expect(Number(more![1])).toBeLessThan(1_000);
    expect(message.text).toContain(hint);
    // A large group must not crowd out the others.
    for (const title of ['Users added', 'Users removed', 'Users changed', 'Membership changes']) {
      expect(allText(message)).toContain(title);
    }
  });

  it('never exceeds Slack limits and always accounts for every change (property)', () => {
    const name = fc.string({ maxLength: 300 });
    const user = fc.record({
      username: fc.stringMatching(/^[a-z][a-z0-9._-]{0,40}$/),
      firstName: fc.option(name),
      lastName: fc.option(name),
      email: fc.option(name),
    });
    const team = fc.record({ slug: fc.stringMatching(/^team-[a-z0-9]{1,20}$/), name });
    const draft: fc.Arbitrary<EventDraft> = fc.oneof(
      user.map((u) => drafts.userAdded(aUser(u.username, u))),
      user.map((u) => drafts.userRemoved(aUser(u.username, u))),
      fc
        .tuple(user, name)
        .map(([u, email]) => drafts.userChanged(aUser(u.username, u), aUser(u.username, { ...u, email }))),
      fc.tuple(user, team).map(([u, t]) => drafts.membershipAdded(u.username, t)),
      fc.tuple(user, team).map(([u, t]) => drafts.membershipRemoved(u.username, t)),
      team.map((t) => drafts.teamAdded(t)),
      fc.tuple(team, name).map(([t, n]) => ({
        type: 'victorops.team.changed' as const,
        subject: `teams/${t.slug}`,
        data: {
          slug: t.slug,
          before: t,
          after: { ...t, name: n },
          changes: [{ field: 'name' as const, before: t.name, after: n }],
        },
      })),
    );
    fc.assert(
      fc.property(fc.array(draft, { maxLength: 400 }), (list) => {
        const message = formatRunDigest(events(list), { historyHint: hint });
        expect(findLimitViolations(message)).toEqual([]);
        expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
        const more = /…and (\d+) more/.exec(JSON.stringify(message.blocks.at(-1)));
        if (more === null) {
          for (const d of list) {
            if (d.type === 'victorops.user.added')
              expect(allText(message)).toContain(JSON.stringify(d.data.user.username).slice(1, -1));
          }
        } else {
          expect(Number(more[1])).toBeGreaterThan(0);
          expect(Number(more[1])).toBeLessThanOrEqual(list.length);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('formatNotice', () => {
  const notices: EventDraft[] = [
    drafts.baseline(),
    {
      type: 'rosterwatch.guard.held',
      subject: 'roster',
      data: {
        removedUsers: 40,
        knownUsers: 100,
        fraction: 0.4,
        removedTeams: 0,
        knownTeams: 9,
        threshold: { maxFraction: 0.2, min: 5 },
        confirmations: 1,
        confirmationsRequired: 3,
        sampleUsernames: ['a', 'b<script>'],
      },
    },
    {
      type: 'rosterwatch.guard.released',
      subject: 'roster',
      data: { how: 'accepted', removedUsers: 40, heldSinceRunId: 3 },
    },
    {
      type: 'rosterwatch.poll.failing',
      subject: 'poll',
      data: {
        poll: 'roster',
        consecutiveFailures: 3,
        lastError: 'x'.repeat(5_000),
        since: '2025-01-01T00:00:00.000Z',
      },
    },
    {
      type: 'rosterwatch.poll.recovered',
      subject: 'poll',
      data: { poll: 'policy', failedRuns: 3, since: '2025-01-01T00:00:00.000Z' },
    },
    {
      type: 'rosterwatch.endpoint.disabled',
      subject: 'hooks',
      data: { destination: 'hooks', statusCode: 410, reason: 'the endpoint answered 410 Gone' },
    },
  ];
  it.each(notices.map((n) => [n.type, n] as const))(
    '%s fits Slack limits and has a fallback',
    (_type, draft) => {
      const message = formatNotice(aCloudEvent(draft, 1));
      expect(findLimitViolations(message)).toEqual([]);
      expect(message.text.length).toBeGreaterThan(10);
      expect(allText(message)).not.toContain('<script>');
    },
  );
  it('says an endpoint is enabled again, since when it was off, and what goes out now', () => {
    const text = allText(
      formatNotice(
        aCloudEvent(
          {
            type: 'rosterwatch.endpoint.enabled',
            subject: 'hooks',
            data: {
              destination: 'hooks',
              disabledAt: '2025-01-01T00:00:00.000Z',
              reason: 'the endpoint answered 410 Gone',
              waiting: 7,
            },
          },
          1,
        ),
      ),
    );
    expect(text).toContain('Delivery destination enabled again');
    expect(text).toContain('disabled since 2025-01-01T00:00:00.000Z (the endpoint answered 410 Gone)');
    expect(text).toContain('7 deliveries');
  });
  it('tells the operator how to re-enable a disabled endpoint', () => {
    const message = formatNotice(aCloudEvent(notices[5]!, 1));
    expect(allText(message)).toContain('roster-watch endpoints enable hooks');
    expect(allText(message)).toContain('roster-watch redeliver --since');
  });
});

describe('formatRunDigest: contact methods and paging policies', () => {
  it('lists each change as its sentence of hints, under a section of its own', () => {
    const phone = { id: 1, kind: 'phone' as const, verified: false, hint: '…42' };
    const before = { username: 'alice', methods: [phone], pagingPolicy: [] };
    const after = {
      username: 'alice',
      methods: [{ ...phone, verified: true }],
      pagingPolicy: [{ index: 1, timeout: 5, rules: [{ type: 'sms', contactId: 1 }] }],
    };
    const message = formatRunDigest(events(diffPersonContacts(before, after)), { historyHint: hint });
    const text = allText(message);
    expect(text).toContain('Contact methods and paging policies');
    expect(text).toContain('alice: phone …42 is now verified');
    expect(text).toContain("alice's paging policy is now step 1: sms to phone …42 (was no steps)");
    expect(text).not.toContain('Other changes');
  });
});

describe('formatRunDigest: routing keys', () => {
  it('lists added, changed and removed routing keys under their own heading and counts them', () => {
    const db = {
      routingKey: 'db-critical',
      isDefault: false,
      targets: [{ policySlug: 'pol-db', policyName: 'DB primary' }],
    };
    const message = formatRunDigest(
      events(
        routingKeyDiffToEvents({
          added: [db],
          removed: [{ routingKey: 'legacy-billing', isDefault: false, targets: [] }],
          changed: [
            {
              before: { routingKey: '.+', isDefault: true, targets: [] },
              after: { routingKey: '.+', isDefault: true, targets: db.targets },
              changes: [{ field: 'targets', before: '(no targets)', after: 'pol-db (DB primary)' }],
            },
          ],
        }),
      ),
      { historyHint: hint },
    );
    expect(findLimitViolations(message)).toEqual([]);
    expect(JSON.stringify(message.blocks[0])).toContain('3 routing key changes');
    const text = allText(message);
    expect(text).toContain('Routing keys');
    expect(text).toContain('• added `db-critical`: → pol-db (DB primary)');
    expect(text).toContain('• changed `.+`: targets `(no targets)` → `pol-db (DB primary)`');
    expect(text).toContain('• removed `legacy-billing`');
    expect(text).not.toContain('Other changes');
  });
});

/**
 * The user list can name one person twice in different case (usernames are matched without case,
 * see the VictorOps reference). The roster keeps the first spelling, but the by-user strategy still
 * asks for each spelling's teams as the list gave it: otherwise the teams only the other spelling
 * answers for would be missing from a poll that reports no failure, and read as removed.
 */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.js';
import { fetchRoster } from '../../../src/victorops/fetch-roster.js';
import { withServedClient } from '../../helpers/client.js';

const team = (slug: string) => ({ name: slug.toUpperCase(), slug });

describe('a user listed under two spellings', () => {
  it('has the teams of both spellings when memberships are read by user', async () => {
    const seen: string[] = [];
    const fetched = await withServedClient(
      (req, res) => {
        const path = req.url ?? '';
        seen.push(path);
        const body =
          path === '/api-public/v1/user'
            ? { users: [[{ username: 'Alice' }, { username: 'alice' }, { username: 'bob' }]] }
            : path === '/api-public/v1/team'
              ? [team('x'), team('y')]
              : path === '/api-public/v1/user/Alice/teams'
                ? { teams: [team('x')] }
                : path === '/api-public/v1/user/alice/teams'
                  ? { teams: [team('y')] }
                  : { teams: [] };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      },
      (client) =>
        fetchRoster({ client, clock: systemClock, source: 'user', concurrency: 1, deadlineMs: 10_000 }),
    );
    expect(seen).toContain('/api-public/v1/user/alice/teams');
    expect(fetched.roster.users.map((u) => u.username)).toEqual(['Alice', 'bob']);
    expect(fetched.failedScopes).toEqual([]);
    expect(fetched.roster.memberships).toEqual([
      { username: 'Alice', teamSlug: 'x' },
      { username: 'Alice', teamSlug: 'y' },
    ]);
  });
});

/**
 * A username of `.` or `..` must reach VictorOps as a name, not as a dot segment that a
 * normalising proxy resolves to another endpoint. Checked at a real HTTP server: the path it
 * receives is the path any proxy in between would see.
 */
import { describe, expect, it } from 'vitest';
import { fetchUserTeams } from '../../../src/victorops/fetch-user-teams.js';
import { withServedClient } from '../../helpers/client.js';

describe('dot-segment usernames', () => {
  it('sends `.` and `..` percent-encoded, so no proxy can turn them into another endpoint', async () => {
    const seen: string[] = [];
    await withServedClient(
      (req, res) => {
        seen.push(req.url ?? '');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ teams: [] }));
      },
      async (client) => {
        await fetchUserTeams(client, '..', new AbortController().signal);
        await fetchUserTeams(client, '.', new AbortController().signal);
      },
    );
    expect(seen).toEqual(['/api-public/v1/user/%2E%2E/teams', '/api-public/v1/user/%2E/teams']);
  });
});

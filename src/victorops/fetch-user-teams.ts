/** One user's teams, read live (`GET /v1/user/{user}/teams`) for the offboarding preflight. */

import { VictorOpsError } from '../errors.js';
import type { Team } from '../roster/types.js';
import { encodePathSegment, type VictorOpsClient } from './client.js';
import { userTeamsSchema } from './schemas.js';

/** The user's teams, or null when VictorOps does not know the user (404). */
export async function fetchUserTeams(
  client: VictorOpsClient,
  username: string,
  signal?: AbortSignal,
): Promise<Team[] | null> {
  try {
    const teams = await client.get(`/v1/user/${encodePathSegment(username)}/teams`, userTeamsSchema, signal);
    return teams.map((t) => ({ slug: t.slug, name: t.name }));
  } catch (error) {
    if (error instanceof VictorOpsError && error.code === 'not_found') return null;
    throw error;
  }
}

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { teamListSchema } from '../../../src/victorops/schemas.js';

const fixture = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../../fixtures/victorops/v1-team.json'), 'utf8'),
) as unknown;

describe('GET /v1/team against the real-shape fixture', () => {
  it('reads each team’s slug, name and membership hints (version, memberCount)', () => {
    expect(teamListSchema.parse(fixture)).toEqual([
      expect.objectContaining({
        slug: 'team-00VkR4NvJvM5h9Ae',
        name: 'Infrastructure',
        version: 7,
        memberCount: 2,
      }),
      expect.objectContaining({
        slug: 'team-1bX9qLmP0aZr3TtY',
        name: 'Empty team',
        version: 1,
        memberCount: 0,
      }),
    ]);
  });

  it('accepts a team without hints (such a team is always read)', () => {
    const [first] = teamListSchema.parse([{ slug: 'team-x', name: 'X' }]);
    expect(first?.version).toBeUndefined();
    expect(first?.memberCount).toBeUndefined();
  });

  it('refuses a version that is not a number', () => {
    expect(teamListSchema.safeParse([{ slug: 'team-x', name: 'X', version: 'seven' }]).success).toBe(false);
  });
});

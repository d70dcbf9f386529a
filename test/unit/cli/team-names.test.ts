import { describe, expect, it } from 'vitest';
import { resolveTeam, teamLabels } from '../../../src/cli/team-names.js';
import { InvalidOptionError } from '../../../src/errors.js';

const teams = [
  { slug: 'team-a1', name: 'Database' },
  { slug: 'team-b2', name: 'Web' },
  { slug: 'team-c3', name: 'web' },
];

describe('team names in the CLI', () => {
  it('labels a team by its name, adding the slug only where two teams share it', () => {
    expect([...teamLabels(teams).values()]).toEqual(['Database', 'Web (team-b2)', 'web (team-c3)']);
  });

  it('--team takes a slug or a name (any case); a shared name asks for the slug', () => {
    expect(resolveTeam(teams, 'team-b2')).toBe('team-b2');
    expect(resolveTeam(teams, 'database')).toBe('team-a1');
    expect(resolveTeam(teams, 'team-gone')).toBe('team-gone');
    expect(() => resolveTeam(teams, 'WEB')).toThrow(InvalidOptionError);
    expect(() => resolveTeam(teams, 'WEB')).toThrow(/give one of their slugs \(team-b2, team-c3\)/);
  });
});

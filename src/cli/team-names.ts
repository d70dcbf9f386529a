/**
 * Teams as people know them: by name, with the slug only where two teams share a name; and a
 * `--team` filter that takes either.
 */
import { InvalidOptionError } from '../errors.js';

interface NamedTeam {
  slug: string;
  name: string;
}

/** Each team's label: its name, or `name (slug)` when another team has the same name. */
export function teamLabels(teams: readonly NamedTeam[]): Map<string, string> {
  const count = new Map<string, number>();
  for (const t of teams) count.set(t.name.toLowerCase(), (count.get(t.name.toLowerCase()) ?? 0) + 1);
  return new Map(
    teams.map((t) => [t.slug, (count.get(t.name.toLowerCase()) ?? 0) > 1 ? `${t.name} (${t.slug})` : t.name]),
  );
}

/**
 * The slug a `--team` value means: a slug as given, else the one team of that name (any case). A
 * value that matches nothing is kept as given (a team removed long ago is known by its slug).
 */
export function resolveTeam(teams: readonly NamedTeam[], value: string, flag = '--team'): string {
  if (teams.some((t) => t.slug === value)) return value;
  const named = teams.filter((t) => t.name.toLowerCase() === value.trim().toLowerCase());
  if (named.length > 1)
    throw new InvalidOptionError(
      `${flag} "${value}" is the name of ${named.length} teams: give one of their slugs (${named.map((t) => t.slug).join(', ')})`,
    );
  return named[0]?.slug ?? value;
}

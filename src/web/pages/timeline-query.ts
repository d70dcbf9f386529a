/**
 * The timeline's filters written as `roster-watch history` flags and as SQL, for an auditor
 * who wants to re-run the query or attach it to a ticket. Values are quoted for the shell and for
 * SQL, so a hostile username cannot turn the pasted text into another command.
 */

const shellQuote = (value: string): string =>
  /^[A-Za-z0-9@%+=:,./_-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;

const sqlQuote = (value: string): string => `'${value.replace(/'/g, "''")}'`;

export interface TimelineFilters {
  type?: string | undefined;
  user?: string | undefined;
  team?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

export function describeAsCli(f: TimelineFilters): string {
  const flags = ['roster-watch history'];
  if (f.type !== undefined) flags.push(`--type ${shellQuote(f.type)}`);
  if (f.user !== undefined) flags.push(`--user ${shellQuote(f.user)}`);
  if (f.team !== undefined) flags.push(`--team ${shellQuote(f.team)}`);
  if (f.since !== undefined) flags.push(`--since ${shellQuote(f.since)}`);
  if (f.until !== undefined) flags.push(`--until ${shellQuote(f.until)}`);
  return `${flags.join(' ')} --json`;
}

export function describeAsSql(f: TimelineFilters): string {
  const where: string[] = [];
  if (f.type !== undefined) {
    where.push(
      f.type.endsWith('*')
        ? `type LIKE ${sqlQuote(`${f.type.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`)}%`)} ESCAPE '\\'`
        : `type = ${sqlQuote(f.type)}`,
    );
  }
  if (f.user !== undefined) {
    where.push(
      `(subject = ${sqlQuote(f.user)} COLLATE NOCASE OR json_extract(envelope, '$.data.username') = ${sqlQuote(f.user)} COLLATE NOCASE)`,
    );
  }
  if (f.team !== undefined) {
    where.push(
      `(subject = ${sqlQuote(f.team)} OR json_extract(envelope, '$.data.team.slug') = ${sqlQuote(f.team)})`,
    );
  }
  if (f.since !== undefined) where.push(`time >= ${sqlQuote(f.since)}`);
  if (f.until !== undefined) where.push(`time < ${sqlQuote(f.until)}`);
  return [
    'SELECT sequence, time, type, subject, envelope FROM events',
    ...(where.length > 0 ? [`WHERE ${where.join('\n  AND ')}`] : []),
    'ORDER BY time DESC, sequence DESC;',
  ].join('\n');
}

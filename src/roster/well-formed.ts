/**
 * Text as SQLite keeps it. A JSON string may hold a lone surrogate (`"\ud800"`), which is no
 * character: SQLite stores such text as UTF-8 with U+FFFD in its place, so what a poll recorded
 * would never equal what the next poll fetched. A key stored that way failed the next poll on
 * `users_current_uq` for good; a name came back as a change on every poll. Every roster string is
 * made well-formed as it is normalised, the way SQLite would store it.
 */

// ES2024's String methods (Node 20 has them; the project's TypeScript lib is ES2023).
interface WellFormedText {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** `text` with each lone surrogate replaced by U+FFFD; the same string when it has none. */
export function wellFormed(text: string): string {
  const t = text as unknown as WellFormedText;
  return t.isWellFormed() ? text : t.toWellFormed();
}

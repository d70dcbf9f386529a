/**
 * Text SQLite can keep. A JSON string may hold a lone surrogate (`"\ud800"`), which is no
 * character: better-sqlite3 writes it as bytes that are not UTF-8 (ED A0 80), which read back as
 * three U+FFFD, so what a poll recorded never equalled what the next poll fetched. A key stored
 * that way failed the next poll on `users_current_uq` for good; a name came back as a change. Every
 * roster string is made well-formed (U+FFFD in the surrogate's place) as it is normalised, and
 * text earlier versions stored is rewritten once (store/stored-text.ts repairStoredText).
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

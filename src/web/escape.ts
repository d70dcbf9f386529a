/**
 * Escaping for names that come from VictorOps and must be treated as hostile: HTML
 * metacharacters become entities, and characters that could mislead a reader (bidirectional
 * overrides that reverse text, terminal escapes, other control characters) are shown as visible
 * markers instead of taking effect.
 */

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

// C0/C1 controls except tab and newline; bidi embeddings, overrides and isolates; zero-width marks.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const MISLEADING = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** Replaces misleading characters with a visible `[U+XXXX]`. */
export function neutralise(value: string): string {
  return value.replace(
    MISLEADING,
    (c) => `[U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}]`,
  );
}

export function escapeHtml(value: unknown): string {
  const textValue = value === null || value === undefined ? '' : String(value);
  return neutralise(textValue).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] as string);
}

/**
 * Names, emails and error texts come from VictorOps and from outside endpoints; printed raw, an
 * escape sequence in a display name could recolour, hide or rewrite a terminal's output, and a
 * newline could forge a line. Human-readable output replaces every C0 control (tab excepted),
 * DEL and every C1 control with a visible `\xNN`, and, as the web view does (src/web/escape.ts),
 * bidirectional embeddings, overrides and isolates (U+202E turns `gnp\u202Eexe.doc` into what
 * reads as `gnpcod.exe`) and zero-width marks with a visible `[U+XXXX]`. JSON output is printed
 * exactly, unchanged.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

const BIDI_AND_INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function toPrintable(text: string): string {
  return text
    .replace(CONTROL_CHARACTERS, (c) => `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
    .replace(BIDI_AND_INVISIBLE, (c) => `[U+${c.charCodeAt(0).toString(16).toUpperCase()}]`);
}

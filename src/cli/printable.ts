/**
 * Names, emails and error texts come from VictorOps and from outside endpoints; printed raw, an
 * escape sequence in a display name could recolour, hide or rewrite a terminal's output, and a
 * newline could forge a line. Human-readable output replaces every C0 control (tab excepted),
 * DEL and every C1 control with a visible `\xNN`. JSON output is printed exactly, unchanged.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

export function toPrintable(text: string): string {
  return text.replace(
    CONTROL_CHARACTERS,
    (c) => `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

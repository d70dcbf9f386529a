/** The "key=value" lists of the identity settings (IDENTITY_FILE_COLUMNS, IDENTITY_EXEMPT, ...). */
import type { ConfigReader } from './reader.js';

export /** "a=b,c=d" → [["a","b"],["c","d"]], or a problem. */
function keyValuePairs(
  r: ConfigReader,
  name: string,
  text: string,
  separator = ',',
): [string, string][] | null {
  const out: [string, string][] = [];
  for (const part of text.split(separator)) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1) {
      r.problems.push(
        `${name} must be a list of key=value pairs separated by "${separator}", got "${part.trim()}"`,
      );
      return null;
    }
    out.push([part.slice(0, eq).trim(), part.slice(eq + 1).trim()]);
  }
  return out;
}

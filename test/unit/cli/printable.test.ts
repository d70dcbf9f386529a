import { describe, expect, it } from 'vitest';
import { toPrintable } from '../../../src/cli/printable.js';

describe('toPrintable', () => {
  it('shows C0, DEL and C1 controls as \\xNN and keeps tabs, letters and other Unicode', () => {
    expect(toPrintable('a\u001b[2Jb\u0007c\u007fd\u0085e\u009bf\tg')).toBe(
      'a\\x1B[2Jb\\x07c\\x7Fd\\x85e\\x9Bf\tg',
    );
    expect(toPrintable('line\nforged')).toBe('line\\x0Aforged');
    expect(toPrintable('Søren Ærø — 山田')).toBe('Søren Ærø — 山田');
  });

  it('shows bidi overrides, isolates and zero-width marks as [U+XXXX], as the web view does (issue 20)', () => {
    expect(toPrintable('gnp\u202Eexe.doc')).toBe('gnp[U+202E]exe.doc');
    expect(toPrintable('a\u2066b\u2069c\u200Bd\u200Fe\uFEFFf')).toBe(
      'a[U+2066]b[U+2069]c[U+200B]d[U+200F]e[U+FEFF]f',
    );
  });
});

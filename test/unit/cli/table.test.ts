import { describe, expect, it } from 'vitest';
import { formatTable } from '../../../src/cli/table.js';

describe('formatTable (the CLI table style)', () => {
  it('aligns every column to its widest cell, header included: an identity run lines up with roster and policy runs', () => {
    const lines = formatTable(
      ['run', 'kind', 'status', 'error'],
      [
        ['12', 'identity', 'ok', ''],
        ['11', 'policy', 'partial', '2 scopes failed'],
        ['9', 'roster', 'baseline', ''],
      ],
    );
    expect(lines).toEqual([
      'run  kind      status    error',
      '12   identity  ok',
      '11   policy    partial   2 scopes failed',
      '9    roster    baseline',
    ]);
    for (const line of lines) expect(line).not.toMatch(/\t/);
  });
});

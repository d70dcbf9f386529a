import { describe, expect, it } from 'vitest';
import { truncate } from '../../../src/delivery/slack-blocks.js';

describe('Slack truncation', () => {
  it('leaves text that fits alone', () => {
    expect(truncate('policy "DB Primary" step 2', 40)).toBe('policy "DB Primary" step 2');
  });

  it('cuts at a word boundary with an ellipsis, never mid-word', () => {
    const line = 'policy "DB Primary" step 2 now pages alice.smith instead of bob.jones';
    const cut = truncate(line, 45);
    expect(cut).toBe('policy "DB Primary" step 2 now pages…');
    expect(cut.length).toBeLessThanOrEqual(45);
  });

  it('keeps a word that ends exactly at the cut', () => {
    expect(truncate('one two three', 8)).toBe('one two…');
  });

  it('cuts one long word where it must, within the limit', () => {
    const cut = truncate(`see https://example.test/${'x'.repeat(80)}`, 30);
    expect(cut).toHaveLength(30);
    expect(cut.endsWith('…')).toBe(true);
  });
});

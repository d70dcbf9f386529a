import { describe, expect, it } from 'vitest';
import { builtOnce } from '../../../src/app/built-once.js';

describe('builtOnce', () => {
  it('builds once when two callers ask at the same moment, and shares the result', async () => {
    let builds = 0;
    const part = builtOnce(async () => {
      builds += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { id: builds };
    });
    expect(part.built()).toBeUndefined();
    const [a, b] = await Promise.all([part(), part()]);
    expect(builds).toBe(1);
    expect(a).toBe(b);
    expect(part.built()).toBe(a);
    expect(await part()).toBe(a);
  });

  it('tries a failed build again on the next call', async () => {
    let builds = 0;
    const part = builtOnce(async () => {
      builds += 1;
      if (builds === 1) throw new Error('sources unreachable');
      return 'ready';
    });
    await expect(part()).rejects.toThrow('sources unreachable');
    expect(part.built()).toBeUndefined();
    expect(await part()).toBe('ready');
    expect(builds).toBe(2);
  });
});

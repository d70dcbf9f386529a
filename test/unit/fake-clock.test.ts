import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../helpers/fake-clock.js';

describe('fake clock', () => {
  it('wakes due sleeps in due order (ties in start order) and leaves later ones asleep', async () => {
    const clock = createFakeClock(1_000);
    const woke: string[] = [];
    const track = (name: string, ms: number) =>
      clock.sleep(ms).then(() => woke.push(`${name}@${clock.now()}`));
    void track('c', 300);
    void track('a', 100);
    void track('b', 100);
    void track('late', 1_000);
    await clock.advance(300);
    expect(woke).toEqual(['a@1100', 'b@1100', 'c@1300']);
    expect(clock.now()).toBe(1_300);
    expect(clock.pendingSleeps()).toBe(1);
  });

  it('wakes a sleep begun by a woken task when it also falls due within the advance', async () => {
    const clock = createFakeClock(0);
    const woke: number[] = [];
    void (async () => {
      await clock.sleep(10);
      woke.push(clock.now());
      await clock.sleep(10);
      woke.push(clock.now());
    })();
    await clock.advance(25);
    expect(woke).toEqual([10, 20]);
    expect(clock.now()).toBe(25);
  });

  it('rejects an aborted sleep with the signal reason and forgets it', async () => {
    const clock = createFakeClock(0);
    const controller = new AbortController();
    const sleeping = clock.sleep(50, controller.signal);
    controller.abort(new Error('woken'));
    await expect(sleeping).rejects.toThrow('woken');
    expect(clock.pendingSleeps()).toBe(0);
  });

  it('runUntilSettled advances through paced work and returns its value', async () => {
    const clock = createFakeClock(0);
    const work = (async () => {
      for (let i = 0; i < 3; i++) await clock.sleep(200);
      return clock.now();
    })();
    expect(await clock.runUntilSettled(work)).toBe(600);
  });

  it('sleeping() lists what each waiting sleep has left, shortest first', async () => {
    const clock = createFakeClock(0);
    void clock.sleep(500);
    void clock.sleep(60_000);
    expect(clock.sleeping()).toEqual([500, 60_000]);
    await clock.advance(499);
    expect(clock.sleeping()).toEqual([1, 59_501]);
  });

  it('runUntilSettled with `quiet` moves time only once quiet() says nothing is in flight', async () => {
    const clock = createFakeClock(0);
    let inFlight = true;
    const work = clock.sleep(1_000).then(() => clock.now());
    const running = clock.runUntilSettled(work, () => !inFlight);
    // While "a request is on its way" the sleep stays asleep, however many loop turns pass.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(clock.now()).toBe(0);
    inFlight = false;
    expect(await running).toBe(1_000);
  });
});

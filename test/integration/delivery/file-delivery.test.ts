/**
 * The events file (EVENTS_FILE) through the outbox and the dispatcher: one line per event, the
 * stored envelope byte for byte, at least once, and a failed append is retried, never lost.
 */
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { DESTINATION_PLUGINS } from '../../../src/delivery/destinations.js';
import { createDispatcher } from '../../../src/delivery/dispatcher.js';
import { createSilentLogger } from '../../../src/logger.js';
import { claimDueDeliveries } from '../../../src/store/outbox.js';
import { listDeliveries } from '../../../src/store/outbox-reads.js';
import * as fixtures from '../../helpers/delivery-fixtures.js';
import { assertValidEvent } from '../../helpers/event-schema.js';
import { createFakeClock } from '../../helpers/fake-clock.js';

/** Each test's store and dispatcher, stopped and removed after it. */
const setups: { stop(): Promise<void>; cleanup(): void }[] = [];
afterEach(async () => {
  for (const done of setups.splice(0)) {
    await done.stop();
    done.cleanup();
  }
});

function setup(env: (dir: string) => Record<string, string>) {
  const t = fixtures.createTempStore();
  const clock = createFakeClock();
  const config = fixtures.aDeliveryConfig(t.dir, t.path, { env: env(t.dir) });
  const logger = createSilentLogger();
  const dispatcher = createDispatcher({
    store: t.store,
    config,
    logger,
    clock,
    source: fixtures.TEST_SOURCE,
  });
  setups.push({ stop: () => dispatcher.stop(), cleanup: t.cleanup });
  return { t, config, dispatcher, clock };
}

const userAdded = (name: string) => fixtures.drafts.userAdded(fixtures.aUser(name));
const fileLines = (path: string) => readFileSync(path, 'utf8').split('\n').slice(0, -1);
const envelopes = (t: ReturnType<typeof fixtures.createTempStore>) =>
  t.store.sqlite.prepare('SELECT envelope FROM events ORDER BY sequence').pluck().all() as string[];

describe('events file delivery', () => {
  it('appends each routed event once, as the stored envelope, oldest first', async () => {
    const { t, config, dispatcher, clock } = setup((dir) => ({
      EVENTS_FILE: join(dir, 'events.jsonl'),
      EVENTS_FILE_EVENTS: 'victorops.user.*',
    }));
    const path = join(t.dir, 'events.jsonl');
    const stored = fixtures.commitRun(
      t.store,
      config,
      [userAdded('u1'), fixtures.drafts.baseline(), userAdded('u2')],
      clock.now(),
    );
    expect(await dispatcher.runOnce()).toMatchObject({ attempted: 2, delivered: 2, failed: 0 });
    const users = stored.filter((e) => e.type.startsWith('victorops.user.'));
    const lines = fileLines(path);
    expect(lines).toEqual(envelopes(t).filter((body) => users.some((u) => body.includes(`"id":"${u.id}"`))));
    for (const line of lines) assertValidEvent(JSON.parse(line));
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(users.map((u) => u.id));
    expect((await dispatcher.runOnce()).attempted).toBe(0);
    expect(fileLines(path)).toHaveLength(2);
  });

  it('records a failed append with its cause and delivers once the directory is back', async () => {
    const { t, config, dispatcher, clock } = setup((dir) => {
      mkdirSync(join(dir, 'spool'));
      return { EVENTS_FILE: join(dir, 'spool', 'events.jsonl'), DELIVERY_RETRY_SCHEDULE: '0ms,1m' };
    });
    const path = join(t.dir, 'spool', 'events.jsonl');
    rmSync(join(t.dir, 'spool'), { recursive: true });
    fixtures.commitRun(t.store, config, [userAdded('u1')], clock.now());
    expect(await dispatcher.runOnce()).toMatchObject({ attempted: 1, delivered: 0, failed: 1 });
    const [row] = listDeliveries(t.store, { limit: 10 });
    expect(row).toMatchObject({ status: 'failed', attempts: 1, destination: 'events-file' });
    const errors = t.store.sqlite.prepare('SELECT error FROM delivery_attempts').pluck().all();
    expect(errors).toEqual([`cannot append to ${path}: ENOENT: its directory no longer exists`]);

    mkdirSync(join(t.dir, 'spool'));
    // The 1-minute retry has ±20% jitter.
    await clock.advance(72_000);
    expect(await dispatcher.runOnce()).toMatchObject({ attempted: 1, delivered: 1 });
    expect(fileLines(path)).toEqual(envelopes(t));
  });

  it('repeats a line after a crash between the append and the mark, and ends a torn one', async () => {
    const { t, config, dispatcher, clock } = setup((dir) => ({ EVENTS_FILE: join(dir, 'events.jsonl') }));
    const path = join(t.dir, 'events.jsonl');
    const [first, second] = fixtures.commitRun(
      t.store,
      config,
      [userAdded('u1'), userAdded('u2')],
      clock.now(),
    );
    // A process claims the first row and appends it, then dies before marking it delivered ...
    const sender = DESTINATION_PLUGINS.file.create('events-file', {
      store: t.store,
      delivery: config.delivery,
      clock,
      agent: new Agent(),
    });
    const [claimed] = claimDueDeliveries(t.store, {
      destination: 'events-file',
      nowMs: clock.now(),
      limit: 1,
      leaseMs: sender!.leaseMs,
    });
    expect((await sender!.send(claimed!)).kind).toBe('delivered');
    // ... and another dies halfway through writing the second line.
    appendFileSync(path, '{"specversion":"1.0","id":"');
    // Once the lease has run out, the next pass delivers both rows again: nothing is lost.
    await clock.advance(sender!.leaseMs + 1);
    expect(await dispatcher.runOnce()).toMatchObject({ attempted: 2, delivered: 2 });
    const lines = fileLines(path);
    expect(lines[1]).toBe('{"specversion":"1.0","id":"');
    const whole = [lines[0], ...lines.slice(2)].map((l) => JSON.parse(l!) as { id: string });
    for (const event of whole) assertValidEvent(event);
    expect(whole.map((e) => e.id)).toEqual([first!.id, first!.id, second!.id]);
    expect(listDeliveries(t.store, { limit: 10 }).every((d) => d.status === 'delivered')).toBe(true);
  });
});

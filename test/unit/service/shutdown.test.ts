import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/logger.js';
import { type ShutdownSteps, shutDown } from '../../../src/service/shutdown.js';
import { createFakeClock } from '../../helpers/fake-clock.js';

function recordingSteps(hangDeliveries = false): { steps: ShutdownSteps; done: string[] } {
  const done: string[] = [];
  const step = (name: string) => async () => {
    done.push(name);
  };
  return {
    done,
    steps: {
      stopPolls: step('polls'),
      stopDeliveries: hangDeliveries ? () => new Promise<void>(() => undefined) : step('deliveries'),
      closeHttp: step('http'),
      closeClient: step('client'),
      closeStores: () => void done.push('stores'),
      destroyHttp: () => void done.push('destroy http'),
    },
  };
}

describe('shutDown', () => {
  it('stops polls, then deliveries, then the server, then the connections, within the timeout', async () => {
    const { steps, done } = recordingSteps();
    const clock = createFakeClock();
    const result = await shutDown('SIGTERM', false, {
      logger: createSilentLogger(),
      clock,
      timeoutMs: 30_000,
      steps,
    });
    expect(result).toEqual({ reason: 'SIGTERM', forced: false, fatal: false });
    expect(done).toEqual(['polls', 'deliveries', 'http', 'client', 'stores']);
    expect(clock.pendingSleeps()).toBe(0);
  });

  it('past the timeout closes what is left at once and says it was forced', async () => {
    const { steps, done } = recordingSteps(true);
    const clock = createFakeClock();
    const stopping = shutDown('database replaced', true, {
      logger: createSilentLogger(),
      clock,
      timeoutMs: 30_000,
      steps,
    });
    expect(await clock.nextSleepDue()).toBe(clock.now() + 30_000);
    await clock.advance(30_000);
    expect(await stopping).toEqual({ reason: 'database replaced', forced: true, fatal: true });
    expect(done).toEqual(['polls', 'destroy http', 'client', 'stores']);
  });
});

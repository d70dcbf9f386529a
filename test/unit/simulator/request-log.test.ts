import { describe, expect, it } from 'vitest';
import { createRequestLog } from '../../../src/simulator/request-log.js';

describe('the simulator request log', () => {
  it('arrived() resolves once enough matching requests are logged, counting those already there', async () => {
    const log = createRequestLog();
    log.record('GET', '/api-public/v1/user', 0);
    await log.arrived({ path: '/v1/user' });
    let second = false;
    const waiting = log.arrived({ path: '/v1/user' }, 2).then(() => {
      second = true;
    });
    log.record('GET', '/api-public/v1/team', 1);
    await Promise.resolve();
    expect(second).toBe(false);
    log.record('GET', '/api-public/v1/user', 2);
    await waiting;
    expect(second).toBe(true);
  });
});

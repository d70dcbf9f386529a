/**
 * Plain http:// to another machine is warned about at start, by variable and host only.
 * Needs `npm run build`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { runCli, simulatorCliEnv } from '../helpers/cli.js';
import { aWebhookSecret } from '../helpers/delivery-fixtures.js';

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ users: 5, teams: 2 });
});
afterEach(async () => {
  await sim.close();
});

describe('start-up warnings', () => {
  it('poll warns once per non-loopback http:// destination, without its path', async () => {
    const r = await runCli(
      ['poll', '--no-deliver'],
      simulatorCliEnv(sim, {
        WEBHOOK_URLS: 'http://192.0.2.10/hook/p4th-tok3n',
        WEBHOOK_SECRET: aWebhookSecret(),
        SLACK_WEBHOOK_URL: 'http://slack-relay.invalid/services/T1/B1/tok3n',
      }),
    );
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr
      .split('\n')
      .filter((l) => l.includes('uses plain http://'))
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(warnings.map((w) => w.level)).toEqual([40, 40]);
    expect(warnings[0]?.msg).toContain('http://192.0.2.10/…');
    expect(warnings[1]?.msg).toContain(
      'SLACK_WEBHOOK_URL uses plain http:// to http://slack-relay.invalid/…',
    );
    // The simulator is on 127.0.0.1: no warning for VO_BASE_URL.
    expect(r.stderr).not.toContain('VO_BASE_URL uses plain');
    expect(r.stderr).not.toMatch(/tok3n/);
  });
});

/**
 * `endpoints enable` through the built CLI against the simulator: a webhook endpoint that answered
 * 410 Gone is disabled by the poll's delivery; once enabled again it gets what waited for it and a
 * `rosterwatch.endpoint.enabled` notice saying since when and why it was off and how much goes out.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EventDataByType } from '../../src/roster/events.js';
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../src/simulator/receivers/webhook-receiver.js';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { runCli, simulatorCliEnv } from '../helpers/cli.js';
import { aWebhookSecret } from '../helpers/delivery-fixtures.js';
import { assertValidEvent } from '../helpers/event-schema.js';

let sim: Simulator | undefined;
let hook: WebhookReceiver | undefined;
afterEach(async () => {
  await Promise.all([sim?.close(), hook?.close()]);
});

describe('endpoints enable', () => {
  it('re-enables a webhook disabled after 410 Gone and announces it with what was waiting', async () => {
    sim = await startSimulator({ users: 6, teams: 2, seed: 24, policyListPerMinute: 0 });
    const secret = aWebhookSecret();
    let gone = true;
    hook = await startWebhookReceiver({
      host: '127.0.0.1',
      port: 0,
      secret,
      respond: () => ({ status: gone ? 410 : 204 }),
    });
    const env = simulatorCliEnv(sim, {
      WEBHOOK_URLS: `${hook.url}/hook`,
      WEBHOOK_SECRET: secret,
      DELIVERY_RETRY_SCHEDULE: '0ms',
    });
    const cli = async (args: string[]) => {
      const r = await runCli(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stdout}\n${r.stderr}`).toBe(0);
      return r;
    };

    await cli(['poll']);
    const [listed] = JSON.parse((await cli(['endpoints', 'list', '--json'])).stdout) as {
      name: string;
      disabledAt: string | null;
    }[];
    expect(listed?.disabledAt).not.toBeNull();
    expect(hook.received).toEqual([]);

    gone = false;
    const enabled = await cli(['endpoints', 'enable', listed!.name]);
    expect(enabled.stdout).toContain(`${listed!.name} enabled`);
    await cli(['deliver']);

    const types = hook.received.map((r) => r.event.type);
    expect(types).toEqual(['rosterwatch.baseline', 'rosterwatch.endpoint.enabled']);
    const notice = hook.received[1]!.event;
    assertValidEvent(notice);
    expect(notice.subject).toBe(listed!.name);
    expect(notice.source).toBe(hook.received[0]!.event.source);
    expect(notice.data as EventDataByType['rosterwatch.endpoint.enabled']).toEqual({
      destination: listed!.name,
      disabledAt: listed!.disabledAt,
      reason: 'the endpoint answered 410 Gone',
      waiting: 1,
    });

    // Enabling it again is not a change: nothing more is recorded or sent.
    const again = await cli(['endpoints', 'enable', listed!.name]);
    expect(again.stdout).toContain('already enabled');
    await cli(['deliver']);
    expect(hook.received).toHaveLength(2);

    // Without the poll's event source it refuses, rather than announce under another source.
    const { VO_API_ID: _id, ...withoutSource } = env;
    const refused = await runCli(['endpoints', 'enable', listed!.name], withoutSource);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('VO_API_ID is required (or EVENT_SOURCE)');
  });
});

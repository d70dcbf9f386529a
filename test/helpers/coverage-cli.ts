/** The CLI calls the coverage e2e tests share: run with an expected exit code, read history and findings. */
import { expect } from 'vitest';
import type { CloudEvent } from '../../src/roster/events.js';
import { runCli } from './cli.js';
import { assertValidEvent } from './event-schema.js';

export interface OpenFindingJson {
  kind: string;
  key: string;
  message: string;
  finding: Record<string, unknown>;
}

/** `env` is read at each call, so a test's beforeEach can replace it. */
export function coverageCli(env: () => Record<string, string>) {
  async function cli(args: string[], expectedCode = 0) {
    const r = await runCli(args, env());
    expect(r.code, `${args.join(' ')}: ${r.stdout}\n${r.stderr}`).toBe(expectedCode);
    return r;
  }
  async function history(type: string): Promise<CloudEvent[]> {
    const events = JSON.parse((await cli(['history', '--json', '--type', type])).stdout) as CloudEvent[];
    for (const e of events) assertValidEvent(e);
    return events;
  }
  async function openFindings(): Promise<OpenFindingJson[]> {
    return JSON.parse((await cli(['coverage', '--json'])).stdout);
  }
  return { cli, history, openFindings };
}

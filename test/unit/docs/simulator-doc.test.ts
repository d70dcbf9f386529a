/** docs/simulator.md documents every /_sim control route and every `simulate` option the code has. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerSimulateCommand } from '../../../src/cli/simulate.js';
import type { ControlContext } from '../../../src/simulator/control-context.js';
import { createControlRoutes } from '../../../src/simulator/control-routes.js';

const doc = readFileSync(resolve(import.meta.dirname, '../../../docs/simulator.md'), 'utf8');

describe('docs/simulator.md', () => {
  it('lists every /_sim route with each of its methods', () => {
    // Only the route table is read: the handlers are never called.
    const routes = createControlRoutes({ org: {}, faults: {}, stats: {} } as unknown as ControlContext);
    expect(routes.length).toBeGreaterThan(10);
    for (const route of routes) {
      const path = `/_sim/${route.pattern.map((s) => (s.startsWith(':') ? `{${s.slice(1)}}` : s)).join('/')}`;
      for (const method of Object.keys(route.methods)) {
        const row = doc
          .split('\n')
          .find((line) => line.startsWith('|') && line.includes(`${path}\``) && line.includes(method));
        expect(row, `${method} ${path}`).toBeDefined();
      }
    }
  });

  it('documents every option of `simulate` and the credentials it accepts by default', () => {
    const program = new Command();
    registerSimulateCommand(program);
    const simulate = program.commands.find((c) => c.name() === 'simulate')!;
    for (const option of simulate.options) expect(doc, option.long).toContain(`\`${option.long}`);
    expect(doc).toContain('sim-api-id');
    expect(doc).toContain('sim-api-key');
    expect(doc).toContain('/api-public');
  });
});

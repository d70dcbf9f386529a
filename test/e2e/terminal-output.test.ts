/**
 * Names come from VictorOps; a display name holding terminal escapes must not reach a terminal
 * through `roster` or `history`, while `--json` keeps it exactly. Needs `npm run build`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { runCli, simulatorCliEnv } from '../helpers/cli.js';

// ESC [31m (colour), a C1 CSI (U+009B), a carriage return and a newline that would forge a line.
const HOSTILE_FIRST = 'Eve\u001b[31m\u009b2J';
const HOSTILE_LAST = 'Mallory\rroot\nforged-line';
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the test
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

let sim: Simulator;
let env: Record<string, string>;

beforeEach(async () => {
  sim = await startSimulator({ users: 5, teams: 2, seed: 5 });
  env = simulatorCliEnv(sim);
  const baseline = await runCli(['poll'], env);
  expect(baseline.code, baseline.stderr).toBe(0);
  // Added after the baseline, so `history` has a user.added event naming her.
  sim.org.addUser({
    username: 'eve',
    firstName: HOSTILE_FIRST,
    lastName: HOSTILE_LAST,
    email: 'eve@x.example',
  });
  const poll = await runCli(['poll'], env);
  expect(poll.code, poll.stderr).toBe(0);
});
afterEach(async () => {
  await sim.close();
});

function expectPrintable(stdout: string): void {
  for (const line of stdout.split('\n')) expect(line, JSON.stringify(line)).not.toMatch(CONTROL);
  expect(stdout).toContain('Eve\\x1B[31m\\x9B2J');
  expect(stdout).toContain('Mallory\\x0Droot\\x0Aforged-line');
  expect(stdout.split('\n').some((line) => line.startsWith('forged-line'))).toBe(false);
}

describe('human-readable output of names from VictorOps', () => {
  it('roster shows control characters as \\xNN and roster --json keeps them exactly', async () => {
    const text = await runCli(['roster'], env);
    expect(text.code, text.stderr).toBe(0);
    expectPrintable(text.stdout);
    const json = await runCli(['roster', '--json'], env);
    const users = (
      JSON.parse(json.stdout) as { users: { username: string; firstName: string; lastName: string }[] }
    ).users;
    expect(users.find((u) => u.username === 'eve')).toMatchObject({
      firstName: HOSTILE_FIRST,
      lastName: HOSTILE_LAST,
    });
  });

  it('history shows control characters as \\xNN and history --json keeps them exactly', async () => {
    const text = await runCli(['history'], env);
    expect(text.code, text.stderr).toBe(0);
    expectPrintable(text.stdout);
    const json = await runCli(['history', '--json'], env);
    expect(json.stdout).toContain(JSON.stringify(HOSTILE_FIRST).slice(1, -1));
  });
});

import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { scratchDir } from './scratch-dir.js';

export const CLI = resolve(import.meta.dirname, '..', '..', 'dist', 'cli.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment for the CLI: nothing inherited but PATH, so the machine's variables cannot leak in. */
export function cliEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', ...extra };
}

export function runCli(
  args: string[],
  env: Record<string, string>,
  options: { timeoutMs?: number; nodeArgs?: string[] } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/** A database path in a fresh folder, removed after the test file. */
export function tempDatabase(): string {
  return join(scratchDir('rw-e2e-'), 'roster-watch.db');
}

/**
 * The CLI's environment against a simulator: its credentials and URL, a pace the simulator keeps
 * up with, a fresh database; `extra` adds to or overrides any of them.
 */
export function simulatorCliEnv(
  sim: { url: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return cliEnv({
    VO_API_ID: 'sim-api-id',
    VO_API_KEY: 'sim-api-key',
    VO_BASE_URL: sim.url,
    VO_MAX_RPS: '500',
    DATABASE_PATH: tempDatabase(),
    ...extra,
  });
}

/**
 * `roster-watch simulate`: runs the simulated VictorOps org in the foreground, for the
 * demo, docker-compose and manual testing against a realistic API.
 */
import type { Command } from 'commander';
import { InvalidOptionError } from '../errors.js';
import type { SimulatorOptions } from '../simulator/simulator.js';

interface SimulateFlags {
  host: string;
  port: string;
  users: string;
  invitees: string;
  teams: string;
  seed: string;
  apiId: string;
  apiKey: string;
  rateLimit?: string;
  rateLimitStatus: string;
  retryAfter?: boolean;
  latencyMs: string;
  policyListPerMinute: string;
  drift?: string | true;
}

function integerOption(flag: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(`${flag} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function toSimulatorOptions(flags: SimulateFlags): SimulatorOptions {
  const rateLimitStatus = flags.rateLimitStatus.trim() === '403' ? 403 : 429;
  if (!['403', '429'].includes(flags.rateLimitStatus.trim())) {
    throw new InvalidOptionError(`--rate-limit-status must be 429 or 403, got "${flags.rateLimitStatus}"`);
  }
  return {
    host: flags.host,
    port: integerOption('--port', flags.port, 0, 65_535),
    users: integerOption('--users', flags.users, 0, 1_000_000),
    invitees: integerOption('--invitees', flags.invitees, 0, 100_000),
    teams: integerOption('--teams', flags.teams, 0, 100_000),
    seed: integerOption('--seed', flags.seed, 0, 0xffff_ffff),
    apiId: flags.apiId,
    apiKey: flags.apiKey,
    rateLimit:
      flags.rateLimit === undefined
        ? null
        : {
            rps: integerOption('--rate-limit', flags.rateLimit, 1, 100_000),
            status: rateLimitStatus,
            retryAfter: flags.retryAfter === true,
          },
    latencyMs: integerOption('--latency-ms', flags.latencyMs, 0, 600_000),
    policyListPerMinute: integerOption('--policy-list-per-minute', flags.policyListPerMinute, 0, 100_000),
    drift:
      flags.drift === undefined
        ? null
        : { intervalMs: flags.drift === true ? 5000 : integerOption('--drift', flags.drift, 1, 86_400_000) },
  };
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'Run a simulated VictorOps org (users, teams, memberships, policies, on-call) on a local HTTP port',
    )
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', '8080')
    .option('--users <count>', 'number of generated users', '20')
    .option('--invitees <count>', 'number of pending invitations (invited_… users) in the org', '2')
    .option('--teams <count>', 'number of generated teams', '5')
    .option('--seed <n>', 'seed for the generated org and its drift', '1')
    .option('--api-id <id>', 'accepted X-VO-Api-Id', 'sim-api-id')
    .option('--api-key <key>', 'accepted X-VO-Api-Key', 'sim-api-key')
    .option('--rate-limit <rps>', 'per-key limit in requests per second (default: unlimited)')
    .option('--rate-limit-status <status>', 'status for rate-limited requests: 429 or 403', '429')
    .option('--retry-after', 'send Retry-After: 1 with rate-limited responses')
    .option('--latency-ms <ms>', 'latency added to every API response', '0')
    .option(
      '--policy-list-per-minute <n>',
      'GET /v1/policies calls allowed per key per minute (0 = unlimited)',
      '1',
    )
    .option('--drift [intervalMs]', 'apply 1-3 random roster changes every interval (default 5000 ms)')
    .action(async (flags: SimulateFlags, command: Command) => {
      let options: SimulatorOptions;
      try {
        options = toSimulatorOptions(flags);
      } catch (error) {
        if (error instanceof InvalidOptionError) command.error(error.message, { exitCode: 2 });
        throw error;
      }
      const { startSimulator } = await import('../simulator/simulator.js');
      const simulator = await startSimulator({
        ...options,
        onDriftChange: (description) => console.log(`drift: ${description}`),
      });
      const counts = simulator.org.counts();
      console.log(
        `simulator listening on ${simulator.url} (users=${counts.users} teams=${counts.teams} memberships=${counts.memberships} policies=${simulator.org.listPolicies().length})`,
      );
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        // Once the server and drift timer are closed nothing keeps the process alive: it exits 0.
        simulator.close().catch((error: unknown) => {
          console.error(
            `simulator did not close cleanly: ${error instanceof Error ? error.message : String(error)}`,
          );
          process.exitCode = 1;
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

/**
 * `roster-watch receive`: a local webhook receiver that verifies signatures, for demos and
 * compose only. It rejects replayed webhook-ids, and says at start that it is no production endpoint.
 */
import type { Command } from 'commander';
import { CliExit } from '../errors.js';
import type { startWebhookReceiver } from '../simulator/receivers/webhook-receiver.js';
import type { CliContext } from './context.js';

export function registerReceiveCommand(program: Command, ctx: CliContext): void {
  program
    .command('receive')
    .description(
      'for demos only: run a local Standard Webhooks receiver that verifies, prints one line per event and serves GET /_received',
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '9000')
    .option(
      '--secret <whsec>',
      'signing secret (prefer the WEBHOOK_SECRET variable: arguments show up in ps)',
    )
    .addHelpText(
      'after',
      '\nValid requests get 204, invalid signatures 401, a replayed request (a webhook-id already\naccepted, same signature) 409, and the same id freshly signed 200 as a duplicate. GET /_received\nreturns the newest 1,000 accepted events as a JSON array; GET /healthz returns 200. Runs until\ninterrupted. For demos only: plain HTTP, memory only; production receivers belong in your own stack.',
    )
    .action(async (options: { host: string; port: string; secret?: string }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) {
        throw new CliExit(2, `--port must be a whole number from 0 to 65535, got "${options.port}"`);
      }
      const secret = options.secret ?? ctx.env.WEBHOOK_SECRET?.trim();
      if (secret === undefined || secret === '') {
        throw new CliExit(2, 'a signing secret is required: set WEBHOOK_SECRET (whsec_…) or pass --secret');
      }
      const { startWebhookReceiver } = await import('../simulator/receivers/webhook-receiver.js');
      let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
      try {
        receiver = await startWebhookReceiver({
          host: options.host,
          port,
          secret,
          // A long-running receiver (docker-compose) must not grow without bound.
          keep: 1_000,
          replays: 'reject',
          onEvent: (e) => ctx.out(`${e.event.time} ${e.event.type} ${e.event.subject}`),
        });
      } catch (error) {
        const message = (error as Error).message;
        if (/base64|secret/i.test(message))
          throw new CliExit(2, 'the secret must be "whsec_" followed by base64');
        throw new CliExit(2, `cannot listen on ${options.host}:${port}: ${message}`);
      }
      ctx.err(`receiving webhooks on ${receiver.url} (GET ${receiver.url}/_received lists them)`);
      ctx.err('this receiver is for demos only: plain HTTP, memory only, not a production endpoint');
      // src/cli.ts leaves SIGINT/SIGTERM to long-running commands like this one.
      await new Promise<void>((resolve) => {
        const done = () => {
          process.off('SIGINT', done);
          process.off('SIGTERM', done);
          resolve();
        };
        if (ctx.signal.aborted) return done();
        ctx.signal.addEventListener('abort', done, { once: true });
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await receiver.close();
      ctx.err(
        `stopped after ${receiver.received.length} events (${receiver.rejected} rejected, ${receiver.replayed} replays refused)`,
      );
    });
}

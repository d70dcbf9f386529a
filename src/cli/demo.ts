/**
 * `roster-watch demo` (`npm run demo`): the whole system on one machine with no credentials and
 * no network. A simulated org drifts, the watcher polls it every few seconds, and a local
 * webhook receiver (verifying signatures) and a local Slack stand-in print what arrives.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import type { CloudEvent } from '../roster/events.js';
import { describeUser } from '../roster/roster-json.js';
import type { Daemon } from '../service/daemon.js';
import type { CliContext } from './context.js';
import { toPrintable } from './printable.js';

interface DemoOptions {
  users: string;
  teams: string;
  intervalSeconds: string;
  database: string;
  durationSeconds?: string;
}

const paint = (code: number, text: string, tty: boolean) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);

/** One line per webhook event, as an on-call person would want to read it. */
export function summariseEvent(event: CloudEvent): string {
  const d = event.data as Record<string, unknown>;
  switch (event.type) {
    case 'victorops.user.added':
    case 'victorops.user.removed':
    case 'victorops.user.invited':
    case 'victorops.user.registered':
    case 'victorops.user.invite_withdrawn':
      return `${event.type}  ${describeUser(d.user as Parameters<typeof describeUser>[0])}`;
    case 'victorops.membership.added':
    case 'victorops.membership.removed':
      return `${event.type}  ${String(d.username)} ${event.type.endsWith('added') ? '→' : '←'} ${(d.team as { name: string }).name}`;
    case 'victorops.user.changed':
      return `${event.type}  ${String(d.username)}: ${(
        d.changes as { field: string; before: unknown; after: unknown }[]
      )
        .map((c) => `${c.field} ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`)
        .join(', ')}`;
    default:
      return `${event.type}  ${event.subject}`;
  }
}

/** The cron schedule of the demo's roster polls: every `intervalSeconds` (at most a minute apart). */
function demoPollSchedule(intervalSeconds: number): string {
  return `*/${Math.min(intervalSeconds, 59)} * * * * *`;
}

/**
 * The demo polls escalation policies as often as the roster, so a policy change the simulator makes
 * reaches Slack within one interval; the default (a policy poll on the minute, as VictorOps' limit of
 * one policy-list call a minute asks) made it arrive up to a minute late. Only the demo's simulator
 * is told to allow it (demoPolicyListPerMinute); a real org keeps the once-a-minute pace.
 */
export function demoPolicyPacing(intervalSeconds: number): Record<string, string> {
  return {
    POLICY_SCHEDULE: demoPollSchedule(intervalSeconds),
    POLICY_LIST_MIN_INTERVAL_MS: String(Math.min(intervalSeconds, 59) * 1000),
  };
}

/** How many policy-list calls a minute the demo's simulator admits: one per poll, with room for doctor. */
export function demoPolicyListPerMinute(intervalSeconds: number): number {
  return Math.ceil(60 / Math.min(intervalSeconds, 59)) + 1;
}

export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('run everything locally against a simulated, drifting org: no credentials, no network')
    .option('--users <n>', 'users in the simulated org', '60')
    .option('--teams <n>', 'teams in the simulated org', '8')
    .option('--interval-seconds <n>', 'seconds between polls (and between org changes)', '5')
    .option(
      '--database <path>',
      'where the demo keeps its history (replaced at every start)',
      './data/demo.db',
    )
    .option('--duration-seconds <n>', 'stop by itself after this long (default: run until Ctrl-C)')
    .action(async (opts: DemoOptions) => {
      const { parsePositiveInt } = await import('./setup.js');
      const tty = process.stdout.isTTY === true;
      const users = parsePositiveInt(opts.users, '--users');
      const teams = parsePositiveInt(opts.teams, '--teams');
      const interval = parsePositiveInt(opts.intervalSeconds, '--interval-seconds');
      const duration =
        opts.durationSeconds === undefined
          ? null
          : parsePositiveInt(opts.durationSeconds, '--duration-seconds');
      const database = resolve(opts.database);
      // The tag's colour is ours; the text (rendered Slack messages, event subjects) is made
      // printable line by line, so its own control characters never reach the terminal.
      const say = (tag: string, color: number, text: string) =>
        ctx.exact(`${paint(color, `[${tag}]`, tty)} ${text.split('\n').map(toPrintable).join('\n')}`);
      // The simulated org starts afresh every time, so an old demo history would only show its
      // difference from the new org (and trip the mass-removal guard): start the history afresh too.
      // Said before it happens: a user who pointed --database at a history they care about must know.
      say(
        'demo   ',
        36,
        existsSync(database)
          ? `starting afresh: replacing the demo history in ${database} (--database <path> keeps it elsewhere)`
          : `recording the demo history in ${database}`,
      );
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${database}${suffix}`, { force: true });
      // The events file a log shipper would tail, beside the history and started afresh with it.
      const eventsFile = `${database.replace(/\.db$/, '')}.events.jsonl`;
      rmSync(eventsFile, { force: true });
      mkdirSync(dirname(database), { recursive: true });
      const { startSimulator } = await import('../simulator/simulator.js');
      const { startWebhookReceiver } = await import('../simulator/receivers/webhook-receiver.js');
      const { renderSlackMessage, startSlackReceiver } = await import(
        '../simulator/receivers/slack-receiver.js'
      );
      const { loadConfig } = await import('../config/load-config.js');
      const { createLogger } = await import('../logger.js');
      const { createApp } = await import('../app.js');
      const { startDaemon } = await import('../service/daemon.js');

      const sim = await startSimulator({
        users,
        teams,
        seed: 42,
        routingKeys: true,
        drift: { intervalMs: interval * 1000 + 1500 },
        // The demo's own pacing: the policy list may be read every poll (VictorOps allows one call
        // a minute), so a policy change reaches Slack in one interval instead of up to a minute.
        policyListPerMinute: demoPolicyListPerMinute(interval),
        onDriftChange: (change) => say('org    ', 35, change),
      });
      const secret = `whsec_${randomBytes(32).toString('base64')}`;
      const webhook = await startWebhookReceiver({
        host: '127.0.0.1',
        port: 0,
        secret,
        replays: 'reject',
        onEvent: (received) => say('webhook', 36, `${summariseEvent(received.event)}  (signature ok)`),
      });
      const slack = await startSlackReceiver({
        host: '127.0.0.1',
        port: 0,
        onMessage: (message) => say('slack  ', 33, `\n${renderSlackMessage(message).replace(/^/gm, '    ')}`),
      });
      const startWatcher = async () => {
        const config = loadConfig(
          {
            VO_API_ID: 'sim-api-id',
            VO_API_KEY: 'sim-api-key',
            VO_BASE_URL: sim.url,
            VO_MAX_RPS: '50',
            DATABASE_PATH: database,
            POLL_SCHEDULE: demoPollSchedule(interval),
            ...demoPolicyPacing(interval),
            WEBHOOK_URLS: webhook.url,
            WEBHOOK_SECRET: secret,
            SLACK_WEBHOOK_URL: slack.url,
            EVENTS_FILE: eventsFile,
            DELIVERY_RETRY_SCHEDULE: '0s,1s,5s,30s',
            HTTP_PORT: '0',
            // The web view on loopback: the demo's drift shows up in the pages as it happens.
            UI_ENABLED: 'true',
            EVENT_SOURCE: 'urn:roster-watch:victorops:demo',
            LOG_LEVEL: ctx.env.LOG_LEVEL ?? 'warn',
            LOG_FORMAT: ctx.env.LOG_FORMAT ?? 'auto',
          },
          { requireVictorOps: true },
        );
        const logger = createLogger({ level: config.logLevel, format: config.logFormat });
        return await startDaemon({
          config,
          logger,
          parts: await createApp({ config, logger }).daemonParts(),
        });
      };
      let daemon: Daemon;
      try {
        daemon = await startWatcher();
      } catch (error) {
        // A bad LOG_LEVEL or a busy database must end the demo, not leave the simulator drifting.
        await Promise.all([sim.close(), webhook.close(), slack.close()]);
        throw error;
      }
      printLines(ctx, [
        `roster-watch demo: a simulated org of ${users} users and ${teams} teams at ${sim.url}`,
        `  polling every ${interval}s into ${database}`,
        `  webhooks → ${webhook.url} (Standard Webhooks signatures verified), Slack → ${slack.url}`,
        `  events file → ${eventsFile} (one CloudEvents JSON line per event, for a log shipper)`,
        `  web view: http://127.0.0.1:${daemon.port}/ui`,
        `  metrics: http://127.0.0.1:${daemon.port}/metrics   health: http://127.0.0.1:${daemon.port}/readyz`,
        duration === null ? '  press Ctrl-C to stop' : `  stopping by itself after ${duration}s`,
        '',
      ]);

      let signals = 0;
      const stopped = new Promise<string>((resolveStop) => {
        const onSignal = (signal: NodeJS.Signals) => {
          signals += 1;
          if (signals > 1) process.exit(130);
          resolveStop(`received ${signal}`);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        if (duration !== null) setTimeout(() => resolveStop('duration reached'), duration * 1000).unref();
      });
      const reason = await stopped;
      await daemon.stop(reason);
      await Promise.all([sim.close(), webhook.close(), slack.close()]);
      printLines(ctx, [
        '',
        `demo stopped (${reason}); ${webhook.received.length} webhook events and ${slack.messages.length} Slack messages were delivered.`,
        'What it recorded stays in the database. Try:',
        `  DATABASE_PATH=${opts.database} npx roster-watch runs`,
        `  DATABASE_PATH=${opts.database} npx roster-watch history --since 1h`,
        `  DATABASE_PATH=${opts.database} npx roster-watch coverage`,
        `  DATABASE_PATH=${opts.database} npx roster-watch roster --at ${new Date(Date.now() - interval * 2000).toISOString()}`,
        `  sqlite3 ${opts.database} "SELECT time, type, subject, detail FROM change_log ORDER BY sequence DESC LIMIT 20"`,
      ]);
    });
}

function printLines(ctx: CliContext, lines: string[]): void {
  for (const line of lines) ctx.out(line);
}

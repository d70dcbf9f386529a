/**
 * `roster-watch deliveries` never prints a URL path, query or Slack `/services/…` token, even
 * from rows an older version stored unscrubbed. Needs `npm run build`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cliEnv, runCli } from '../helpers/cli.js';
import { aDeliveryConfig, aUser, commitRun, createTempStore, drafts } from '../helpers/delivery-fixtures.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('roster-watch deliveries', () => {
  it('scrubs echoed URLs and /services/ tokens from last errors, in text and in --json', async () => {
    const t = createTempStore();
    cleanups.push(t.cleanup);
    const config = aDeliveryConfig(t.dir, t.path, {
      slackUrl: 'https://hooks.slack.com/services/T1/B1/tok3n',
    });
    commitRun(t.store, config, [drafts.userAdded(aUser('a'))]);
    // What an older version stored from an endpoint that echoed the request.
    t.store.sqlite
      .prepare('UPDATE deliveries SET status = ?, last_status_code = ?, last_error = ?')
      .run(
        'failed',
        500,
        'Slack answered 500 no route for https://hooks.slack.com/services/T1/B1/tok3n (/services/T1/B1/tok3n)',
      );
    t.store.close();
    const env = cliEnv({ DATABASE_PATH: t.path });
    for (const args of [['deliveries'], ['deliveries', '--json']]) {
      const r = await runCli(args, env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Slack answered 500 no route for https://hooks.slack.com/… (/services/…)');
      expect(r.stdout).not.toContain('tok3n');
    }
  });
});

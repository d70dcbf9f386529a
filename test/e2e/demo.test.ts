import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliEnv, runCli, tempDatabase } from '../helpers/cli.js';
import { assertValidEvent } from '../helpers/event-schema.js';

describe('roster-watch demo', () => {
  it('shows the baseline and live drift through signed webhooks and Slack, then stops cleanly', async () => {
    const database = tempDatabase();
    // An earlier demo's history: replaced, and the demo says so before it does.
    writeFileSync(database, '');
    const r = await runCli(
      [
        'demo',
        '--duration-seconds',
        '14',
        '--interval-seconds',
        '2',
        '--users',
        '25',
        '--teams',
        '4',
        '--database',
        database,
      ],
      cliEnv({}),
      { timeoutMs: 60_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(
      /^\[demo {3}\] starting afresh: replacing the demo history in \S+roster-watch\.db /,
    );
    expect(r.stdout).toContain('[webhook] rosterwatch.baseline');
    expect(r.stdout).toContain('Roster baseline recorded');
    expect(r.stdout).toMatch(/\[org {4}\] /);
    expect(r.stdout).toMatch(/\[webhook\] victorops\.\S+ .*\(signature ok\)/);
    expect(r.stdout).toMatch(/demo stopped \(duration reached\); \d+ webhook events/);
    const history = await runCli(['history', '--json'], cliEnv({ DATABASE_PATH: database }));
    const events = JSON.parse(history.stdout) as { type: string }[];
    expect(events[0]?.type).toBe('rosterwatch.baseline');
    expect(events.some((e) => e.type.startsWith('victorops.'))).toBe(true);
    // The events file beside the history holds the same events, one schema-valid line each.
    const eventsFile = database.replace(/\.db$/, '.events.jsonl');
    expect(r.stdout).toContain(`events file → ${eventsFile}`);
    const lines = readFileSync(eventsFile, 'utf8').trimEnd().split('\n');
    for (const line of lines) assertValidEvent(JSON.parse(line));
    expect((JSON.parse(lines[0]!) as { type: string }).type).toBe('rosterwatch.baseline');
    expect(lines.some((line) => line.includes('"type":"victorops.'))).toBe(true);
  });
});

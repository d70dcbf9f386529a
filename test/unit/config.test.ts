import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cron from 'node-cron';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { defaultEventSource } from '../../src/config/victorops.js';
import { configProblems } from '../helpers/config-problems.js';
import { scratchDir } from '../helpers/scratch-dir.js';

const base = { VO_API_ID: 'id-1', VO_API_KEY: 'very-secret-key' };

const problems = configProblems;

describe('loadConfig', () => {
  it('applies documented defaults', () => {
    const c = loadConfig(base, { requireVictorOps: true });
    expect(c.victorOps).toMatchObject({
      baseUrl: 'https://api.victorops.com/api-public',
      maxRps: 2,
      membershipSource: 'auto',
      maxResponseBytes: 32 * 1024 * 1024,
    });
    expect(c.databasePath).toBe('./data/roster-watch.db');
    expect(c.guard).toEqual({ maxFraction: 0.2, min: 5, confirmations: 3 });
    expect(c.delivery.retryScheduleMs.slice(0, 3)).toEqual([0, 5_000, 300_000]);
    expect(c.service.schedule.expression).toBe('*/5 * * * *');
    expect(c.service.schedule.intervalMs).toBe(300_000);
    expect(Object.isFrozen(c.victorOps)).toBe(true);
  });

  it('loads without working out a schedule interval or building an Intl formatter (issue 21: ~100 ms each poll)', () => {
    const createTask = vi.spyOn(cron, 'createTask');
    const formatter = vi.spyOn(Intl, 'DateTimeFormat');
    let c: ReturnType<typeof loadConfig>;
    try {
      c = loadConfig({ ...base, POLICY_SCHEDULE: '0 * * * *' }, { requireVictorOps: true });
      expect(c.oncall.timeZone).toBe('UTC');
      expect(Object.isFrozen(c.service.schedule)).toBe(true);
      expect(Object.isFrozen(c.ui)).toBe(true);
      expect(createTask).not.toHaveBeenCalled();
      expect(formatter).not.toHaveBeenCalled();
    } finally {
      createTask.mockRestore();
      formatter.mockRestore();
    }
    // Read, the frozen settings still give the intervals and the server's zone.
    expect(c.service.schedule.intervalMs).toBe(300_000);
    expect(c.coverage.schedule?.intervalMs).toBe(3_600_000);
    expect(c.ui.timeZone).toBe(new Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  });

  it('reports every problem at once, one line each, naming the variable', () => {
    const found = problems({
      VO_MAX_RPS: 'fast',
      VO_TIMEOUT_MS: '-1',
      MEMBERSHIP_SOURCE: 'both',
      POLL_SCHEDULE: 'every minute',
      DELIVERY_RETRY_SCHEDULE: '5s,soon',
      WEBHOOK_URLS: 'ftp://x',
    });
    expect(found.some((p) => p.startsWith('VO_API_ID'))).toBe(true);
    expect(found.some((p) => p.startsWith('VO_API_KEY'))).toBe(true);
    for (const name of [
      'VO_MAX_RPS',
      'VO_TIMEOUT_MS',
      'MEMBERSHIP_SOURCE',
      'POLL_SCHEDULE',
      'DELIVERY_RETRY_SCHEDULE',
      'WEBHOOK_URLS',
      'WEBHOOK_SECRET',
    ]) {
      expect(
        found.some((p) => p.includes(name)),
        `${name} in ${found.join('\n')}`,
      ).toBe(true);
    }
  });

  it('shows what was typed for a VO_BASE_URL that is not a URL, unless it may hold a credential', () => {
    expect(problems({ ...base, VO_BASE_URL: 'not-a-url' })).toContain(
      'VO_BASE_URL must be an http:// or https:// URL, got "not-a-url"',
    );
    const withUserinfo = problems({ ...base, VO_BASE_URL: 'ht!tp://user:pa55word@host' }).join('\n');
    expect(withUserinfo).toContain('VO_BASE_URL must be an http:// or https:// URL');
    expect(withUserinfo).not.toContain('pa55word');
  });

  it('never echoes a secret', () => {
    const found = problems({
      ...base,
      WEBHOOK_URLS: 'http://127.0.0.1:1/',
      WEBHOOK_SECRET: 'not-a-whsec-value',
      SLACK_WEBHOOK_URL: 'hooks.slack.com/services/T/B/tok3n',
    });
    expect(found.length).toBe(2);
    expect(found.join('\n')).not.toContain('not-a-whsec-value');
    expect(found.join('\n')).not.toContain('tok3n');
  });

  it('reads the key from VO_API_KEY_FILE and refuses both at once', () => {
    const dir = scratchDir('rw-config-');
    const file = join(dir, 'key');
    writeFileSync(file, 'file-secret\n');
    expect(
      loadConfig({ VO_API_ID: 'x', VO_API_KEY_FILE: file }, { requireVictorOps: true }).victorOps.apiKey,
    ).toBe('file-secret');
    expect(problems({ VO_API_ID: 'x', VO_API_KEY_FILE: file, VO_API_KEY: 'y' })).toEqual([
      'VO_API_KEY and VO_API_KEY_FILE are both set: set only one',
    ]);
    expect(problems({ VO_API_ID: 'x', VO_API_KEY_FILE: join(dir, 'missing') })[0]).toMatch(
      /VO_API_KEY_FILE: cannot read .* \(ENOENT\)/,
    );
    // The key itself put in VO_API_KEY_FILE by mistake is not quoted back.
    const [mistake] = problems({ VO_API_ID: 'x', VO_API_KEY_FILE: '0123456789abcdef0123456789abcdef' });
    expect(mistake).toMatch(/^VO_API_KEY_FILE: cannot read the file it names \(the value, 32 characters/);
    expect(mistake).not.toContain('0123456789abcdef');
  });

  it('does not need credentials for audit commands', () => {
    expect(problems({}, false)).toEqual([]);
  });

  it('accepts six-field cron expressions and rejects nonsense', () => {
    expect(
      loadConfig({ ...base, POLL_SCHEDULE: '*/10 * * * * *' }, { requireVictorOps: true }).service.schedule
        .intervalMs,
    ).toBe(10_000);
    expect(problems({ ...base, POLL_SCHEDULE: '99 * * * *' })[0]).toMatch(/^POLL_SCHEDULE/);
  });

  it('reads webhook endpoints with filters from ROSTER_WATCH_CONFIG', () => {
    const dir = scratchDir('rw-config-');
    const secretFile = join(dir, 'secret');
    writeFileSync(secretFile, `whsec_${Buffer.alloc(24, 7).toString('base64')}`);
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        webhooks: [
          { name: 'siem', url: 'https://siem.example/hook', secretFile, events: ['victorops.user.*'] },
          { url: 'http://127.0.0.1:9/x', secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}` },
        ],
      }),
    );
    const c = loadConfig({ ...base, ROSTER_WATCH_CONFIG: file }, { requireVictorOps: true });
    expect(c.delivery.webhooks.map((w) => [w.name, w.events])).toEqual([
      ['siem', ['victorops.user.*']],
      ['webhook-2-127.0.0.1', []],
    ]);
    writeFileSync(
      file,
      JSON.stringify({ webhooks: [{ name: 'slack', url: 'https://x.example/', secretFile }] }),
    );
    expect(problems({ ...base, ROSTER_WATCH_CONFIG: file })).toEqual([
      'ROSTER_WATCH_CONFIG webhooks[0].name "slack" is reserved for SLACK_WEBHOOK_URL: choose another name',
    ]);
    writeFileSync(file, '{"webhooks": [{"url": 5}]');
    expect(problems({ ...base, ROSTER_WATCH_CONFIG: file })[0]).toMatch(/not valid JSON/);
  });

  it('validates whsec_ secrets with the signer itself: base64url or stray characters are a config error', () => {
    // Node's Buffer decodes both of these to 24 and 22 bytes; standardwebhooks' decoder refuses them.
    const base64url = `whsec_${Buffer.alloc(24, 0xfb).toString('base64url')}`;
    const stray = `whsec_${Buffer.alloc(24, 7).toString('base64').slice(0, 30)}!!`;
    for (const secret of [base64url, stray]) {
      const found = problems({ ...base, WEBHOOK_URLS: 'https://hooks.example/x', WEBHOOK_SECRET: secret });
      expect(found).toEqual([
        'WEBHOOK_SECRET must be "whsec_" followed by standard base64 (with padding) of 16 to 128 bytes',
      ]);
      expect(found.join('\n')).not.toContain(secret.slice(6));
    }
  });

  it('never echoes a webhook URL path or query in a config error', () => {
    const found = problems({
      ...base,
      WEBHOOK_URLS: 'ftp://hooks.example/T0/B0/path-tok3n?sig=query-tok3n',
      WEBHOOK_SECRET: `whsec_${Buffer.alloc(24, 7).toString('base64')}`,
    });
    expect(found).toEqual([
      'WEBHOOK_URLS (entry 1) must be an http:// or https:// URL, got "ftp://hooks.example/…"',
    ]);
    expect(found.join('\n')).not.toMatch(/tok3n/);
  });

  it('derives the default event source from a hash of the API id, never the id itself', () => {
    const c = loadConfig({ ...base, VO_API_ID: 'acme-api-id-123' }, { requireVictorOps: true });
    expect(c.eventSource).toBe(defaultEventSource('acme-api-id-123'));
    expect(c.eventSource).toMatch(/^urn:roster-watch:victorops:[0-9a-f]{16}$/);
    expect(c.eventSource).not.toContain('acme-api-id-123');
    expect(loadConfig({ ...base, EVENT_SOURCE: 'urn:x' }, { requireVictorOps: true }).eventSource).toBe(
      'urn:x',
    );
  });
});

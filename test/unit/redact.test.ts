import { describe, expect, it } from 'vitest';
import { createUrlScrubber, redactUrl, scrubForLog, scrubText } from '../../src/redact.js';

describe('redaction of URLs in stored, printed and logged text', () => {
  it('cuts every http(s) URL to scheme and host and every /services/… path', () => {
    expect(redactUrl('https://user:pw@hooks.example:8443/in/tok?sig=x#f')).toBe(
      'https://hooks.example:8443/…',
    );
    expect(redactUrl('http://127.0.0.1:9')).toBe('http://127.0.0.1:9');
    expect(
      scrubText('POST https://hooks.slack.com/services/T1/B2/abc failed (see /services/T1/B2/abc).'),
    ).toBe('POST https://hooks.slack.com/… failed (see /services/…).');
    // Stack traces keep their file:// locations.
    expect(scrubText('at f (file:///app/dist/cli.js:1:2)')).toBe('at f (file:///app/dist/cli.js:1:2)');
  });

  it('cuts a known endpoint path and query even when echoed without the host, and bounds the length', () => {
    const scrub = createUrlScrubber('https://siem.example/ingest/p4th?sig=q1');
    expect(scrub('echo https://siem.example/ingest/p4th?sig=q1 and /ingest/p4th?sig=q1 and sig=q1')).toBe(
      'echo https://siem.example/… and /… and /…',
    );
    expect(scrubForLog('x'.repeat(500), 300)).toHaveLength(300);
  });
});

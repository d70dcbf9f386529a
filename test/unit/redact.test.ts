import { describe, expect, it } from 'vitest';
import { IdentitySourceError } from '../../src/errors.js';
import {
  createUrlScrubber,
  errorText,
  redactUrl,
  registerRuntimeSecret,
  registerSecrets,
  scrubForLog,
  scrubSecrets,
  scrubText,
} from '../../src/redact.js';

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

describe('configured secrets are cut from text in every form a server may echo them (issue 20)', () => {
  const token = '00aBcD-EfGh_ijkl1234567890MNopQRstuV/xyZ+q';
  registerSecrets([token, { url: 'https://hooks.example/hook/AbCdEfGhIjKlMnOp?sig=QrStUvWxYz12' }]);
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  it.each([
    ['as is', `Authorization: SSWS ${token}`],
    ['upper case', `SSWS ${token.toUpperCase()}`],
    ['lower case', `ssws ${token.toLowerCase()}`],
    ['percent-encoded', encodeURIComponent(`SSWS ${token}`)],
    ['percent-encoded twice', encodeURIComponent(encodeURIComponent(token))],
    ['form-encoded', new URLSearchParams({ client_secret: token }).toString()],
    ['JSON-escaped \\/', JSON.stringify({ s: token }).replace(/\//g, '\\/')],
    ['base64 of a longer text', b64(`Authorization: SSWS ${token}`)],
    ['base64 at another alignment', b64(`x:${token}`)],
    ['base64url', b64(`ab ${token}`).replace(/\+/g, '-').replace(/\//g, '_')],
  ])('%s', (_, echoed) => {
    const out = scrubSecrets(`401: ${echoed} (end)`);
    expect(out).toContain('[redacted]');
    expect(out.toLowerCase()).not.toContain(token.slice(4, 30).toLowerCase());
    expect(out).not.toContain(b64(token).slice(4, 24));
    expect(out).toMatch(/^401: .*\(end\)$/);
  });

  it('cuts a webhook URL token echoed escaped or percent-encoded, and leaves other text alone', () => {
    expect(scrubText('echo \\/hook\\/AbCdEfGhIjKlMnOp\\/ and %2Fhook%2FAbCdEfGhIjKlMnOp')).not.toMatch(
      /AbCdEfGhIjKlMnOp/i,
    );
    expect(scrubText('sig=QrStUvWxYz12')).not.toContain('QrStUvWxYz12');
    expect(scrubSecrets('nothing secret here: 401 E0000011')).toBe('nothing secret here: 401 E0000011');
  });

  it('cuts only the latest few runtime secrets (access tokens), so the list stays bounded', () => {
    const tokens = Array.from({ length: 12 }, (_, i) => `eyJ0eXAiOiJKV1Qi.${String(i).padStart(8, '0')}`);
    for (const t of tokens) registerRuntimeSecret(t);
    expect(scrubSecrets(tokens.at(-1) as string)).toBe('[redacted]');
    expect(scrubSecrets(tokens[0] as string)).toBe(tokens[0]);
  });

  it('is applied to every error message roster-watch raises and to errorText', () => {
    expect(new IdentitySourceError('auth', `Okta: ${token}`, false).message).toBe('Okta: [redacted]');
    expect(errorText(new Error(`x ${encodeURIComponent(token)}`))).toBe('x [redacted]');
  });
});

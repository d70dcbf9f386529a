/**
 * Issue 20: identity providers and endpoints that echo the credentials they were sent, in every
 * form (as is, upper and lower case, percent-encoded, JSON-escaped, base64). Through the built
 * CLI, with a fake Okta, a fake Entra ID and a fake Google Workspace in echo mode, a webhook endpoint that echoes its own
 * URL escaped, and a Slack receiver: no configured secret (nor an access token Entra or Google
 * issued, nor a JWT signed with the Google service account's key) may
 * appear in any CLI output or log line, any byte of the database, any delivered event or message,
 * or any page of the web view.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type GoogleFake, startGoogleFake } from '../../src/simulator/identity/google-fake.js';
import { type GraphFake, startGraphFake } from '../../src/simulator/identity/graph-fake.js';
import { type OktaFake, startOktaFake } from '../../src/simulator/identity/okta-fake.js';
import { type SlackReceiver, startSlackReceiver } from '../../src/simulator/receivers/slack-receiver.js';
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../src/simulator/receivers/webhook-receiver.js';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { CLI, runCli, simulatorCliEnv } from '../helpers/cli.js';
import { aWebhookSecret } from '../helpers/delivery-fixtures.js';
import { googleKey, googleSettings, writeGoogleKey } from '../helpers/google-key.js';

const OKTA_TOKEN = '00aBcD-EfGh_ijkl1234567890MNopQRstuVWxyZ9';
const ENTRA_SECRET = 'Q~8Kq2.Xy_Ab+Cd/EfGhIjKlMnOpQrStUvWxYz01';
const HOOK_TOKEN = 'hk7Gq2LmZx9Pw4RtYb6N';
const ECHO_TOKEN = 'ec3Vb8NqTz5Lr1WmKs7D';
const SLACK_PATH = '/services/T0ECHO001/B0ECHO002/sLaCkEcHoToKeN0123456789';

/**
 * The test's own oracle, independent of src/redact.ts: the text, its percent-decodings, its JSON
 * unescaping and every base64-looking run decoded, all lower-cased; a secret is found when any of
 * them holds it in any case.
 */
function readings(text: string): string[] {
  const unescaped = text.replace(/\\\//g, '/').replace(/\\u002f/gi, '/');
  const decode = (t: string) =>
    t.replace(/(%[0-9a-f]{2})+/gi, (m) => {
      try {
        return decodeURIComponent(m);
      } catch {
        return m;
      }
    });
  const once = decode(unescaped.replace(/\+/g, ' '));
  const out = [text, unescaped, decode(unescaped), once, decode(once)];
  for (const run of text.match(/[A-Za-z0-9+/_-]{12,}={0,2}/g) ?? []) {
    for (let skip = 0; skip < 4; skip++)
      out.push(
        Buffer.from(run.slice(skip).replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1'),
      );
  }
  return out.map((t) => t.toLowerCase());
}

function leaks(where: string, text: string, secrets: string[]): string[] {
  const read = readings(text);
  return secrets
    .filter((s) => read.some((r) => r.includes(s.toLowerCase())))
    .map((s) => `${where} holds ${s.slice(0, 6)}…`);
}

const children: ChildProcess[] = [];
let sim: Simulator | undefined;
let okta: OktaFake | undefined;
let graphs: GraphFake[] = [];
let googles: GoogleFake[] = [];
let hooks: WebhookReceiver[] = [];
let slack: SlackReceiver | undefined;

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all([
    sim?.close(),
    okta?.close(),
    slack?.close(),
    ...graphs.map((g) => g.close()),
    ...googles.map((g) => g.close()),
    ...hooks.map((h) => h.close()),
  ]);
  graphs = [];
  googles = [];
  hooks = [];
});

/** The pages of `ui` over the database, fetched through the built CLI's own server. */
async function uiPages(env: Record<string, string>, paths: string[]): Promise<string[]> {
  const child = spawn(process.execPath, [CLI, 'ui', '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/ui)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.on('close', (code) => reject(new Error(`ui exited ${code}: ${out}`)));
  });
  const pages: string[] = [];
  for (const path of paths) pages.push(await (await fetch(`${url}${path}`)).text());
  return pages;
}

describe('credentials echoed by identity providers and endpoints (issue 20)', () => {
  it('appear in no output, log line, database byte, delivery or page', async () => {
    sim = await startSimulator({ users: 12, teams: 3, seed: 20, policyListPerMinute: 0 });
    okta = await startOktaFake({ token: OKTA_TOKEN, echoCredentials: true });
    const entra = { tenantId: 'echo-tenant', clientId: 'echo-app', clientSecret: ENTRA_SECRET };
    graphs = [
      await startGraphFake({ ...entra, echoCredentials: 'token' }),
      await startGraphFake({ ...entra, echoCredentials: 'graph' }),
    ];
    const key = googleKey();
    const google = {
      clientEmail: key.client_email,
      privateKey: key.private_key,
      admin: googleSettings().admin,
      domain: 'example.com',
    };
    googles = [
      await startGoogleFake({ ...google, echoCredentials: 'token' }),
      await startGoogleFake({ ...google, echoCredentials: 'directory' }),
    ];
    const secret = aWebhookSecret();
    hooks = [
      await startWebhookReceiver({ host: '127.0.0.1', port: 0, secret }),
      await startWebhookReceiver({
        host: '127.0.0.1',
        port: 0,
        secret,
        // An endpoint that echoes its own URL, JSON-escaped and percent-encoded (item 6).
        respond: () => {
          const url = `${hooks[1]?.url}/in/${ECHO_TOKEN}?key=${ECHO_TOKEN}`;
          return {
            status: 500,
            body: `${JSON.stringify({ error: `bad ${url}` }).replace(/\//g, '\\/')} ${encodeURIComponent(url)}`,
          };
        },
      }),
    ];
    slack = await startSlackReceiver({ host: '127.0.0.1', port: 0 });
    const base = simulatorCliEnv(sim, {
      LOG_LEVEL: 'debug',
      OKTA_ORG_URL: okta.url,
      OKTA_API_TOKEN: OKTA_TOKEN,
      ENTRA_TENANT_ID: entra.tenantId,
      ENTRA_CLIENT_ID: entra.clientId,
      ENTRA_CLIENT_SECRET: ENTRA_SECRET,
      WEBHOOK_URLS: `${hooks[0]?.url}/hook/${HOOK_TOKEN},${hooks[1]?.url}/in/${ECHO_TOKEN}?key=${ECHO_TOKEN}`,
      WEBHOOK_SECRET: secret,
      SLACK_WEBHOOK_URL: `${slack.url}${SLACK_PATH}`,
      DELIVERY_RETRY_SCHEDULE: '0ms',
    });
    // The n-th sync meets the n-th Entra and the n-th Google fake: first their token endpoints echo
    // what they were sent, then their user lists echo the Authorization header.
    const withEntra = (g: GraphFake): Record<string, string> => {
      const w = googles[graphs.indexOf(g)] as GoogleFake;
      return {
        ...base,
        ENTRA_AUTHORITY_URL: g.authorityUrl,
        ENTRA_GRAPH_URL: g.graphUrl,
        GOOGLE_WORKSPACE_CREDENTIALS_FILE: writeGoogleKey({ token_uri: w.tokenUri }),
        GOOGLE_WORKSPACE_ADMIN: google.admin,
        GOOGLE_WORKSPACE_DIRECTORY_URL: w.directoryUrl,
      };
    };
    const outputs: string[] = [];
    const run = async (args: string[], env: Record<string, string>) => {
      const r = await runCli(args, env);
      outputs.push(`$ ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
      return r;
    };

    expect((await run(['poll'], withEntra(graphs[0] as GraphFake))).code).toBe(0);
    for (const g of graphs) {
      const synced = await run(['identity-sync'], withEntra(g));
      expect(synced.code, synced.stdout + synced.stderr).toBe(1);
      expect(synced.stdout).toMatch(/okta: failed, 0 identities \(Okta: HTTP 401: check OKTA_API_TOKEN/);
      expect(synced.stdout).toMatch(
        /entra: failed, 0 identities \(.*401 (invalid_client \(AADSTS7000215\)|InvalidAuthenticationToken): /,
      );
      expect(synced.stdout).toMatch(
        /google: failed, 0 identities \(Google Workspace( token)?: (400 invalid_grant|401 UNAUTHENTICATED)/,
      );
    }
    // Entra issued tokens to the second sync, which Graph echoed back.
    const accessTokens = (graphs[1] as GraphFake).issuedTokens();
    expect(accessTokens.length).toBeGreaterThan(0);
    // Google issued the second sync a token and, after the echoing 401, one fresh one; every token
    // request sent a signed JWT, which the first fake echoed.
    const googleTokens = (googles[1] as GoogleFake).issuedTokens();
    const assertions = googles.flatMap((g) => g.receivedAssertions());
    expect([googleTokens.length, assertions.length]).toEqual([2, 3]);
    const env = withEntra(graphs[1] as GraphFake);
    await run(['deliver'], env);
    for (const args of [
      ['identity'],
      ['identity', '--json'],
      ['runs', '--json'],
      ['history', '--json'],
      ['deliveries', '--json'],
      ['deliveries'],
    ])
      await run(args, env);

    const secrets = [
      OKTA_TOKEN,
      ENTRA_SECRET,
      ...accessTokens,
      ...googleTokens,
      // A JWT's signature (its claims name nobody secret), and the private key's first line.
      ...assertions.map((a) => a.split('.')[2] as string),
      key.private_key.split('\n')[1] as string,
      HOOK_TOKEN,
      ECHO_TOKEN,
      SLACK_PATH.split('/').at(-1) as string,
      secret.replace(/^whsec_/, ''),
      'sim-api-key',
    ];
    const dbDir = dirname(env.DATABASE_PATH as string);
    const places: [string, string][] = [
      ...outputs.map((o, i): [string, string] => [`CLI run ${i} (${o.split('\n')[0]})`, o]),
      ...readdirSync(dbDir).map((f): [string, string] => [
        `database file ${f}`,
        readFileSync(join(dbDir, f), 'latin1'),
      ]),
      ...(hooks[0]?.received ?? []).map((w, i): [string, string] => [`webhook ${i}`, JSON.stringify(w)]),
      ...(slack?.messages ?? []).map((m, i): [string, string] => [`Slack message ${i}`, JSON.stringify(m)]),
    ];
    const runIds = (JSON.parse((await runCli(['runs', '--json'], env)).stdout) as { id: number }[]).map(
      (r) => r.id,
    );
    const pagePaths = [
      '',
      '/findings',
      '/runs',
      '/timeline',
      '/deliveries',
      ...runIds.map((id) => `/runs/${id}`),
    ];
    const pages = await uiPages(env, pagePaths);
    for (const [i, p] of pages.entries()) places.push([`page /ui${pagePaths[i]}`, p]);

    expect(places.flatMap(([where, text]) => leaks(where, text, secrets))).toEqual([]);
    // The failures were delivered and shown (so the test looked where the echo could have gone).
    expect(hooks[0]?.received.some((w) => JSON.stringify(w).includes('source_failing'))).toBe(true);
    expect((slack?.messages.length ?? 0) > 0).toBe(true);
    expect(pages.some((p) => /\b401\b/.test(p))).toBe(true);
  });
});

/**
 * The web view in a real browser: every page on a generated history, the links between them,
 * the filters and the as-of picker, with no console error and no CSP violation anywhere. It also
 * takes the README's pictures from a realistic demo org (test/helpers/demo-history.ts), and writes
 * them into docs/images only under `npm run screenshots` (SCREENSHOTS=write): `npm test` takes them
 * into a temporary folder, so it never rewrites the tracked pictures.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultOncallConfig } from '../../src/config/oncall.js';
import { formatRunDigest } from '../../src/delivery/slack-digest.js';
import { renderSlackMessage } from '../../src/simulator/receivers/slack-receiver.js';
import { openStore, type Store } from '../../src/store/db.js';
import { loadRunChangeEvents } from '../../src/store/outbox-reads.js';
import type { UiServer } from '../../src/web/serve.js';
import { aRoster, aTeam, aUser } from '../helpers/builders.js';
import { DEMO_NOW, recordDemoHistory } from '../helpers/demo-history.js';
import { HOSTILE_USERNAME, recordRosterRun, recordUiHistory, TIMES } from '../helpers/ui-history.js';
import { startTestUi } from '../helpers/ui-server.js';
import { type Browser, chromiumAvailable, launchChromium } from './chromium.js';
import { slackMessagePage } from './slack-html.js';

/** Only `npm run screenshots` rewrites the tracked pictures; any other run keeps them in a temporary folder. */
const WRITE_PICTURES = process.env.SCREENSHOTS === 'write';
const TRACKED_IMAGES = resolve(import.meta.dirname, '..', '..', 'docs', 'images');
const available = chromiumAvailable();

let dir: string;
let store: Store;
let server: UiServer;
let browser: Browser;
/** Everything the browser complained about, by page URL. */
const problems: string[] = [];

beforeAll(async () => {
  if (!available) return;
  dir = mkdtempSync(join(tmpdir(), 'rw-browser-'));
  recordUiHistory(join(dir, 'h.db')).close();
  store = openStore(join(dir, 'h.db'), { readonly: true });
  server = await serveHistory(store);
  browser = await launchChromium();
}, 60_000);

/** The view of a test history, as the tests read it: no auth, in Paris, at a pinned now. */
function serveHistory(history: Store): Promise<UiServer> {
  return startTestUi(history, {
    // A pinned clock keeps the pages (and so the screenshots) the same from run to run.
    now: () => new Date('2026-03-04T12:00:00.000Z'),
    timeZone: 'Europe/Paris',
  });
}

let closeDemo: () => Promise<void> = async () => {};
/** The long-diff roster test's own server, closed after the browser (its keep-alive sockets hold it open). */
let closeBig: () => Promise<void> = async () => {};

afterAll(async () => {
  await browser?.close();
  await closeDemo();
  await closeBig();
  await server?.close();
  store?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function open(path: string, on: UiServer = server): Promise<Page> {
  const page = await browser.context.newPage();
  // Init scripts come from the driver, not the page, so the page's CSP does not block this one.
  await page.addInitScript({
    content:
      "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI));",
  });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning')
      problems.push(`${page.url()}: console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${page.url()}: page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`${r.url()}: request failed: ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.url()}: HTTP ${r.status()}`);
  });
  const response = await page.goto(`${on.url.replace(/\/ui$/, '')}${path}`);
  expect(response?.status(), path).toBe(200);
  return page;
}

describe.skipIf(!available)('the web view in headless Chromium', () => {
  it('overview: chart, last runs, findings and delivery health; every link on it opens cleanly', async () => {
    const page = await open('/ui');
    await expect(page.locator('h1').textContent()).resolves.toBe('Overview');
    expect(await page.locator('svg.chart polyline').count()).toBe(3);
    expect(await page.locator('#t-last-runs').isVisible()).toBe(true);
    const links = await page
      .locator('main a[href^="/ui"]:not([download])')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href') as string));
    expect(links.length).toBeGreaterThan(5);
    for (const href of new Set(links)) {
      const linked = await open(href);
      expect(await linked.locator('h1').count(), href).toBe(1);
      await linked.close();
    }
    await page.close();
  });

  it('timeline: the type filter, an event expanding to its CloudEvent, paging and the query link', async () => {
    const page = await open('/ui/timeline');
    await page.selectOption('select[name="type"]', 'victorops.membership.*');
    await page.fill('input[name="team"]', 'payments');
    await Promise.all([page.waitForURL(/type=victorops\.membership/), page.click('form.filters button')]);
    const types = await page.locator('#t-events ~ .scroll tbody td:nth-child(3)').allTextContents();
    expect(types.length).toBeGreaterThan(0);
    for (const type of types) expect(type).toMatch(/^victorops\.membership\./);
    const first = page.locator('tbody details').first();
    await first.locator('summary').click();
    await expect(first.locator('pre').textContent()).resolves.toContain('"specversion": "1.0"');
    await Promise.all([
      page.waitForURL(/timeline\/query/),
      page.getByText('The same query with the history command').click(),
    ]);
    await expect(page.locator('pre.code').first().textContent()).resolves.toContain(
      "roster-watch history --type 'victorops.membership.*' --team payments --json",
    );
    await page.close();
  });

  it('user page: from a timeline row to the user, their history, policies and shifts', async () => {
    const page = await open('/ui/timeline?user=alice');
    await Promise.all([
      page.waitForURL(/\/ui\/users\/alice$/),
      page.locator('tbody a[href="/ui/users/alice"]').first().click(),
    ]);
    await expect(page.locator('h1').textContent()).resolves.toBe('Alice Liddell (alice)');
    await expect(page.locator('#t-memberships ~ .scroll').textContent()).resolves.toContain('Payments');
    await expect(page.locator('#t-shifts ~ .scroll').textContent()).resolves.toContain('1 Jan 2099');
    await page.close();
  });

  it('roster as of T: the picker, in UI_TIMEZONE, shows who was there then and the diff to now', async () => {
    const page = await open('/ui/roster');
    await expect(page.locator('label:has(input[name="at"])').textContent()).resolves.toContain(
      'As of (Europe/Paris)',
    );
    // The picker opens on now in Paris (12:00 UTC is 13:00 there), not in UTC.
    await expect(page.locator('input[name="at"]').inputValue()).resolves.toBe('2026-03-04T13:00');
    await page.fill('input[name="at"]', '2026-03-02T12:00:00');
    await Promise.all([page.waitForURL(/at=2026-03-02T12/), page.click('form.filters button')]);
    await expect(page.locator('h1').textContent()).resolves.toBe(
      'Roster as of Mon 2 Mar 12:00 (Europe/Paris)',
    );
    await expect(page.locator('input[name="at"]').inputValue()).resolves.toBe('2026-03-02T12:00');
    await expect(page.locator('#t-users ~ .scroll').textContent()).resolves.toContain('bob');
    await expect(page.locator('#t-diff ~ .scroll').textContent()).resolves.toContain('user removed');
    // Run two was recorded at 10:00 Paris time: 09:30 picked there is before it, so the diff to now
    // holds run two's changes too (read as UTC, 09:30 would be after it).
    await page.fill('input[name="at"]', '2026-03-02T09:30');
    await Promise.all([page.waitForURL(/at=2026-03-02T09/), page.click('form.filters button')]);
    const before = (await page.locator('#t-diff ~ .scroll').textContent()) as string;
    await page.fill('input[name="at"]', '2026-03-02T10:30');
    await Promise.all([page.waitForURL(/at=2026-03-02T10/), page.click('form.filters button')]);
    const after = (await page.locator('#t-diff ~ .scroll').textContent()) as string;
    expect(before).not.toBe(after);
    await page.close();
  });

  it('roster as of T: a diff longer than a page shows every count, 200 rows and a next page', async () => {
    // Its own history: 250 users hired after the first run, and 20 of the first run's left.
    const big = join(dir, 'big.db');
    const writer = openStore(big);
    const users = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => aUser(`hire${String(from + i).padStart(3, '0')}`));
    const first = aRoster({ users: users(0, 20), teams: [aTeam('ops', 'Operations')] });
    const second = aRoster({
      users: users(20, 270),
      teams: [aTeam('ops', 'Operations')],
      memberships: users(20, 270).map((u): [string, string] => [u.username, 'ops']),
    });
    recordRosterRun(writer, aRoster(), first, '2026-03-01T09:00:00.000Z', 'baseline');
    recordRosterRun(writer, first, second, '2026-03-02T09:00:00.000Z', 'ok');
    writer.close();
    const bigStore = openStore(big, { readonly: true });
    const bigServer = await serveHistory(bigStore);
    closeBig = async () => {
      await bigServer.close();
      bigStore.close();
    };
    const page = await open('/ui/roster?at=2026-03-01T12:00:00Z', bigServer);
    const facts = (await page.locator('dl.facts').allTextContents()).join(' ');
    expect(facts).toContain('Users added250');
    expect(facts).toContain('Users removed20');
    expect(facts).toContain('Memberships added250');
    const kinds = () => page.locator('#t-diff ~ .scroll tbody td:first-child').allTextContents();
    const firstPage = await kinds();
    expect(firstPage).toHaveLength(200);
    expect(new Set(firstPage)).toEqual(new Set(['user added']));
    await expect(page.locator('#t-diff').textContent()).resolves.toContain('520 in all, 200 a page');
    // The next page: the last 50 hires, the 20 who left, then the first memberships.
    await Promise.all([
      page.waitForURL(/diff=user-added&diff_after=hire219/),
      page.click('a:text("Next 200 →")'),
    ]);
    const secondPage = await kinds();
    expect(secondPage).toHaveLength(200);
    expect(secondPage.filter((k) => k === 'user added')).toHaveLength(50);
    expect(secondPage.filter((k) => k === 'user removed')).toHaveLength(20);
    expect(secondPage.filter((k) => k === 'joined team')).toHaveLength(130);
    await expect(page.locator('#t-diff ~ .scroll tbody tr:first-child').textContent()).resolves.toContain(
      'hire220',
    );
    await Promise.all([page.waitForURL(/diff=membership-added/), page.click('a:text("Next 200 →")')]);
    expect(await kinds()).toHaveLength(120);
    expect(await page.locator('a:text("Next 200 →")').count()).toBe(0);
    // A count links to its kind: the users who left, first.
    await Promise.all([
      page.waitForURL(/diff=user-removed/),
      page.click('dl.facts a[href*="diff=user-removed"]'),
    ]);
    const removed = await kinds();
    expect(removed.slice(0, 20)).toEqual(Array(20).fill('user removed'));
    await page.close();
  });

  it('on call at T: the picker is in UI_TIMEZONE too, and the per-day tables are in local days', async () => {
    const page = await open('/ui/oncall');
    await expect(page.locator('label:has(input[name="at"])').textContent()).resolves.toContain(
      'On call at (Europe/Paris)',
    );
    await page.fill('input[name="at"]', '2026-03-03T23:30');
    await Promise.all([page.waitForURL(/at=2026-03-03T23/), page.click('form.filters button')]);
    await expect(page.locator('#t-at').textContent()).resolves.toBe(
      'On call at Tue 3 Mar 23:30 (Europe/Paris)',
    );
    await expect(page.locator('input[name="at"]').inputValue()).resolves.toBe('2026-03-03T23:30');
    await page.close();
    const overview = await open('/ui');
    await expect(overview.locator('#t-changes-per-day').textContent()).resolves.toContain('Europe/Paris');
    // Each day links to its own 24 hours in Paris: from 23:00 UTC the evening before.
    const link = (await overview
      .locator('#t-changes-per-day ~ .scroll a')
      .first()
      .getAttribute('href')) as string;
    expect(decodeURIComponent(link)).toMatch(
      /since=2026-03-0\dT23:00:00\.000Z&until=2026-03-0\dT23:00:00\.000Z/,
    );
    await overview.close();
  });

  it('hostile names render as text: no element, no script, control characters shown as markers', async () => {
    const page = await open(`/ui/users/${encodeURIComponent(HOSTILE_USERNAME)}`);
    expect(await page.locator('main img').count()).toBe(0);
    const heading = (await page.locator('h1').textContent()) as string;
    expect(heading).toContain('<script>alert("owned")</script>');
    expect(heading).toContain('"><img src=x onerror=alert(1)>');
    await expect(page.locator('dl.facts').textContent()).resolves.toContain('gnp[U+202E]exe.doc');
    await expect(page.locator('dl.facts').textContent()).resolves.toContain('[U+001B][31mred');
    await page.close();
  });

  it('team, findings, runs, deliveries, an event permalink: each opens with its content', async () => {
    const expectations: [string, string][] = [
      ['/ui/teams/payments', 'Current members'],
      ['/ui/findings', 'nobody_on_call'],
      ['/ui/findings?state=all&kind=dangling_reference', 'still pages bob'],
      ['/ui/runs', 'baseline'],
      ['/ui/runs?kind=policy', 'policy'],
      ['/ui/deliveries', 'receiver said'],
      ['/ui/events/1', 'CloudEvent as delivered'],
      [`/ui/roster?at=${TIMES.one}`, 'Users at'],
    ];
    for (const [path, text] of expectations) {
      const page = await open(path);
      await expect(page.locator('main').textContent(), path).resolves.toContain(text);
      await page.close();
    }
  });

  it('an identity finding appears on the findings page, the overview and the user page', async () => {
    const findings = await open('/ui/findings');
    await expect(findings.locator('#t-findings ~ .scroll').textContent()).resolves.toContain(
      'carol left (HR file: terminated',
    );
    await findings.close();
    const overview = await open('/ui');
    await expect(overview.locator('#t-open-findings ~ .scroll').textContent()).resolves.toContain(
      'identity.inactive',
    );
    await overview.close();
    const user = await open('/ui/users/carol');
    await expect(user.locator('#t-findings ~ .scroll').textContent()).resolves.toContain('carol left');
    await user.close();
  });

  it('search from the header box: part of a last name reaches the user page', async () => {
    const page = await open('/ui/runs');
    await page.fill('header input[name="q"]', 'lidd');
    await Promise.all([
      page.waitForURL(/\/ui\/search\?q=lidd/),
      page.press('header input[name="q"]', 'Enter'),
    ]);
    await Promise.all([
      page.waitForURL(/\/ui\/users\/alice$/),
      page.locator('#t-users ~ .scroll a').first().click(),
    ]);
    await expect(page.locator('h1').textContent()).resolves.toBe('Alice Liddell (alice)');
    await page.close();
  });

  it('names and times: the timeline names teams by name and times render in UI_TIMEZONE', async () => {
    const page = await open('/ui/timeline?type=victorops.membership.*');
    await expect(page.locator('#t-events ~ .scroll').textContent()).resolves.toContain('team Payments');
    await expect(page.locator('header .zone').textContent()).resolves.toBe('Times in Europe/Paris');
    const first = page.locator('#t-events ~ .scroll time').first();
    expect(await first.getAttribute('datetime')).toMatch(/^2026-03-0\dT09:00:00\.000Z$/);
    await expect(first.textContent()).resolves.toMatch(/^\w{3} \d Mar 10:00$/);
    await page.close();
  });

  it('a policy page lists its steps and says where routing keys stand', async () => {
    const page = await open('/ui/teams/payments');
    await Promise.all([
      page.waitForURL(/\/ui\/policies\/pol-payments$/),
      page.locator('#t-policies ~ .scroll a[href="/ui/policies/pol-payments"]').click(),
    ]);
    const steps = (await page.locator('#t-steps ~ .scroll').textContent()) as string;
    expect(steps).toContain('Step 1');
    expect(steps).toContain('rotation Primary');
    await expect(page.locator('main').textContent()).resolves.toContain('Routing keys');
    await page.close();
  });

  it('is usable from the keyboard and by screen readers: skip link first, labelled fields, headed tables', async () => {
    for (const path of ['/ui', '/ui/timeline', '/ui/roster', '/ui/users/alice']) {
      const page = await open(path);
      await page.keyboard.press('Tab');
      await expect(page.locator(':focus').textContent()).resolves.toBe('Skip to content');
      const unlabelled = await page
        .locator('input, select')
        .evaluateAll((els) => els.filter((e) => e.closest('label') === null).length);
      expect(unlabelled, path).toBe(0);
      const headless = await page
        .locator('table')
        .evaluateAll((ts) => ts.filter((t) => t.querySelector('thead th[scope="col"]') === null).length);
      expect(headless, path).toBe(0);
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      await page.close();
    }
  });

  it('no console error, failed request or CSP violation happened on any page', () => {
    expect(problems).toEqual([]);
  });
});

describe.skipIf(!available)("the README's pictures, from a realistic demo org", () => {
  let demoDir: string;
  let demoStore: Store;
  let demo: UiServer;
  let images: string;
  let digestRunId: number;

  beforeAll(async () => {
    demoDir = mkdtempSync(join(tmpdir(), 'rw-demo-'));
    const recorded = recordDemoHistory(join(demoDir, 'demo.db'));
    digestRunId = recorded.digestRunId;
    recorded.store.close();
    demoStore = openStore(join(demoDir, 'demo.db'), { readonly: true });
    demo = await startTestUi(demoStore, {
      now: () => new Date(DEMO_NOW),
      timeZone: 'Europe/Berlin',
      // The team's calendar in the same zone as the rest of the page.
      oncall: { ...defaultOncallConfig(), timeZone: 'Europe/Berlin' },
    });
    images = WRITE_PICTURES ? TRACKED_IMAGES : join(demoDir, 'images');
    mkdirSync(images, { recursive: true });
  }, 60_000);

  // The demo server closes in the file's afterAll, after the browser: while the browser is open
  // it holds connections to it, and closing a server waits for them.
  closeDemo = async () => {
    await demo?.close();
    demoStore?.close();
    if (demoDir !== undefined) rmSync(demoDir, { recursive: true, force: true });
  };

  async function picture(path: string, name: string, check: (page: Page) => Promise<void>): Promise<void> {
    const page = await open(path, demo);
    await check(page);
    await page.screenshot({ path: join(images, `${name}.png`), fullPage: false });
    await page.close();
  }

  it('overview, timeline, user, findings, policy, roster, on-call and reachability pages tell the drift story', async () => {
    await picture('/ui', 'overview', async (page) => {
      expect(await page.locator('svg.chart polyline').count()).toBe(3);
      await expect(page.locator('main').textContent()).resolves.toContain('identity.inactive');
    });
    await picture('/ui/timeline', 'timeline', async (page) => {
      await expect(page.locator('#t-events ~ .scroll').textContent()).resolves.toContain('Tomás Novák');
    });
    await picture('/ui/users/dkowalski', 'user', async (page) => {
      await expect(page.locator('h1').textContent()).resolves.toBe('Daniel Kowalski (dkowalski)');
      await expect(page.locator('#t-findings ~ .scroll').textContent()).resolves.toContain('dkowalski left');
    });
    await picture('/ui/findings', 'findings', async (page) => {
      const text = (await page.locator('#t-findings ~ .scroll').textContent()) as string;
      expect(text).toContain('marcus.hale');
      expect(text).toContain('dkowalski left');
    });
    await picture('/ui/policies/pol-payments-primary', 'policy', async (page) => {
      await expect(page.locator('#t-steps ~ .scroll').textContent()).resolves.toContain('Yuki Tanaka');
    });
    await picture('/ui/roster?at=2026-02-26T12:00', 'roster', async (page) => {
      await expect(page.locator('#t-diff ~ .scroll').textContent()).resolves.toContain('user removed');
    });
    await picture('/ui/oncall?team=payments', 'oncall', async (page) => {
      // The override: Yuki covers the rest of Aisha's week.
      const now = (await page.locator('#t-at ~ .scroll').textContent()) as string;
      expect(now).toContain('yuki.tanaka');
      expect(now).toContain('aisha.bello');
      await expect(page.locator('#t-calendar ~ .scroll').textContent()).resolves.toContain('aisha.bello');
    });
    await picture('/ui/reachability', 'reachability', async (page) => {
      const keys = (await page.locator('#t-routing-keys ~ .scroll').textContent()) as string;
      // José is on call for Platform, but his paging policy texts a phone he never verified.
      expect(keys).toContain('cannot be reached');
      expect(keys).toContain('yes: pushes to iOS device');
      expect(keys).toContain('legacy-billing');
      expect(keys).not.toContain('not read yet');
    });
    // No page of the demo shows test data.
    expect(problems).toEqual([]);
  });

  it('the Slack digest as Slack renders Block Kit: bold headers, not literal asterisks', async () => {
    const message = formatRunDigest(loadRunChangeEvents(demoStore, digestRunId), {
      historyHint: 'roster-watch history --since 2026-03-02T09:00:00Z',
    });
    writeFileSync(join(images, 'slack-digest.txt'), `${renderSlackMessage(message)}\n`);
    const html = slackMessagePage(message);
    expect(html).toContain('<b>');
    expect(html).not.toMatch(/(^|[\s>])\*[A-Z][^*<]*\*/);
    const page = await browser.context.newPage();
    await page.setContent(html);
    await page.setViewportSize({ width: 720, height: 230 });
    await page.screenshot({ path: join(images, 'slack-digest.png') });
    await page.close();
  });
});

/**
 * Headless Chromium from Debian's `chromium` package, driven by playwright-core (which never
 * downloads a browser). A fresh profile per launch; networking features that would phone home
 * are off, so the browser talks only to the test's server.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Whether the suite can run; without Chromium it fails when CI requires it, else skips loudly. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const bar = '!'.repeat(78);
  const lines = [
    '',
    bar,
    `!!! BROWSER SUITE ${process.env.REQUIRE_BROWSER_TESTS === 'true' ? 'FAILED' : 'SKIPPED'}: no Chromium at ${CHROMIUM_PATH}.`,
    '!!! The web view was NOT checked in a real browser and docs/images was NOT regenerated.',
    '!!! Install it with: apt-get update && apt-get install -y chromium   (or set CHROMIUM_PATH)',
    bar,
    '',
  ];
  process.stderr.write(lines.join('\n'));
  if (process.env.REQUIRE_BROWSER_TESTS === 'true') {
    throw new Error(`REQUIRE_BROWSER_TESTS=true but there is no Chromium at ${CHROMIUM_PATH}`);
  }
  return false;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'rw-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    colorScheme: 'light',
    timezoneId: 'UTC',
    locale: 'en-GB',
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

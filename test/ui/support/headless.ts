/**
 * Headless Chromium for the viewer's browser tests. The Debian chromium package (CI and `npm
 * test` install it through scripts/test-prereqs.sh); missing is a failure, not a skip.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.KUBESTITCH_CHROMIUM ?? '/usr/bin/chromium';

/** Launches it, or throws saying how to get one. */
export async function launchChromium(): Promise<Browser> {
  try {
    await access(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(
      `browser test needs Chromium at ${CHROMIUM} (Debian: apt-get install chromium; scripts/test-prereqs.sh installs it). ` +
        'Set KUBESTITCH_CHROMIUM to use another binary.',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

/** A page whose script errors and console errors land in `errors` (tests expect it empty). */
export async function trackedPage(browser: Browser, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  // Fail fast with the locator that did not match, well inside the test timeout.
  page.setDefaultTimeout(8_000);
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  return page;
}
